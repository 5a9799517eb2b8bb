package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// unpack holds the shared store lock throughout, so gc cannot remove a
// layer between its unpacking and the caller's overlay mount planning.
func (s *Store) unpack(ctx context.Context, ref string) (*Rootfs, error) {
	var rootfs *Rootfs
	err := s.withLock(false, func() error {
		img, err := s.find(ref)
		if err != nil {
			return err
		}
		dirs, err := s.unpackLayers(ctx, img)
		if err != nil {
			return fmt.Errorf("unpack %s: %w", img.ref, err)
		}
		d := img.details()
		rootfs = &Rootfs{LowerDirs: dirs, Config: d.Config, Digest: d.Digest}
		return nil
	})
	return rootfs, err
}

// unpackLayers returns the layer dirs topmost first, unpacking the
// missing ones in parallel.
func (s *Store) unpackLayers(ctx context.Context, img *image) ([]string, error) {
	n := len(img.manifest.Layers)
	dirs := make([]string, n)
	var missing []int
	for i := range img.manifest.Layers {
		dirs[n-1-i] = filepath.Join(s.layerDir(), img.config.RootFS.DiffIDs[i].Hex)
		if fi, err := os.Lstat(dirs[n-1-i]); err != nil || !fi.IsDir() {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return dirs, nil // the fast path of every container start
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, i := range missing {
		g.Go(func() error {
			return s.unpackLayer(gctx, img, img.manifest.Layers[i], img.config.RootFS.DiffIDs[i], dirs[n-1-i])
		})
	}
	return dirs, g.Wait()
}

// unpackLayer extracts one layer into a temp dir beside its final name
// and renames it into place, so the final name only ever holds a whole
// layer; a concurrent unpacker that renamed first wins.
func (s *Store) unpackLayer(ctx context.Context, img *image, l v1.Descriptor, diffID v1.Hash, dir string) error {
	tmp, err := os.MkdirTemp(s.layerDir(), ".tmp-"+diffID.Hex[:12]+"-")
	if err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	if err := s.fillLayer(ctx, img, l, diffID, tmp); err != nil {
		return errors.Join(fmt.Errorf("unpack layer %s: %w", l.Digest, err), removeTree(tmp))
	}
	if err := os.Rename(tmp, dir); err != nil {
		if fi, serr := os.Lstat(dir); serr == nil && fi.IsDir() {
			return removeTree(tmp) // another caller unpacked it first
		}
		return errors.Join(fmt.Errorf("unpack layer %s: %w", l.Digest, err), removeTree(tmp))
	}
	return syncDir(s.layerDir())
}

// fillLayer extracts the layer blob into tmp, checks it against diffID
// and flushes it to disk before it may become visible.
func (s *Store) fillLayer(ctx context.Context, img *image, l v1.Descriptor, diffID v1.Hash, tmp string) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	rc, err := s.uncompressed(img, l)
	if err != nil {
		return err
	}
	h := sha256.New()
	tee := io.TeeReader(ctxReader{ctx, rc}, h)
	err = ExtractWithOptions(tee, tmp, ExtractOptions{MaxBytes: s.MaxLayerBytes})
	if err == nil {
		_, err = io.Copy(io.Discard, tee) // the tar's trailing padding is part of the diffID
	}
	if err = errors.Join(err, rc.Close()); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != diffID.Hex {
		return fmt.Errorf("content is sha256:%s, but the image config says %s (corrupt blob: remove and pull the image again)", got, diffID)
	}
	return syncfs(tmp)
}

// uncompressed opens a layer blob decompressed (gzip, zstd or plain tar,
// whatever go-containerregistry detects).
func (s *Store) uncompressed(img *image, l v1.Descriptor) (io.ReadCloser, error) {
	li, err := s.layout().Image(img.desc.Digest)
	if err != nil {
		return nil, err
	}
	layer, err := li.LayerByDigest(l.Digest)
	if err != nil {
		return nil, err
	}
	return layer.Uncompressed()
}

func syncfs(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	if err := errors.Join(unix.Syncfs(fd), unix.Close(fd)); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
