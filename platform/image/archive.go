package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// containerdNameAnnotation is where docker and containerd put the full
// image name in an archive's index.json.
const containerdNameAnnotation = "io.containerd.image.name"

// save holds the shared lock while writing so no blob vanishes mid-way.
func (s *Store) save(ctx context.Context, refs []string, w io.Writer) error {
	if len(refs) == 0 {
		return errors.New("save: no images named")
	}
	return s.withLock(false, func() error {
		var imgs []*image
		for _, ref := range refs {
			img, err := s.find(ref)
			if err != nil {
				return fmt.Errorf("save: %w", err)
			}
			imgs = append(imgs, img)
		}
		if err := s.writeArchive(ctx, w, imgs); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		return nil
	})
}

// writeArchive writes an OCI image layout plus docker's manifest.json,
// with blobs stored once and everything in a fixed order.
func (s *Store) writeArchive(ctx context.Context, w io.Writer, imgs []*image) error {
	index, docker, blobs := archiveIndex(imgs)
	rawIndex, err := json.Marshal(index)
	if err != nil {
		return err
	}
	rawDocker, err := json.Marshal(docker)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, f := range []struct {
		name string
		data []byte
	}{{"oci-layout", []byte(ociLayoutFile)}, {"index.json", rawIndex}, {"manifest.json", rawDocker}} {
		if err := writeArchiveFile(tw, f.name, int64(len(f.data)), bytes.NewReader(f.data)); err != nil {
			return err
		}
	}
	for _, hex := range blobs {
		if err := s.writeArchiveBlob(ctx, tw, hex); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (s *Store) writeArchiveBlob(ctx context.Context, tw *tar.Writer, hex string) error {
	f, err := os.Open(s.blobPath(hex))
	if err != nil {
		return fmt.Errorf("blob sha256:%s: %w", hex, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = writeArchiveFile(tw, "blobs/sha256/"+hex, fi.Size(), ctxReader{ctx, f})
	}
	return errors.Join(err, f.Close())
}

func writeArchiveFile(tw *tar.Writer, name string, size int64, r io.Reader) error {
	h := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := io.Copy(tw, r); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// archiveIndex builds index.json, docker's manifest.json and the sorted
// list of blobs for imgs.
func archiveIndex(imgs []*image) (*indexManifest, tarball.Manifest, []string) {
	index := &indexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	var docker tarball.Manifest
	byDigest := map[v1.Hash]int{}
	blobSet := map[string]bool{}
	seenRef := map[string]bool{}
	for _, img := range imgs {
		if seenRef[img.ref] {
			continue
		}
		seenRef[img.ref] = true
		d := img.desc
		d.Annotations = map[string]string{refAnnotation: img.ref, containerdNameAnnotation: img.ref}
		index.Manifests = append(index.Manifests, d)
		i, ok := byDigest[d.Digest]
		if !ok {
			i = len(docker)
			byDigest[d.Digest] = i
			docker = append(docker, dockerEntry(img))
			blobSet[d.Digest.Hex], blobSet[img.manifest.Config.Digest.Hex] = true, true
			for _, l := range img.manifest.Layers {
				blobSet[l.Digest.Hex] = true
			}
		}
		if r, err := parseRef(img.ref); err == nil && r.digest == "" {
			docker[i].RepoTags = append(docker[i].RepoTags, img.ref)
		}
	}
	blobs := make([]string, 0, len(blobSet))
	for h := range blobSet {
		blobs = append(blobs, h)
	}
	sort.Strings(blobs)
	return index, docker, blobs
}

func dockerEntry(img *image) tarball.Descriptor {
	e := tarball.Descriptor{Config: "blobs/sha256/" + img.manifest.Config.Digest.Hex}
	for _, l := range img.manifest.Layers {
		e.Layers = append(e.Layers, "blobs/sha256/"+l.Digest.Hex)
	}
	return e
}
