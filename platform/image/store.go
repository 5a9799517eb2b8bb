package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const ociLayoutFile = `{"imageLayoutVersion":"1.0.0"}`

func open(stateRoot string) (*Store, error) {
	if stateRoot == "" {
		return nil, errors.New("open image store: empty state root")
	}
	abs, err := filepath.Abs(stateRoot)
	if err != nil {
		return nil, fmt.Errorf("open image store %s: %w", stateRoot, err)
	}
	s := &Store{root: abs}
	for _, d := range []string{s.blobDir(), s.stageRoot(), s.layerDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open image store: %w", err)
		}
	}
	// index.json is replaced atomically, so an existing store needs no lock
	// here (a long push holding the shared lock must not block Open).
	if _, err := s.readIndex(); err == nil {
		return s, nil
	}
	if err := s.withLock(true, s.initLayout); err != nil {
		return nil, fmt.Errorf("open image store %s: %w", abs, err)
	}
	return s, nil
}

// initLayout writes the OCI layout marker and an empty index the first time.
func (s *Store) initLayout() error {
	if _, err := os.Stat(s.indexPath()); errors.Is(err, os.ErrNotExist) {
		if err := writeFileAtomic(filepath.Join(s.imageDir(), "oci-layout"), []byte(ociLayoutFile)); err != nil {
			return err
		}
		return s.writeIndex(&indexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex})
	} else if err != nil {
		return err
	}
	_, err := s.readIndex()
	return err
}

func (s *Store) imageDir() string    { return filepath.Join(s.root, "images") }
func (s *Store) layout() layout.Path { return layout.Path(s.imageDir()) }
func (s *Store) blobDir() string     { return filepath.Join(s.imageDir(), "blobs", "sha256") }
func (s *Store) indexPath() string   { return filepath.Join(s.imageDir(), "index.json") }
func (s *Store) lockPath() string    { return filepath.Join(s.imageDir(), ".lock") }
func (s *Store) stageRoot() string   { return filepath.Join(s.imageDir(), ".tmp") }
func (s *Store) layerDir() string    { return filepath.Join(s.root, "layers", "sha256") }

func (s *Store) blobPath(hex string) string { return filepath.Join(s.blobDir(), hex) }
