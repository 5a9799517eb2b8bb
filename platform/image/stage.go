package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// stage is a private directory where a writer builds or downloads blobs
// without holding the store lock (a pull may take minutes); commit moves
// them in under the lock. Its own flock tells gc it is alive.
type stage struct {
	dir  string
	lock *flock
}

// newStage creates a stage. It holds the shared store lock meanwhile so
// gc (exclusive) cannot see the directory before it is locked.
func (s *Store) newStage() (*stage, error) {
	var st *stage
	err := s.withLock(false, func() error {
		dir, err := os.MkdirTemp(s.stageRoot(), "stage-")
		if err != nil {
			return err
		}
		l, err := lockFile(filepath.Join(dir, ".lock"), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			return errors.Join(err, os.RemoveAll(dir))
		}
		st = &stage{dir: dir, lock: l}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	return st, nil
}

// close removes the stage; what commit adopted is already in the store.
func (st *stage) close() error {
	return errors.Join(removeTree(st.dir), st.lock.release())
}

func (st *stage) path(hex string) string { return filepath.Join(st.dir, hex) }

// hashingFile is a temp file in the stage that hashes what is written.
type hashingFile struct {
	f *os.File
	h hash.Hash
	n int64
}

func (st *stage) create() (*hashingFile, error) {
	f, err := os.CreateTemp(st.dir, ".part-")
	if err != nil {
		return nil, fmt.Errorf("stage blob: %w", err)
	}
	return &hashingFile{f: f, h: sha256.New()}, nil
}

func (hf *hashingFile) Write(p []byte) (int, error) {
	n, err := hf.f.Write(p)
	hf.h.Write(p[:n])
	hf.n += int64(n)
	return n, err
}

// finish syncs the file and names it by its digest; want, when set, must
// match (a registry or archive may not hand us what it claims).
func (hf *hashingFile) finish(st *stage, want v1.Hash) (v1.Hash, int64, error) {
	got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(hf.h.Sum(nil))}
	err := errors.Join(hf.f.Sync(), hf.f.Close())
	if err == nil && want != (v1.Hash{}) && want != got {
		err = fmt.Errorf("content is %s, expected %s (corrupt or tampered blob)", got, want)
	}
	if err == nil {
		err = os.Rename(hf.f.Name(), st.path(got.Hex))
	}
	if err != nil {
		return v1.Hash{}, 0, errors.Join(fmt.Errorf("stage blob: %w", err), os.Remove(hf.f.Name()))
	}
	return got, hf.n, nil
}

// abort discards a blob that failed half way.
func (hf *hashingFile) abort(cause error) error {
	return errors.Join(cause, hf.f.Close(), os.Remove(hf.f.Name()))
}

// writeBlob stages r, verifying it against want when set.
func (st *stage) writeBlob(r io.Reader, want v1.Hash) (v1.Hash, int64, error) {
	hf, err := st.create()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	if _, err := io.Copy(hf, r); err != nil {
		return v1.Hash{}, 0, hf.abort(fmt.Errorf("stage blob %s: %w", want, err))
	}
	return hf.finish(st, want)
}

func (st *stage) putBytes(b []byte) (v1.Hash, error) {
	h, _, err := st.writeBlob(bytes.NewReader(b), v1.Hash{})
	return h, err
}
