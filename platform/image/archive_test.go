package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newTestStore(t)
	sums := build(t, src, fakeCorenf(t, 128<<10), "dev", kinds("dn", "amf")...)
	var buf bytes.Buffer
	if err := src.Save(ctx, []string{"corebox/dn:dev", "corebox/amf:dev"}, &buf); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()
	var again bytes.Buffer
	if err := src.Save(ctx, []string{"corebox/dn:dev", "corebox/amf:dev"}, &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(archive, again.Bytes()) {
		t.Error("saving the same images twice gave different archives")
	}

	dst := newTestStore(t)
	refs, err := dst.Load(ctx, bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refs, []string{"corebox/dn:dev", "corebox/amf:dev"}) {
		t.Errorf("Load returned %v", refs)
	}
	for _, sum := range sums {
		d, err := dst.Resolve(sum.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest != sum.Digest {
			t.Errorf("%s: loaded digest %s, saved %s", sum.Ref, d.Digest, sum.Digest)
		}
		if _, err := dst.Unpack(ctx, sum.Ref); err != nil {
			t.Errorf("unpack loaded %s: %v", sum.Ref, err)
		}
	}
	checkLayoutValid(t, dst, 2)
	if n := len(dirNames(t, dst.blobDir())); n != 7 {
		t.Errorf("loaded store holds %d blobs, want 7 (shared layer once)", n)
	}
	assertOnly(t, dst.stageRoot())
}

// The archive doubles as a docker-archive: go-containerregistry's
// tarball reader (what `docker load` style tools use) finds the images.
func TestSaveIsADockerArchive(t *testing.T) {
	s := newTestStore(t)
	sum := build(t, s, fakeCorenf(t, 4096), "dev", kinds("dn")...)[0]
	path := filepath.Join(t.TempDir(), "images.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(s.Save(context.Background(), []string{"corebox/dn:dev"}, f), f.Close()); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("corebox/dn:dev")
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Inspect(sum.Ref)
	if layers, err := img.Layers(); err != nil || len(layers) != 2 {
		t.Errorf("docker view: %d layers, %v", len(layers), err)
	}
	if cfg.String() == "" || d.Digest != sum.Digest {
		t.Errorf("docker view config %s", cfg)
	}
}

// A plain docker-archive (no index.json) loads too; its manifest is
// rebuilt, so only the config digest is compared.
func TestLoadDockerArchive(t *testing.T) {
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("example/tool:1.0")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tarball.Write(tag, img, &buf); err != nil {
		t.Fatal(err)
	}
	s := newTestStore(t)
	refs, err := s.Load(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refs, []string{"example/tool:1.0"}) {
		t.Fatalf("Load = %v", refs)
	}
	d, err := s.Inspect("example/tool:1.0")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.ConfigFile()
	if len(d.Layers) != 2 || d.Layers[0].DiffID != want.RootFS.DiffIDs[0].String() {
		t.Errorf("loaded %+v, want diffIDs %v", d.Layers, want.RootFS.DiffIDs)
	}
}

// A blob whose bytes do not match its name is refused and nothing is tagged.
func TestLoadRefusesTamperedBlob(t *testing.T) {
	ctx := context.Background()
	src := newTestStore(t)
	build(t, src, fakeCorenf(t, 4096), "dev", kinds("dn")...)
	var buf bytes.Buffer
	if err := src.Save(ctx, []string{"corebox/dn:dev"}, &buf); err != nil {
		t.Fatal(err)
	}
	tampered := rewriteTar(t, buf.Bytes(), func(h *tar.Header, body []byte) []byte {
		if strings.HasPrefix(h.Name, "blobs/") && len(body) > 100 {
			body = append([]byte{}, body...)
			body[len(body)/2] ^= 0xff
		}
		return body
	})
	dst := newTestStore(t)
	if _, err := dst.Load(ctx, bytes.NewReader(tampered)); err == nil || !strings.Contains(err.Error(), "expected sha256:") {
		t.Fatalf("Load of a tampered archive = %v, want a digest error", err)
	}
	if list, err := dst.List(); err != nil || len(list) != 0 {
		t.Errorf("after refused load List = %v, %v", list, err)
	}
	assertOnly(t, dst.blobDir())
	assertOnly(t, dst.stageRoot())
}

func TestLoadRejectsNonArchive(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.Load(context.Background(), bytes.NewReader(buildTar(t, regEntry("hello", "x")))); err == nil {
		t.Error("Load of a tar without index.json or manifest.json succeeded")
	}
	if err := s.Save(context.Background(), nil, io.Discard); err == nil {
		t.Error("Save of no images succeeded")
	}
}

func rewriteTar(t *testing.T, data []byte, edit func(*tar.Header, []byte) []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		body = edit(h, body)
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
