package image

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func newTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeCorenf writes a stand-in binary: any file works, its bytes only
// have to be recognisable after unpacking.
func fakeCorenf(t testing.TB, size int) string {
	t.Helper()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	p := filepath.Join(t.TempDir(), "corenf")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func kinds(names ...string) []KindSpec {
	var out []KindSpec
	for _, n := range names {
		out = append(out, KindSpec{Name: n, DefaultConfig: []byte("kind: " + n + "\n")})
	}
	return out
}

func build(t testing.TB, s *Store, bin, tag string, ks ...KindSpec) []Summary {
	t.Helper()
	sums, err := s.Build(context.Background(), BuildSpec{CorenfPath: bin, Kinds: ks, Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestBuildListInspect(t *testing.T) {
	s := newTestStore(t)
	bin := fakeCorenf(t, 256<<10)
	var msgs []string
	sums, err := s.Build(context.Background(), BuildSpec{CorenfPath: bin, Kinds: kinds("dn", "amf"), Tag: "dev",
		Progress: func(m string) { msgs = append(msgs, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 3 {
		t.Errorf("progress messages %q, want one per step", msgs)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Ref != "corebox/amf:dev" || list[1].Ref != "corebox/dn:dev" {
		t.Fatalf("List = %+v", list)
	}
	if list[1].Digest != sums[0].Digest || list[1].Layers != 2 || list[1].Size != sums[0].Size {
		t.Errorf("List entry %+v disagrees with Build summary %+v", list[1], sums[0])
	}
	dn, err := s.Inspect("corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	amf, err := s.Inspect("corebox/amf:dev")
	if err != nil {
		t.Fatal(err)
	}
	c := dn.Config
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/corenf", "dn"}) || !slices.Equal(c.Cmd, []string{"-c", "/etc/corebox/dn.yaml"}) ||
		!slices.Equal(c.Env, []string{"PATH=/usr/local/bin:/usr/bin:/bin"}) || c.Labels["org.corebox.kind"] != "dn" ||
		c.Labels["org.opencontainers.image.version"] != "dev" || dn.OS != "linux" || dn.Architecture != runtime.GOARCH {
		t.Errorf("dn details = %+v", dn)
	}
	if dn.Layers[0] != amf.Layers[0] {
		t.Errorf("shared corenf layer differs between kinds: %+v vs %+v", dn.Layers[0], amf.Layers[0])
	}
	if dn.Layers[1].Digest == amf.Layers[1].Digest {
		t.Error("kind layers are identical; each must hold its own config")
	}
	checkLayoutValid(t, s, 2)
	// Blobs: one shared layer, and per kind a layer, a config and a manifest.
	if n := len(dirNames(t, s.blobDir())); n != 7 {
		t.Errorf("store holds %d blobs, want 7", n)
	}
}

// checkLayoutValid reads the store as go-containerregistry's OCI layout
// and validates every image (digests, diffIDs, sizes).
func checkLayoutValid(t *testing.T, s *Store, n int) {
	t.Helper()
	ii, err := layout.ImageIndexFromPath(s.imageDir())
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != n {
		t.Fatalf("index holds %d manifests, want %d", len(im.Manifests), n)
	}
	for _, d := range im.Manifests {
		if d.Annotations[refAnnotation] == "" {
			t.Errorf("index entry %s has no %s", d.Digest, refAnnotation)
		}
		img, err := ii.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkImageBlobs(t, img)
	}
}

// checkImageBlobs hashes every layer, compressed and not, against the
// manifest and the config.
func checkImageBlobs(t *testing.T, img v1.Image) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		for _, c := range []struct {
			open func() (io.ReadCloser, error)
			want v1.Hash
		}{{l.Compressed, m.Layers[i].Digest}, {l.Uncompressed, cfg.RootFS.DiffIDs[i]}} {
			rc, err := c.open()
			if err != nil {
				t.Fatal(err)
			}
			h, n, err := v1.SHA256(rc)
			if err := errors.Join(err, rc.Close()); err != nil {
				t.Fatal(err)
			}
			if h != c.want {
				t.Errorf("layer %d hashes to %s, want %s", i, h, c.want)
			}
			if c.want == m.Layers[i].Digest && n != m.Layers[i].Size {
				t.Errorf("layer %d is %d bytes, manifest says %d", i, n, m.Layers[i].Size)
			}
		}
	}
}

// Same binary and configs give the same digests, in any store.
func TestBuildIsReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	bin := fakeCorenf(t, 64<<10)
	a := build(t, newTestStore(t), bin, "dev", kinds("dn")...)
	s := newTestStore(t)
	b := build(t, s, bin, "dev", kinds("dn")...)
	again := build(t, s, bin, "dev", kinds("dn")...)
	if a[0].Digest != b[0].Digest || b[0].Digest != again[0].Digest {
		t.Fatalf("digests differ across builds: %s %s %s", a[0].Digest, b[0].Digest, again[0].Digest)
	}
	if a[0].Created.Unix() != 0 {
		t.Errorf("created = %v, want the Unix epoch when SOURCE_DATE_EPOCH is unset", a[0].Created)
	}
}

func TestBuildCreatedTime(t *testing.T) {
	bin := fakeCorenf(t, 1024)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	fromEnv := build(t, newTestStore(t), bin, "dev", kinds("dn")...)[0]
	if fromEnv.Created.Unix() != 1700000000 {
		t.Errorf("created = %v, want SOURCE_DATE_EPOCH", fromEnv.Created)
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	sums, err := newTestStore(t).Build(context.Background(), BuildSpec{CorenfPath: bin, Kinds: kinds("dn"), Tag: "dev", Created: at})
	if err != nil {
		t.Fatal(err)
	}
	if !sums[0].Created.Equal(at) || sums[0].Digest == fromEnv.Digest {
		t.Errorf("explicit Created: %v %s, want %v and a digest other than %s", sums[0].Created, sums[0].Digest, at, fromEnv.Digest)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := newTestStore(t).Build(context.Background(), BuildSpec{CorenfPath: bin, Kinds: kinds("dn")}); err == nil {
		t.Error("Build accepted SOURCE_DATE_EPOCH=yesterday")
	}
}

// Rebuilding a tag replaces its index entry and collects the old blobs.
func TestRetagReplacesAndCollects(t *testing.T) {
	s := newTestStore(t)
	bin := fakeCorenf(t, 64<<10)
	old := build(t, s, bin, "dev", KindSpec{Name: "dn", DefaultConfig: []byte("a: 1\n")})
	cur := build(t, s, bin, "dev", KindSpec{Name: "dn", DefaultConfig: []byte("a: 2\n")})
	if old[0].Digest == cur[0].Digest {
		t.Fatal("changing the config did not change the digest")
	}
	im, err := s.readIndex()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != cur[0].Digest {
		t.Fatalf("index = %+v, want only %s", im.Manifests, cur[0].Digest)
	}
	if n := len(dirNames(t, s.blobDir())); n != 4 {
		t.Errorf("store holds %d blobs, want 4 (old image collected)", n)
	}
}

func TestResolveRefs(t *testing.T) {
	s := newTestStore(t)
	bin := fakeCorenf(t, 1024)
	sum := build(t, s, bin, "", kinds("dn")...)[0]
	build(t, s, bin, "dev", kinds("dn")...)
	for _, ref := range []string{"corebox/dn", "corebox/dn:latest", "corebox/dn@" + sum.Digest} {
		d, err := s.Resolve(ref)
		if err != nil {
			t.Errorf("Resolve(%q): %v", ref, err)
			continue
		}
		if d.Digest != sum.Digest {
			t.Errorf("Resolve(%q) = %s, want %s", ref, d.Digest, sum.Digest)
		}
	}
	for _, ref := range []string{"", "Corebox/DN", "corebox/dn@sha256:nothex", " corebox/dn"} {
		if _, err := s.Resolve(ref); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%q) = %v, want an invalid-reference error", ref, err)
		}
	}
}

func TestResolveNotFound(t *testing.T) {
	s := newTestStore(t)
	_, err := s.Resolve("corebox/upf:dev")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Resolve = %v, want ErrNotFound", err)
	}
	for _, want := range []string{"corebox/upf:dev", "corebox image ls", "corebox image build"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := s.Unpack(context.Background(), "corebox/upf:dev"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unpack = %v, want ErrNotFound", err)
	}
}

func TestBuildRejectsBadSpecs(t *testing.T) {
	s := newTestStore(t)
	bin := fakeCorenf(t, 16)
	for name, spec := range map[string]BuildSpec{
		"no binary":      {Kinds: kinds("dn")},
		"missing binary": {CorenfPath: filepath.Join(t.TempDir(), "nope"), Kinds: kinds("dn")},
		"binary is dir":  {CorenfPath: t.TempDir(), Kinds: kinds("dn")},
		"no kinds":       {CorenfPath: bin},
		"bad kind":       {CorenfPath: bin, Kinds: kinds("Bad/Kind")},
		"twice":          {CorenfPath: bin, Kinds: kinds("dn", "dn")},
		"bad tag":        {CorenfPath: bin, Kinds: kinds("dn"), Tag: "-x"},
	} {
		if _, err := s.Build(context.Background(), spec); err == nil {
			t.Errorf("%s: Build succeeded", name)
		}
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Errorf("after failed builds List = %v, %v; want empty", list, err)
	}
	assertOnly(t, s.stageRoot())
}

func TestRemoveCollectsOnlyUnshared(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	build(t, s, fakeCorenf(t, 64<<10), "dev", kinds("dn", "amf")...)
	dn, _ := s.Inspect("corebox/dn:dev")
	amf, _ := s.Inspect("corebox/amf:dev")
	for _, ref := range []string{"corebox/dn:dev", "corebox/amf:dev"} {
		if _, err := s.Unpack(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("corebox/dn:dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve("corebox/dn:dev"); !errors.Is(err, ErrNotFound) {
		t.Errorf("dn still resolves: %v", err)
	}
	blobs, layers := dirNames(t, s.blobDir()), dirNames(t, s.layerDir())
	if len(blobs) != 4 || len(layers) != 2 {
		t.Errorf("after removing dn: blobs %v, layers %v; want amf's 4 blobs and 2 layers", blobs, layers)
	}
	shared := strings.TrimPrefix(amf.Layers[0].DiffID, "sha256:")
	gone := strings.TrimPrefix(dn.Layers[1].DiffID, "sha256:")
	if !slices.Contains(layers, shared) || slices.Contains(layers, gone) {
		t.Errorf("layers %v: want shared %s kept and dn's %s gone", layers, shared, gone)
	}
	if _, err := s.Unpack(ctx, "corebox/amf:dev"); err != nil {
		t.Errorf("amf broken after removing dn: %v", err)
	}
	if err := s.Remove("corebox/amf"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove of the untagged name = %v, want ErrNotFound (amf is tagged dev)", err)
	}
	if err := s.Remove("corebox/amf:dev"); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, s.blobDir())
	assertOnly(t, s.layerDir())
}

// Two stores on one state root (the CLI and the daemon) build and remove
// concurrently; the flock keeps the index whole.
func TestConcurrentStoresShareOneRoot(t *testing.T) {
	root := t.TempDir()
	bin := fakeCorenf(t, 32<<10)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Go(func() {
			s, err := Open(root)
			if err != nil {
				errs <- err
				return
			}
			tag := []string{"a", "b", "c", "d"}[i]
			if _, err := s.Build(context.Background(), BuildSpec{CorenfPath: bin, Kinds: kinds("dn", "smf"), Tag: tag}); err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				errs <- s.Remove("corebox/smf:" + tag)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, l := range list {
		refs = append(refs, l.Ref)
	}
	want := []string{"corebox/dn:a", "corebox/dn:b", "corebox/dn:c", "corebox/dn:d", "corebox/smf:b", "corebox/smf:d"}
	if !slices.Equal(refs, want) {
		t.Errorf("refs = %v, want %v", refs, want)
	}
}

// The shared layer is a deterministic tar: sorted names, root-owned,
// fixed times, and a gzip header without name or time.
func TestSharedLayerIsDeterministic(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	s := newTestStore(t)
	build(t, s, fakeCorenf(t, 4096), "dev", kinds("dn")...)
	d, err := s.Inspect("corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(s.blobPath(strings.TrimPrefix(d.Layers[0].Digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.OS != 255 {
		t.Errorf("gzip header name=%q mtime=%v os=%d, want none", zr.Name, zr.ModTime, zr.OS)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 || h.Uname != "" {
			t.Errorf("%s: uid %d gid %d mtime %v uname %q", h.Name, h.Uid, h.Gid, h.ModTime, h.Uname)
		}
	}
	want := []string{"dev/", "etc/", "etc/corebox/", "proc/", "sys/", "tmp/", "usr/", "usr/local/", "usr/local/bin/",
		"usr/local/bin/corenf", "var/", "var/lib/", "var/lib/corebox/"}
	if !slices.Equal(names, want) {
		t.Errorf("shared layer holds %q, want %q", names, want)
	}
}
