package image

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// testRegistry serves an in-memory OCI registry on 127.0.0.1 and returns
// its host:port.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	if !strings.HasPrefix(host, "127.0.0.1:") {
		t.Fatalf("test registry listens on %s, want loopback", host)
	}
	return host
}

func TestPushRemovePullSameDigest(t *testing.T) {
	ctx := context.Background()
	host := testRegistry(t)
	s := newTestStore(t)
	sum := build(t, s, fakeCorenf(t, 256<<10), "dev", kinds("dn")...)[0]
	var msgs []string
	opts := RemoteOptions{Insecure: true, Progress: func(m string) { msgs = append(msgs, m) }}
	dest := host + "/corebox/dn:dev"
	digest, err := s.Push(ctx, "corebox/dn:dev", dest, opts)
	if err != nil {
		t.Fatal(err)
	}
	if digest != sum.Digest {
		t.Fatalf("pushed digest %s, built %s", digest, sum.Digest)
	}
	if len(msgs) < 2 {
		t.Errorf("push progress %q, want several messages", msgs)
	}
	if err := s.Remove("corebox/dn:dev"); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, s.blobDir())
	pulled, err := s.Pull(ctx, dest, "corebox/dn:dev", opts)
	if err != nil {
		t.Fatal(err)
	}
	if pulled.Digest != sum.Digest || pulled.Ref != "corebox/dn:dev" || pulled.Layers != 2 {
		t.Fatalf("pulled %+v, want %s", pulled, sum.Digest)
	}
	if _, err := s.Unpack(ctx, "corebox/dn:dev"); err != nil {
		t.Fatalf("unpack pulled image: %v", err)
	}
	// Without a local name the image keeps its remote one.
	again, err := s.Pull(ctx, dest, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ref != dest || again.Digest != sum.Digest {
		t.Errorf("pull without local name = %+v, want ref %s", again, dest)
	}
	byDigest := host + "/corebox/dn@" + sum.Digest
	if p, err := s.Pull(ctx, byDigest, "", opts); err != nil || p.Ref != byDigest {
		t.Errorf("pull by digest = %+v, %v; want ref %s", p, err, byDigest)
	}
	wrong := "corebox/dn@sha256:" + strings.Repeat("0", 64)
	if _, err := s.Pull(ctx, dest, wrong, opts); err == nil {
		t.Errorf("pull named %s succeeded although the digest differs", wrong)
	}
	checkLayoutValid(t, s, 3)
	if n := len(dirNames(t, s.blobDir())); n != 4 {
		t.Errorf("store holds %d blobs after pulling one image twice, want 4", n)
	}
}

func TestPullRefusesOtherPlatform(t *testing.T) {
	host := testRegistry(t)
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "s390x"
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/other/arch:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	s := newTestStore(t)
	_, err = s.Pull(context.Background(), ref.String(), "", RemoteOptions{Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "s390x") {
		t.Fatalf("Pull = %v, want a platform error naming s390x", err)
	}
	assertOnly(t, s.blobDir())
}

func TestPushPullErrors(t *testing.T) {
	ctx := context.Background()
	host := testRegistry(t)
	s := newTestStore(t)
	if _, err := s.Push(ctx, "corebox/nope:dev", host+"/x:1", RemoteOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Push of unknown image = %v, want ErrNotFound", err)
	}
	if _, err := s.Pull(ctx, host+"/missing/image:1", "", RemoteOptions{Insecure: true}); err == nil {
		t.Error("Pull of a missing image succeeded")
	}
	if _, err := s.Push(ctx, "corebox/nope:dev", "not a ref", RemoteOptions{}); err == nil {
		t.Error("Push to an invalid destination succeeded")
	}
}
