package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

func (s *Store) remove(ref string) error {
	r, err := parseRef(ref)
	if err != nil {
		return err
	}
	return s.withLock(true, func() error {
		im, err := s.readIndex()
		if err != nil {
			return err
		}
		kept := make([]v1.Descriptor, 0, len(im.Manifests))
		for _, d := range im.Manifests {
			if !r.matches(refOf(d), d.Digest) {
				kept = append(kept, d)
			}
		}
		if len(kept) == len(im.Manifests) {
			return notFound(r.String())
		}
		im.Manifests = kept
		if err := s.writeIndex(im); err != nil {
			return fmt.Errorf("remove %s: %w", r, err)
		}
		return s.gc(im)
	})
}

// gc removes blobs, unpacked layers and dead stages that no index entry
// needs. The caller holds the exclusive store lock, so no unpack (shared
// lock) is in flight and every layer temp dir is a crash leftover.
func (s *Store) gc(im *indexManifest) error {
	blobs, layers, err := s.reachable(im)
	if err != nil {
		return fmt.Errorf("garbage-collect: %w (nothing was deleted)", err)
	}
	return errors.Join(
		s.sweep(s.blobDir(), blobs),
		s.sweep(s.layerDir(), layers),
		s.sweepStages(),
	)
}

// reachable lists the blob and diffID hexes the index needs.
func (s *Store) reachable(im *indexManifest) (blobs, layers map[string]bool, err error) {
	blobs, layers = map[string]bool{}, map[string]bool{}
	for _, d := range im.Manifests {
		img, err := s.readImage(d)
		if err != nil {
			return nil, nil, err
		}
		blobs[d.Digest.Hex] = true
		blobs[img.manifest.Config.Digest.Hex] = true
		for i, l := range img.manifest.Layers {
			blobs[l.Digest.Hex] = true
			layers[img.config.RootFS.DiffIDs[i].Hex] = true
		}
	}
	return blobs, layers, nil
}

func (s *Store) sweep(dir string, keep map[string]bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("garbage-collect %s: %w", dir, err)
	}
	var errs []error
	for _, e := range ents {
		if !keep[e.Name()] {
			errs = append(errs, removeTree(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// sweepStages removes stages whose writer is gone (its flock is free).
func (s *Store) sweepStages() error {
	ents, err := os.ReadDir(s.stageRoot())
	if err != nil {
		return fmt.Errorf("garbage-collect stages: %w", err)
	}
	var errs []error
	for _, e := range ents {
		dir := filepath.Join(s.stageRoot(), e.Name())
		if !e.IsDir() {
			errs = append(errs, removeTree(dir))
			continue
		}
		l, err := lockFile(filepath.Join(dir, ".lock"), unix.LOCK_EX|unix.LOCK_NB)
		if errors.Is(err, unix.EWOULDBLOCK) {
			continue // a live writer
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, removeTree(dir), l.release())
	}
	return errors.Join(errs...)
}
