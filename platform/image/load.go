package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxArchiveJSON bounds index.json and manifest.json read into memory.
const maxArchiveJSON = 8 << 20

func (s *Store) load(ctx context.Context, r io.Reader) (refs []string, err error) {
	st, err := s.newStage()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, st.close()) }()
	// Spool the archive: a plain docker-archive is read with random access.
	spool := st.path("archive.tar")
	arc, err := spoolArchive(ctx, st, r, spool)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var tags []tagged
	switch {
	case arc.index != nil:
		tags, err = ociTags(arc.index)
	case arc.hasDockerManifest:
		tags, err = dockerTags(st, spool)
	default:
		err = errors.New("not an image archive: it has neither index.json nor manifest.json")
	}
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := s.commit(st, tags); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	for _, t := range tags {
		refs = append(refs, t.ref)
	}
	return refs, nil
}

type archiveScan struct {
	index             *indexManifest
	hasDockerManifest bool
}

// spoolArchive copies r to spool and, in the same pass, stages every
// blobs/sha256/<hex> member after checking its digest.
func spoolArchive(ctx context.Context, st *stage, r io.Reader, spool string) (archiveScan, error) {
	var scan archiveScan
	f, err := os.Create(spool)
	if err != nil {
		return scan, err
	}
	src := io.TeeReader(ctxReader{ctx, r}, f)
	tr := tar.NewReader(src)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return scan, errors.Join(fmt.Errorf("read archive: %w", err), f.Close())
		}
		if err := scanMember(st, tr, h, &scan); err != nil {
			return scan, errors.Join(err, f.Close())
		}
	}
	_, err = io.Copy(io.Discard, src) // spool the end-of-archive padding too
	return scan, errors.Join(err, f.Close())
}

func scanMember(st *stage, tr *tar.Reader, h *tar.Header, scan *archiveScan) error {
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	name := path.Clean(strings.TrimPrefix(h.Name, "./"))
	switch {
	case name == "index.json":
		var im indexManifest
		if err := json.NewDecoder(io.LimitReader(tr, maxArchiveJSON)).Decode(&im); err != nil {
			return fmt.Errorf("archive index.json: %w", err)
		}
		scan.index = &im
	case name == "manifest.json":
		scan.hasDockerManifest = true
	case strings.HasPrefix(name, "blobs/sha256/"):
		want, err := v1.NewHash("sha256:" + strings.TrimPrefix(name, "blobs/sha256/"))
		if err != nil {
			return nil // not a blob name; ignore like any unknown member
		}
		if _, _, err := st.writeBlob(tr, want); err != nil {
			return fmt.Errorf("archive member %s: %w", name, err)
		}
	}
	return nil
}

// ociTags names the images of an OCI index.json.
func ociTags(im *indexManifest) ([]tagged, error) {
	var tags []tagged
	for _, d := range im.Manifests {
		if d.MediaType.IsIndex() {
			return nil, fmt.Errorf("archive entry %s is a multi-platform index; load a single-platform image, or pull it", d.Digest)
		}
		name := d.Annotations[containerdNameAnnotation]
		if name == "" {
			name = d.Annotations[refAnnotation]
		}
		if name == "" {
			return nil, fmt.Errorf("archive image %s has no name (no %s or %s annotation)", d.Digest, containerdNameAnnotation, refAnnotation)
		}
		r, err := parseRef(name)
		if err != nil {
			return nil, fmt.Errorf("archive image %s: %w", d.Digest, err)
		}
		d.Annotations = nil
		tags = append(tags, tagged{ref: r.String(), desc: d})
	}
	return tags, nil
}
