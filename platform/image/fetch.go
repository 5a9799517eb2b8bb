package image

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// stageRemoteImage stages img's layers (except those have reports present), config and manifest, verifying each digest; progress may be nil.
func stageRemoteImage(st *stage, img v1.Image, have func(v1.Hash) bool, progress func(string)) (v1.Descriptor, error) {
	layers, err := img.Layers()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, l := range layers {
		if err := stageLayer(st, l, have, progress); err != nil {
			return v1.Descriptor{}, err
		}
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("config: %w", err)
	}
	if _, err := st.putBytes(rawCfg); err != nil {
		return v1.Descriptor{}, err
	}
	rawMan, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("manifest: %w", err)
	}
	h, err := st.putBytes(rawMan)
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("manifest media type: %w", err)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(rawMan))}, nil
}

func stageLayer(st *stage, l v1.Layer, have func(v1.Hash) bool, progress func(string)) error {
	d, err := l.Digest()
	if err != nil {
		return fmt.Errorf("layer digest: %w", err)
	}
	if have != nil && have(d) {
		return nil
	}
	size, err := l.Size()
	if err != nil {
		return fmt.Errorf("layer %s size: %w", d, err)
	}
	if progress != nil {
		progress(fmt.Sprintf("fetching layer %s (%s)", d, humanSize(size)))
	}
	rc, err := l.Compressed()
	if err != nil {
		return fmt.Errorf("layer %s: %w", d, err)
	}
	_, _, err = st.writeBlob(rc, d)
	return errors.Join(err, rc.Close())
}
