package image

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dockerTags stages the images of a plain docker-archive (no index.json).
// Such an archive carries no manifest, so the manifest digest is made
// anew and may differ from the registry's.
func dockerTags(st *stage, spool string) ([]tagged, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(spool) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("docker archive manifest.json: %w", err)
	}
	var tags []tagged
	for _, d := range m {
		for _, t := range d.RepoTags {
			tg, err := stageDockerImage(st, opener, t)
			if err != nil {
				return nil, err
			}
			tags = append(tags, tg)
		}
	}
	if len(tags) == 0 {
		return nil, errors.New("docker archive names no image (RepoTags is empty)")
	}
	return tags, nil
}

func stageDockerImage(st *stage, opener tarball.Opener, repoTag string) (tagged, error) {
	r, err := parseRef(repoTag)
	if err != nil {
		return tagged{}, fmt.Errorf("docker archive tag: %w", err)
	}
	t, err := name.NewTag(repoTag)
	if err != nil {
		return tagged{}, fmt.Errorf("docker archive tag %q: %w", repoTag, err)
	}
	img, err := tarball.Image(opener, &t)
	if err != nil {
		return tagged{}, fmt.Errorf("docker archive image %s: %w", repoTag, err)
	}
	desc, err := stageRemoteImage(st, img, nil, nil)
	if err != nil {
		return tagged{}, fmt.Errorf("docker archive image %s: %w", repoTag, err)
	}
	return tagged{ref: r.String(), desc: desc}, nil
}
