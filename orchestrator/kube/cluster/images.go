package cluster

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/corebox/corebox/profiles"
)

// Kinds is every corebox kind image a profile runs (NFs with their own
// image aside), sorted.
func Kinds(p *profiles.Profile) []string {
	var out []string
	for _, nf := range p.NFs {
		if nf.Image == "" && nf.Kind != "" && !slices.Contains(out, nf.Kind) {
			out = append(out, nf.Kind)
		}
	}
	slices.Sort(out)
	return out
}

// RegistryRef is where `corebox image push --registry` puts a kind image.
func RegistryRef(registry, kind, tag string) string {
	return registry + "/corebox/" + kind + ":" + tag
}

// ResolveImages asks the registry for the digest of each kind's image at
// tag, so manifests name exactly what was pushed (REG/corebox/KIND@sha256:…).
func ResolveImages(ctx context.Context, registry, tag string, kinds []string, insecure bool) (map[string]string, error) {
	var nameOpts []name.Option
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	out := map[string]string{}
	for _, k := range kinds {
		ref, err := name.ParseReference(RegistryRef(registry, k, tag), nameOpts...)
		if err != nil {
			return nil, fmt.Errorf("image of %s in %s: %w", k, registry, err)
		}
		desc, err := remote.Head(ref, remote.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("digest of %s (push it first: corebox image push --registry %s --tag %s): %w", ref, registry, tag, err)
		}
		out[k] = ref.Context().Digest(desc.Digest.String()).String()
	}
	return out, nil
}
