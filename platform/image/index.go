package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// refAnnotation names an index entry, as the OCI image layout spec says.
const refAnnotation = "org.opencontainers.image.ref.name"

type indexManifest = v1.IndexManifest

func (s *Store) readIndex() (*indexManifest, error) {
	b, err := os.ReadFile(s.indexPath())
	if err != nil {
		return nil, fmt.Errorf("read image index: %w", err)
	}
	var im indexManifest
	if err := json.Unmarshal(b, &im); err != nil {
		return nil, fmt.Errorf("read image index %s: %w (the store is damaged; move it aside and rebuild or pull the images)", s.indexPath(), err)
	}
	return &im, nil
}

func (s *Store) writeIndex(im *indexManifest) error {
	if im.Manifests == nil {
		im.Manifests = []v1.Descriptor{}
	}
	b, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return fmt.Errorf("encode image index: %w", err)
	}
	return writeFileAtomic(s.indexPath(), append(b, '\n'))
}

func refOf(d v1.Descriptor) string { return d.Annotations[refAnnotation] }

// lookup finds the entry r names.
func lookup(im *indexManifest, r reference) (v1.Descriptor, bool) {
	for _, d := range im.Manifests {
		if r.matches(refOf(d), d.Digest) {
			return d, true
		}
	}
	return v1.Descriptor{}, false
}

// setRef points ref at desc, replacing whatever ref named before, so an
// index never holds two entries with one ref.
func setRef(im *indexManifest, ref string, desc v1.Descriptor) {
	kept := im.Manifests[:0]
	for _, d := range im.Manifests {
		if refOf(d) != ref {
			kept = append(kept, d)
		}
	}
	desc.Annotations = map[string]string{refAnnotation: ref}
	im.Manifests = append(kept, desc)
}

// readBlob reads a blob of the store.
func (s *Store) readBlob(h v1.Hash) ([]byte, error) {
	b, err := os.ReadFile(s.blobPath(h.Hex))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return b, nil
}

// image is one stored image with its manifest and config parsed.
type image struct {
	ref      string
	desc     v1.Descriptor
	manifest *v1.Manifest
	config   *v1.ConfigFile
}

// parsedImage is the immutable part of an image: its manifest and config.
type parsedImage struct {
	manifest *v1.Manifest
	config   *v1.ConfigFile
}

// readImage parses an index entry's manifest and config. Both are
// content-addressed and their digests are checked on first read, so the
// parsed result is cached for good: container starts skip the JSON.
func (s *Store) readImage(desc v1.Descriptor) (*image, error) {
	if p, ok := s.parsed.Load(desc.Digest); ok {
		p := p.(*parsedImage)
		return &image{ref: refOf(desc), desc: desc, manifest: p.manifest, config: p.config}, nil
	}
	if !desc.MediaType.IsImage() {
		return nil, fmt.Errorf("image %s: %s is not an image manifest", refOf(desc), desc.MediaType)
	}
	raw, err := s.readVerified(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: manifest: %w", refOf(desc), err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image %s: parse manifest %s: %w", refOf(desc), desc.Digest, err)
	}
	rawCfg, err := s.readVerified(m.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", refOf(desc), err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, fmt.Errorf("image %s: parse config %s: %w", refOf(desc), m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image %s: config lists %d diff IDs for %d layers", refOf(desc), len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	s.parsed.Store(desc.Digest, &parsedImage{manifest: m, config: cfg})
	return &image{ref: refOf(desc), desc: desc, manifest: m, config: cfg}, nil
}

// readVerified reads a small blob and checks it is what its name says.
func (s *Store) readVerified(h v1.Hash) ([]byte, error) {
	b, err := s.readBlob(h)
	if err != nil {
		return nil, err
	}
	if got := sha256.Sum256(b); h.Algorithm != "sha256" || hex.EncodeToString(got[:]) != h.Hex {
		return nil, fmt.Errorf("blob %s is corrupt (content does not match its digest); remove the image and build or pull it again", h)
	}
	return b, nil
}

// size counts every blob the image needs.
func (img *image) size() int64 {
	n := img.desc.Size + img.manifest.Config.Size
	for _, l := range img.manifest.Layers {
		n += l.Size
	}
	return n
}

func (img *image) summary() Summary {
	return Summary{
		Ref:     img.ref,
		Digest:  img.desc.Digest.String(),
		Size:    img.size(),
		Created: img.config.Created.Time,
		Layers:  len(img.manifest.Layers),
	}
}

func (img *image) details() *Details {
	c := img.config.Config
	d := &Details{
		Ref:          img.ref,
		Digest:       img.desc.Digest.String(),
		Size:         img.size(),
		Created:      img.config.Created.Time,
		OS:           img.config.OS,
		Architecture: img.config.Architecture,
		// Copies: the parsed config is cached and shared between callers.
		Config: ImageConfig{
			Entrypoint: slices.Clone(c.Entrypoint), Cmd: slices.Clone(c.Cmd), Env: slices.Clone(c.Env),
			WorkingDir: c.WorkingDir, User: c.User, Labels: maps.Clone(c.Labels),
		},
	}
	for i, l := range img.manifest.Layers {
		d.Layers = append(d.Layers, LayerInfo{
			Digest:    l.Digest.String(),
			DiffID:    img.config.RootFS.DiffIDs[i].String(),
			Size:      l.Size,
			MediaType: string(l.MediaType),
		})
	}
	return d
}
