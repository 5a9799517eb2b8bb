package image

import (
	"errors"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// tagged is an index entry to be: ref pointing at a manifest.
type tagged struct {
	ref  string
	desc v1.Descriptor
}

// commit moves st's blobs into the store, points each ref at its
// manifest (replacing what the ref named before) and drops blobs no
// image needs any more, all under the exclusive store lock.
func (s *Store) commit(st *stage, tags []tagged) error {
	return s.withLock(true, func() error {
		if err := s.adopt(st); err != nil {
			return err
		}
		im, err := s.readIndex()
		if err != nil {
			return err
		}
		for _, t := range tags {
			if err := s.checkComplete(t); err != nil {
				return err
			}
			setRef(im, t.ref, t.desc)
		}
		if err := s.writeIndex(im); err != nil {
			return err
		}
		return s.gc(im)
	})
}

// adopt renames the staged blobs into the store (same filesystem), then
// syncs the blob directory so the index never names a blob a crash lost.
func (s *Store) adopt(st *stage) error {
	ents, err := os.ReadDir(st.dir)
	if err != nil {
		return fmt.Errorf("commit staged blobs: %w", err)
	}
	for _, e := range ents {
		if _, err := v1.NewHash("sha256:" + e.Name()); err != nil {
			continue // the stage's lock and partial files
		}
		if err := os.Rename(st.path(e.Name()), s.blobPath(e.Name())); err != nil {
			return fmt.Errorf("commit blob sha256:%s: %w", e.Name(), err)
		}
	}
	return syncDir(s.blobDir())
}

// checkComplete makes sure every blob t's image needs is in the store.
// A blob a writer skipped because it was present may have been collected
// since; the caller then only has to retry.
func (s *Store) checkComplete(t tagged) error {
	if r, err := parseRef(t.ref); err != nil {
		return fmt.Errorf("tag %s: %w", t.ref, err)
	} else if r.digest != "" && r.digest != t.desc.Digest.String() {
		return fmt.Errorf("tag %s: the image's digest is %s", t.ref, t.desc.Digest)
	}
	img, err := s.readImage(t.desc)
	if err != nil {
		return fmt.Errorf("tag %s: %w", t.ref, err)
	}
	for _, l := range img.manifest.Layers {
		if _, err := os.Stat(s.blobPath(l.Digest.Hex)); err != nil {
			return fmt.Errorf("tag %s: layer %s missing (removed concurrently? retry): %w", t.ref, l.Digest, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// hasBlob reports whether the store already holds h, so writers can skip it.
func (s *Store) hasBlob(h v1.Hash) bool {
	_, err := os.Stat(s.blobPath(h.Hex))
	return err == nil
}
