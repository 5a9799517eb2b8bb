package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var digestPattern = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// imageDigest is the digest `corebox image inspect` reports.
func imageDigest(c *cli, ref string) string {
	c.t.Helper()
	var img struct{ Ref, Digest string }
	c.jsonOf(&img, "image", "inspect", ref)
	if !digestPattern.MatchString(img.Digest) {
		c.t.Fatalf("image inspect %s: digest %q", ref, img.Digest)
	}
	return img.Digest
}

// removeImage removes ref and checks the store no longer knows it.
func removeImage(c *cli, ref string) {
	c.t.Helper()
	c.ok("image", "rm", ref)
	c.fails("image", "inspect", ref)
}

// TestImagePushPull pushes an image to a registry on loopback, removes it
// locally, pulls it back, and runs a container from the pulled image.
func TestImagePushPull(t *testing.T) {
	c := setup(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	remote := strings.TrimPrefix(srv.URL, "http://") + "/corebox/dn:e2e"

	before := imageDigest(c, "corebox/dn:e2e")
	out := c.ok("image", "push", "corebox/dn:e2e", remote, "--insecure")
	pushed := digestPattern.FindString(out)
	if pushed == "" {
		t.Fatalf("image push printed no digest:\n%s", out)
	}
	if pushed != before {
		t.Errorf("push printed %s, the local image is %s", pushed, before)
	}

	removeImage(c, "corebox/dn:e2e")
	out = c.ok("image", "pull", remote, "--insecure", "--as", "corebox/dn:e2e")
	if d := digestPattern.FindString(out); d != pushed {
		t.Errorf("pull printed %q, want %s:\n%s", d, pushed, out)
	}
	if got := imageDigest(c, "corebox/dn:e2e"); got != pushed {
		t.Fatalf("pulled image digest %s, pushed %s", got, pushed)
	}

	// The pulled image runs: its dn answers echo on loopback.
	ctr := c.runCtr("pulled", "--image", "corebox/dn:e2e")
	if ctr.ImageDigest != pushed {
		t.Errorf("container runs image %s, want the pulled %s", ctr.ImageDigest, pushed)
	}
	echo(t, c, "pulled", "127.0.0.1", "7")
}

// TestImageSaveLoad writes images to a tarball, removes them and loads
// them back with the same digests.
func TestImageSaveLoad(t *testing.T) {
	c := setup(t)
	refs := []string{"corebox/dn:e2e", "corebox/probe:e2e"}
	before := map[string]string{}
	for _, r := range refs {
		before[r] = imageDigest(c, r)
	}
	file := filepath.Join(t.TempDir(), "images.tar")
	c.ok(append([]string{"image", "save", "-o", file}, refs...)...)
	for _, r := range refs {
		removeImage(c, r)
	}
	out := c.ok("image", "load", "-i", file)
	for _, r := range refs {
		if !strings.Contains(out, r) {
			t.Errorf("image load does not name %s:\n%s", r, out)
		}
		if got := imageDigest(c, r); got != before[r] {
			t.Errorf("%s: loaded digest %s, saved %s", r, got, before[r])
		}
	}
}

// TestMalformedImageRefused loads images whose layer tries to escape its
// directory or make a device, and runs them (layers are unpacked on first
// run): the run is refused naming the entry, and nothing is left on disk.
// Every escape aims at a canary directory of the test, never at a real path.
func TestMalformedImageRefused(t *testing.T) {
	c := setup(t)
	// The canary sits beside the state root: a layer unpacked in
	// <root>/layers/sha256/<tmp> reaches it four levels up.
	canary := filepath.Join(filepath.Dir(c.root), "canary")
	if err := os.Mkdir(canary, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(canary, "passwd"), []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	escapeToCanary := "../../../../" + filepath.Base(canary) + "/escape"

	cases := []struct {
		name    string
		entries []tar.Header
		entry   string // the entry the error must name
	}{
		{"dotdot", []tar.Header{okFile(), {Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644}}, "../escape"},
		{"dotdot-to-canary", []tar.Header{okFile(), {Name: escapeToCanary, Typeflag: tar.TypeReg, Mode: 0o644}}, escapeToCanary},
		{"chardev", []tar.Header{okFile(), {Name: "dev/evil", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3}}, "dev/evil"},
		{"blockdev", []tar.Header{okFile(), {Name: "dev/disk", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 7, Devminor: 0}}, "dev/disk"},
		{"symlink-escape", []tar.Header{
			okFile(),
			{Name: "evil", Typeflag: tar.TypeSymlink, Linkname: canary, Mode: 0o777},
			{Name: "evil/passwd", Typeflag: tar.TypeReg, Mode: 0o644},
		}, "evil/passwd"},
		{"relative-symlink-escape", []tar.Header{
			okFile(),
			{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../../" + filepath.Base(canary), Mode: 0o777},
			{Name: "up/passwd", Typeflag: tar.TypeReg, Mode: 0o644},
		}, "up"},
		{"hardlink-escape", []tar.Header{okFile(), {Name: "etc/hl", Typeflag: tar.TypeLink, Linkname: "../../../../" + filepath.Base(canary) + "/passwd"}}, "etc/hl"},
	}
	dir := t.TempDir()
	layersBefore := dirEntries(t, filepath.Join(c.root, "layers", "sha256"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c.on(t)
			ref := "corebox/evil-" + tc.name + ":e2e"
			file := filepath.Join(dir, tc.name+".tar")
			writeDockerArchive(t, file, ref, tc.entries)

			// Loading only stores blobs; if it already refuses the layer,
			// that is fine too, as long as it names the entry.
			out, errOut, code := c.run("", "image", "load", "-i", file)
			if code != 0 {
				wantAll(t, "image load of "+tc.name, errOut, tc.entry)
			} else {
				if !strings.Contains(out, ref) {
					t.Errorf("image load does not name %s:\n%s", ref, out)
				}
				errOut := c.fails("run", "--name", "evil-"+tc.name, "--image", ref)
				wantAll(t, "run of "+tc.name, errOut, tc.entry, "unsafe")
				c.ok("image", "rm", ref)
			}

			if names := c.psNames(); len(names) != 0 {
				t.Errorf("ps shows %v after the refused run", names)
			}
			if got := dirEntries(t, filepath.Join(c.root, "layers", "sha256")); !slices.Equal(got, layersBefore) {
				t.Errorf("layers/sha256 holds %v after the refused layer, before %v", got, layersBefore)
			}
			if got := dirEntries(t, filepath.Join(c.root, "layers")); !slices.Equal(got, []string{"sha256"}) {
				t.Errorf("layers/ holds %v, want only sha256", got)
			}
			if got := dirEntries(t, filepath.Join(c.root, "images", ".tmp")); len(got) > 0 {
				t.Errorf("images/.tmp holds %v after the load", got)
			}
			assertNoContainerState(t, c.root)
			assertCanary(t, canary)
		})
	}
	if got := dirEntries(t, filepath.Dir(c.root)); slices.Contains(got, "escape") {
		t.Errorf("a layer wrote %s", filepath.Join(filepath.Dir(c.root), "escape"))
	}
}

// okFile is a harmless entry before the bad one, so a refusal must also
// undo what it already wrote.
func okFile() tar.Header {
	return tar.Header{Name: "etc/ok", Typeflag: tar.TypeReg, Mode: 0o644}
}

// assertCanary fails t unless the canary holds exactly its passwd file,
// unchanged.
func assertCanary(t *testing.T, canary string) {
	t.Helper()
	if got := dirEntries(t, canary); !slices.Equal(got, []string{"passwd"}) {
		t.Errorf("canary %s holds %v, want only passwd", canary, got)
	}
	if b, err := os.ReadFile(filepath.Join(canary, "passwd")); err != nil || string(b) != "original\n" {
		t.Errorf("canary passwd = %q (%v), want it unchanged", b, err)
	}
}

// writeDockerArchive writes a docker-archive (manifest.json, as `docker
// save` makes) of a one-layer image named ref whose layer holds entries;
// every regular file holds "pwned\n".
func writeDockerArchive(t *testing.T, file, ref string, entries []tar.Header) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		var body []byte
		if h.Typeflag == tar.TypeReg {
			body = []byte("pwned\n")
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layerTar := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config = v1.Config{Entrypoint: []string{"/etc/ok"}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.Write(tag, img, f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPushForKubernetes pushes a profile's kind images with --registry and
// renders the profile for Kubernetes naming them by the pushed digests.
func TestPushForKubernetes(t *testing.T) {
	c := setup(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")

	out := c.ok("image", "push", "--registry", reg, "--tag", "e2e", "--profile", "demo", "--insecure")
	for _, kind := range []string{"dn", "probe"} {
		want := reg + "/corebox/" + kind + ":e2e@" + imageDigest(c, "corebox/"+kind+":e2e")
		if !strings.Contains(out, want) {
			t.Errorf("push --registry did not print %s:\n%s", want, out)
		}
	}
	manifests := c.ok("render", "--target", "kubernetes", "demo", "--registry", reg, "--tag", "e2e", "--insecure")
	for _, kind := range []string{"dn", "probe"} {
		want := "image: " + reg + "/corebox/" + kind + "@" + imageDigest(c, "corebox/"+kind+":e2e")
		if !strings.Contains(manifests, want) {
			t.Errorf("rendered manifests lack %q", want)
		}
	}
	if strings.Contains(manifests, ":e2e") {
		t.Errorf("rendered manifests still name an image by tag")
	}
	msg := c.fails("render", "--target", "kubernetes", "demo", "--registry", reg, "--tag", "nosuch", "--insecure")
	wantAll(t, "render with unpushed images", msg, "corebox image push --registry", "nosuch")
}
