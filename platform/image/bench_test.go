package image

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchStore builds an image whose shared layer is about the size of a
// real corenf (16 MiB).
func benchStore(b *testing.B) *Store {
	b.Helper()
	s := newTestStore(b)
	build(b, s, fakeCorenf(b, 16<<20), "bench", kinds("dn")...)
	return s
}

// BenchmarkUnpackWarm is what every container start pays: the layers are
// already unpacked.
func BenchmarkUnpackWarm(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if _, err := s.Unpack(ctx, "corebox/dn:bench"); err != nil {
		b.Fatal(err)
	}
	// Baseline, measured in the same run: reading index.json alone.
	base := baseline(b, func() error { _, err := os.ReadFile(s.indexPath()); return err })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Unpack(ctx, "corebox/dn:bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-readindex")
}

// BenchmarkUnpackCold unpacks both layers from their blobs each time
// (gunzip, extract, diffID check, syncfs, rename).
func BenchmarkUnpackCold(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	d, err := s.Inspect("corebox/dn:bench")
	if err != nil {
		b.Fatal(err)
	}
	// Baseline, measured in the same run: decompressing the layers to nowhere.
	base := baseline(b, func() error { return gunzipLayers(s, d) })
	b.SetBytes(16 << 20)
	for b.Loop() {
		b.StopTimer()
		for _, l := range d.Layers {
			if err := removeTree(layerPath(s, l.DiffID)); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := s.Unpack(ctx, "corebox/dn:bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-gunzip")
	if _, err := os.Stat(filepath.Join(layerPath(s, d.Layers[0].DiffID), "usr/local/bin/corenf")); err != nil {
		b.Fatal(err)
	}
}

// baseline returns fn's mean duration in ns over a few runs.
func baseline(b *testing.B, fn func() error) float64 {
	b.Helper()
	const runs = 20
	start := time.Now()
	for range runs {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / runs
}

func gunzipLayers(s *Store, d *Details) error {
	for _, l := range d.Layers {
		f, err := os.Open(s.blobPath(strings.TrimPrefix(l.Digest, "sha256:")))
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(f)
		if err == nil {
			_, err = io.Copy(io.Discard, zr)
		}
		if err := errors.Join(err, f.Close()); err != nil {
			return err
		}
	}
	return nil
}
