package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/corebox/corebox/platform/image"
)

// Images lists the local images.
func (c *Client) Images(ctx context.Context) ([]image.Summary, error) {
	var out []image.Summary
	return out, c.do(ctx, http.MethodGet, "/images", nil, nil, &out)
}

// InspectImage describes one image.
func (c *Client) InspectImage(ctx context.Context, ref string) (*image.Details, error) {
	var out image.Details
	return &out, c.do(ctx, http.MethodGet, "/images/inspect", url.Values{"ref": {ref}}, nil, &out)
}

// RemoveImage untags an image and frees what nothing else uses.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	return c.do(ctx, http.MethodDelete, "/images", url.Values{"ref": {ref}}, nil, nil)
}

// BuildImages builds one image per corenf kind.
func (c *Client) BuildImages(ctx context.Context, req BuildRequest, progress func(string)) ([]image.Summary, error) {
	out, err := stream[[]image.Summary](ctx, c, http.MethodPost, "/images/build", nil, req, progress)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// PushImage pushes a local image to a registry and returns its digest there.
func (c *Client) PushImage(ctx context.Context, req PushRequest, progress func(string)) (string, error) {
	out, err := stream[PushResult](ctx, c, http.MethodPost, "/images/push", nil, req, progress)
	if err != nil {
		return "", err
	}
	return out.Digest, nil
}

// PullImage pulls an image from a registry into the local store.
func (c *Client) PullImage(ctx context.Context, req PullRequest, progress func(string)) (*image.Summary, error) {
	return stream[image.Summary](ctx, c, http.MethodPost, "/images/pull", nil, req, progress)
}

// SaveImages writes a tarball of the images to w.
func (c *Client) SaveImages(ctx context.Context, refs []string, w io.Writer) error {
	resp, err := c.request(ctx, http.MethodGet, "/images/save", url.Values{"ref": refs}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("save images: %w", err)
	}
	// The tar is complete only if the daemon says so after it.
	if resp.Trailer.Get("X-Corebox-Error") != "" {
		return fmt.Errorf("save images: %s", resp.Trailer.Get("X-Corebox-Error"))
	}
	return nil
}

// LoadImages reads a tarball written by SaveImages into the local store.
func (c *Client) LoadImages(ctx context.Context, r io.Reader) ([]string, error) {
	resp, err := c.request(ctx, http.MethodPost, "/images/load", nil, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var refs []string
	if err := json.NewDecoder(resp.Body).Decode(&refs); err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	return refs, nil
}
