package image

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// reference is a local image name: repo:tag or repo@digest. Local refs
// stay as the user wrote them (corebox/dn:dev), with no registry added.
type reference struct {
	repo   string
	tag    string
	digest string
}

// parseRef normalises like docker: a bare name means name:latest.
func parseRef(s string) (reference, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return reference{}, fmt.Errorf("invalid image reference %q: want name, name:tag or name@sha256:<hex>", s)
	}
	var r reference
	if repo, dig, ok := strings.Cut(s, "@"); ok {
		h, err := v1.NewHash(dig)
		if err != nil {
			return reference{}, fmt.Errorf("invalid image reference %q: digest: %w", s, err)
		}
		r.repo, r.digest = stripTag(repo), h.String()
	} else {
		r.repo, r.tag = splitTag(s)
	}
	if _, err := name.NewRepository(r.repo); err != nil {
		return reference{}, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	if r.tag != "" {
		if _, err := name.NewTag(r.repo + ":" + r.tag); err != nil {
			return reference{}, fmt.Errorf("invalid image reference %q: %w", s, err)
		}
	}
	return r, nil
}

// splitTag splits repo:tag; a colon before the last slash is a registry
// port, not a tag.
func splitTag(s string) (repo, tag string) {
	i := strings.LastIndex(s, ":")
	if i < 0 || i < strings.LastIndex(s, "/") {
		return s, "latest"
	}
	return s[:i], s[i+1:]
}

// stripTag drops a tag that precedes a digest (name:tag@sha256:...): the
// digest is what counts.
func stripTag(repo string) string {
	r, _ := splitTag(repo)
	return r
}

func (r reference) String() string {
	if r.digest != "" {
		return r.repo + "@" + r.digest
	}
	return r.repo + ":" + r.tag
}

// matches reports whether an index entry tagged stored, with manifest
// digest d, is what r names.
func (r reference) matches(stored string, d v1.Hash) bool {
	sr, err := parseRef(stored)
	if err != nil {
		return false
	}
	if r.digest != "" {
		return sr.repo == r.repo && d.String() == r.digest
	}
	return sr == r
}
