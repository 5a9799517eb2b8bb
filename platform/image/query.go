package image

import (
	"fmt"
	"sort"
)

func (s *Store) list() ([]Summary, error) {
	var out []Summary
	err := s.withLock(false, func() error {
		im, err := s.readIndex()
		if err != nil {
			return err
		}
		for _, d := range im.Manifests {
			img, err := s.readImage(d)
			if err != nil {
				return fmt.Errorf("list images: %w", err)
			}
			out = append(out, img.summary())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out, nil
}

func (s *Store) resolve(ref string) (*Details, error) {
	var img *image
	err := s.withLock(false, func() (err error) {
		img, err = s.find(ref)
		return err
	})
	if err != nil {
		return nil, err
	}
	return img.details(), nil
}

// find looks ref up; the caller holds the store lock.
func (s *Store) find(ref string) (*image, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	im, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	d, ok := lookup(im, r)
	if !ok {
		return nil, notFound(r.String())
	}
	return s.readImage(d)
}

func notFound(ref string) error {
	return fmt.Errorf("%w: %s is not in the local store (see `corebox image ls`; build the NF images with `corebox image build` or pull it)", ErrNotFound, ref)
}
