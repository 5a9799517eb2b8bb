package cluster

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/corebox/corebox/profiles"
)

func TestResolveImagesByDigest(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(RegistryRef(host, "amf", "v1"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ResolveImages(ctx, host, "v1", []string{"amf"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got["amf"] != host+"/corebox/amf@"+want.String() {
		t.Errorf("amf resolves to %q, want %s/corebox/amf@%s", got["amf"], host, want)
	}
	_, err = ResolveImages(ctx, host, "v1", []string{"amf", "smf"}, true)
	if err == nil || !strings.Contains(err.Error(), "corebox image push --registry") {
		t.Errorf("missing smf image: %v, want a hint to push", err)
	}
}

func TestKindsOfProfile(t *testing.T) {
	p := &profiles.Profile{NFs: []profiles.NF{{Name: "a", Kind: "upf"}, {Name: "b", Kind: "amf"}, {Name: "c", Kind: "upf"}, {Name: "d", Image: "x/y:1"}}}
	if got := Kinds(p); strings.Join(got, ",") != "amf,upf" {
		t.Errorf("kinds %v", got)
	}
}
