package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const (
	corenfPath = "/usr/local/bin/corenf"
	configDir  = "/etc/corebox"
	imageRepo  = "corebox/"
)

var (
	kindPattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)
	tagPattern  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

func (s *Store) build(ctx context.Context, spec BuildSpec) (sums []Summary, err error) {
	tag, err := spec.check()
	if err != nil {
		return nil, err
	}
	created, err := buildTime(spec.Created)
	if err != nil {
		return nil, err
	}
	progress := progressFunc(spec.Progress)
	bin, err := fileEntry(corenfPath[1:], 0o755, spec.CorenfPath)
	if err != nil {
		return nil, fmt.Errorf("build images: corenf binary: %w (build it with CGO_ENABLED=0 go build ./cmd/corenf)", err)
	}
	st, err := s.newStage()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, st.close()) }()

	progress(fmt.Sprintf("packing corenf (%s) into the shared layer", humanSize(bin.size)))
	shared, err := st.writeLayer(ctx, sharedEntries(bin), created)
	if err != nil {
		return nil, fmt.Errorf("build shared corenf layer: %w", err)
	}
	progress(fmt.Sprintf("shared layer %s (%s compressed)", shared.digest, humanSize(shared.size)))
	var tags []tagged
	for _, k := range spec.Kinds {
		t, sum, err := s.buildKind(ctx, st, k, tag, created, shared)
		if err != nil {
			return nil, fmt.Errorf("build image for kind %s: %w", k.Name, err)
		}
		progress(fmt.Sprintf("image %s %s", sum.Ref, sum.Digest))
		tags, sums = append(tags, t), append(sums, sum)
	}
	progress(fmt.Sprintf("storing %d images", len(tags)))
	if err := s.commit(st, tags); err != nil {
		return nil, fmt.Errorf("build images: %w", err)
	}
	return sums, nil
}

// buildKind stages one kind's config layer, image config and manifest.
func (s *Store) buildKind(ctx context.Context, st *stage, k KindSpec, tag string, created time.Time, shared builtLayer) (tagged, Summary, error) {
	cfgFile := fmt.Sprintf("%s/%s.yaml", configDir, k.Name)
	kl, err := st.writeLayer(ctx, []layerEntry{
		dirEntry(configDir[1:], 0o755),
		bytesEntry(cfgFile[1:], 0o644, k.DefaultConfig),
	}, created)
	if err != nil {
		return tagged{}, Summary{}, err
	}
	cfg := kindConfig(k.Name, tag, cfgFile, created, []builtLayer{shared, kl})
	desc, size, err := stageImage(st, cfg, []builtLayer{shared, kl})
	if err != nil {
		return tagged{}, Summary{}, err
	}
	ref := imageRepo + k.Name + ":" + tag
	sum := Summary{Ref: ref, Digest: desc.Digest.String(), Size: size, Created: created, Layers: 2}
	return tagged{ref: ref, desc: desc}, sum, nil
}

// check validates the spec and returns the tag to use.
func (spec BuildSpec) check() (string, error) {
	if spec.CorenfPath == "" {
		return "", errors.New("build images: no corenf binary given")
	}
	if len(spec.Kinds) == 0 {
		return "", errors.New("build images: no NF kinds given")
	}
	seen := map[string]bool{}
	for _, k := range spec.Kinds {
		if len(k.Name) > 63 || !kindPattern.MatchString(k.Name) {
			return "", fmt.Errorf("build images: kind %q: want lower-case letters, digits and single '.', '_' or '-' (at most 63)", k.Name)
		}
		if seen[k.Name] {
			return "", fmt.Errorf("build images: kind %q listed twice", k.Name)
		}
		seen[k.Name] = true
	}
	tag := spec.Tag
	if tag == "" {
		tag = "latest"
	}
	if !tagPattern.MatchString(tag) {
		return "", fmt.Errorf("build images: tag %q: want letters, digits, '_', '.' or '-', not starting with '.' or '-'", tag)
	}
	return tag, nil
}

// buildTime fixes the image creation time so rebuilds are reproducible.
func buildTime(t time.Time) (time.Time, error) {
	if !t.IsZero() {
		return t.UTC().Truncate(time.Second), nil
	}
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("build images: SOURCE_DATE_EPOCH=%q is not a non-negative number of seconds", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func progressFunc(f func(string)) func(string) {
	if f == nil {
		return func(string) {}
	}
	return f
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// diffIDs lists the layers' uncompressed digests, bottom first.
func diffIDs(layers []builtLayer) []v1.Hash {
	out := make([]v1.Hash, len(layers))
	for i, l := range layers {
		out[i] = l.diffID
	}
	return out
}
