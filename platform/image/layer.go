package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layerEntry is one file of a layer we build.
type layerEntry struct {
	name string // relative; directories end in "/"
	mode int64
	size int64
	open func() (io.ReadCloser, error) // nil for directories
}

func dirEntry(name string, mode int64) layerEntry {
	return layerEntry{name: strings.TrimSuffix(name, "/") + "/", mode: mode}
}

func bytesEntry(name string, mode int64, b []byte) layerEntry {
	return layerEntry{name: name, mode: mode, size: int64(len(b)),
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

func fileEntry(name string, mode int64, file string) (layerEntry, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return layerEntry{}, err
	}
	if !fi.Mode().IsRegular() {
		return layerEntry{}, fmt.Errorf("%s is not a regular file", file)
	}
	return layerEntry{name: name, mode: mode, size: fi.Size(),
		open: func() (io.ReadCloser, error) { return os.Open(file) }}, nil
}

// builtLayer is a layer staged as a blob.
type builtLayer struct {
	digest, diffID v1.Hash
	size           int64
}

// writeLayer stages entries as a gzip'd tar. Everything that could vary
// between builds is fixed (order, owner, times, gzip header), so equal
// inputs give equal digests and the shared layer is stored once.
func (st *stage) writeLayer(ctx context.Context, entries []layerEntry, mtime time.Time) (builtLayer, error) {
	hf, err := st.create()
	if err != nil {
		return builtLayer{}, err
	}
	gz, err := gzip.NewWriterLevel(hf, gzip.DefaultCompression)
	if err != nil {
		return builtLayer{}, hf.abort(err)
	}
	diff := sha256.New()
	if err := writeTar(ctx, io.MultiWriter(gz, diff), entries, mtime); err != nil {
		return builtLayer{}, hf.abort(err)
	}
	if err := gz.Close(); err != nil {
		return builtLayer{}, hf.abort(fmt.Errorf("compress layer: %w", err))
	}
	digest, size, err := hf.finish(st, v1.Hash{})
	if err != nil {
		return builtLayer{}, err
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(diff.Sum(nil))}
	return builtLayer{digest: digest, diffID: diffID, size: size}, nil
}

// writeTar writes entries sorted by name, owned by root, with mtime.
func writeTar(ctx context.Context, w io.Writer, entries []layerEntry, mtime time.Time) error {
	entries = withParents(entries)
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if err := writeTarEntry(ctx, tw, e, mtime); err != nil {
			return fmt.Errorf("layer entry %s: %w", e.name, err)
		}
	}
	return tw.Close()
}

func writeTarEntry(ctx context.Context, tw *tar.Writer, e layerEntry, mtime time.Time) error {
	h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime, Format: tar.FormatUSTAR, Typeflag: tar.TypeDir}
	if e.open != nil {
		h.Typeflag, h.Size = tar.TypeReg, e.size
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if e.open == nil {
		return nil
	}
	rc, err := e.open()
	if err != nil {
		return err
	}
	_, err = io.Copy(tw, ctxReader{ctx, rc})
	return errors.Join(err, rc.Close())
}

// withParents adds a 0755 directory for every parent no entry declares,
// and sorts, so the tar is complete and its order fixed.
func withParents(entries []layerEntry) []layerEntry {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.name] = true
	}
	out := append([]layerEntry(nil), entries...)
	for _, e := range entries {
		for d := path.Dir(strings.TrimSuffix(e.name, "/")); d != "."; d = path.Dir(d) {
			if !have[d+"/"] {
				have[d+"/"] = true
				out = append(out, dirEntry(d, 0o755))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
