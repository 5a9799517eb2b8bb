package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestUnpack(t *testing.T) {
	s := newTestStore(t)
	bin := fakeCorenf(t, 128<<10)
	build(t, s, bin, "dev", kinds("dn")...)
	d, err := s.Inspect("corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	rfs, err := s.Unpack(context.Background(), "corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{layerPath(s, d.Layers[1].DiffID), layerPath(s, d.Layers[0].DiffID)}
	if !slices.Equal(rfs.LowerDirs, want) {
		t.Fatalf("LowerDirs = %v, want topmost first %v", rfs.LowerDirs, want)
	}
	if rfs.Digest != d.Digest || !slices.Equal(rfs.Config.Entrypoint, d.Config.Entrypoint) {
		t.Errorf("Rootfs %+v does not match the image %+v", rfs, d)
	}
	wantBin, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	shared, kind := rfs.LowerDirs[1], rfs.LowerDirs[0]
	checkFile(t, shared, "usr/local/bin/corenf", string(wantBin), 0o755)
	checkFile(t, kind, "etc/corebox/dn.yaml", "kind: dn\n", 0o644)
	checkMode(t, shared, "tmp", os.ModeDir|os.ModeSticky|0o777)
	for _, mp := range []string{"proc", "sys", "dev", "etc/corebox", "var/lib/corebox"} {
		if fi, err := os.Stat(filepath.Join(shared, mp)); err != nil || !fi.IsDir() {
			t.Errorf("mount point %s missing: %v", mp, err)
		}
	}
	// The second unpack reuses the layers: same directories, same inodes.
	before, _ := os.Stat(shared)
	again, err := s.Unpack(context.Background(), "corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(again.LowerDirs[1])
	if !os.SameFile(before, after) {
		t.Error("second Unpack replaced the shared layer")
	}
}

func layerPath(s *Store, diffID string) string {
	return filepath.Join(s.layerDir(), strings.TrimPrefix(diffID, "sha256:"))
}

func TestUnpackConcurrentCallers(t *testing.T) {
	s := newTestStore(t)
	build(t, s, fakeCorenf(t, 256<<10), "dev", kinds("dn", "amf")...)
	var wg sync.WaitGroup
	results := make([][]string, 16)
	errs := make([]error, 16)
	for i := range results {
		wg.Go(func() {
			ref := []string{"corebox/dn:dev", "corebox/amf:dev"}[i%2]
			rfs, err := s.Unpack(context.Background(), ref)
			if err == nil {
				results[i] = rfs.LowerDirs
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if !slices.Equal(results[i], results[i%2]) {
			t.Errorf("caller %d got %v, want %v", i, results[i], results[i%2])
		}
	}
	// Three layers (shared + two kinds), and no temp dir left behind.
	if names := dirNames(t, s.layerDir()); len(names) != 3 {
		t.Errorf("layer dir holds %v, want 3 layers", names)
	}
}

// Leftovers of a crash (a half-unpacked temp dir, a dead writer's stage)
// are never used and are collected by the next store mutation.
func TestCrashLeftoversAreIgnoredAndCollected(t *testing.T) {
	s := newTestStore(t)
	bin := fakeCorenf(t, 32<<10)
	build(t, s, bin, "dev", kinds("dn")...)
	d, _ := s.Inspect("corebox/dn:dev")
	hex := strings.TrimPrefix(d.Layers[0].DiffID, "sha256:")
	half := filepath.Join(s.layerDir(), ".tmp-"+hex[:12]+"-123")
	deadStage := filepath.Join(s.stageRoot(), "stage-dead")
	for _, p := range []string{filepath.Join(half, "usr"), deadStage} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rfs, err := s.Unpack(context.Background(), "corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rfs.LowerDirs[1], "usr/local/bin/corenf")); err != nil {
		t.Errorf("unpacked layer incomplete: %v", err)
	}
	build(t, s, bin, "dev", kinds("amf")...)
	for _, p := range []string{half, deadStage} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived garbage collection (%v)", p, err)
		}
	}
}

// A blob whose content does not match the config's diffID is refused and
// nothing becomes visible under its name.
func TestUnpackRefusesCorruptLayer(t *testing.T) {
	s := newTestStore(t)
	build(t, s, fakeCorenf(t, 32<<10), "dev", kinds("dn")...)
	d, _ := s.Inspect("corebox/dn:dev")
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := gz.Write(buildTar(t, regEntry("etc/corebox/dn.yaml", "evil: true\n"))); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	blob := s.blobPath(strings.TrimPrefix(d.Layers[1].Digest, "sha256:"))
	if err := os.WriteFile(blob, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Unpack(context.Background(), "corebox/dn:dev")
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Unpack of a tampered layer = %v, want a corrupt-blob error", err)
	}
	names := dirNames(t, s.layerDir())
	if slices.Contains(names, strings.TrimPrefix(d.Layers[1].DiffID, "sha256:")) || slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, ".tmp-") }) {
		t.Errorf("layer dir after refused unpack: %v", names)
	}
}
