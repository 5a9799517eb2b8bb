package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/corebox/corebox/platform/container"
)

func containerPath(name string, rest string) string {
	return "/containers/" + url.PathEscape(name) + rest
}

// Run creates and starts a container.
func (c *Client) Run(ctx context.Context, spec container.Spec) (*container.Container, error) {
	var out container.Container
	return &out, c.do(ctx, http.MethodPost, "/containers", nil, spec, &out)
}

// Containers lists every container.
func (c *Client) Containers(ctx context.Context) ([]container.Container, error) {
	var out []container.Container
	return out, c.do(ctx, http.MethodGet, "/containers", nil, nil, &out)
}

// Inspect returns one container.
func (c *Client) Inspect(ctx context.Context, name string) (*container.Container, error) {
	var out container.Container
	return &out, c.do(ctx, http.MethodGet, containerPath(name, ""), nil, nil, &out)
}

// Stop stops a container: SIGTERM, then SIGKILL after grace.
func (c *Client) Stop(ctx context.Context, name string, grace time.Duration) (*container.Container, error) {
	var out container.Container
	q := url.Values{"grace": {grace.String()}}
	return &out, c.do(ctx, http.MethodPost, containerPath(name, "/stop"), q, nil, &out)
}

// Start starts a stopped container again.
func (c *Client) Start(ctx context.Context, name string) (*container.Container, error) {
	var out container.Container
	return &out, c.do(ctx, http.MethodPost, containerPath(name, "/start"), nil, nil, &out)
}

// Remove deletes a container; force kills it first if it runs.
func (c *Client) Remove(ctx context.Context, name string, force bool) error {
	q := url.Values{"force": {strconv.FormatBool(force)}}
	return c.do(ctx, http.MethodDelete, containerPath(name, ""), q, nil, nil)
}

// Stats reads a container's resource use.
func (c *Client) Stats(ctx context.Context, name string) (*container.Stats, error) {
	var out container.Stats
	return &out, c.do(ctx, http.MethodGet, containerPath(name, "/stats"), nil, nil, &out)
}

// Resize changes a running container's limits in place.
func (c *Client) Resize(ctx context.Context, name string, res container.Resources) (*container.Container, error) {
	var out container.Container
	return &out, c.do(ctx, http.MethodPost, containerPath(name, "/resize"), nil, res, &out)
}

// Impair adds or clears link trouble on a container interface.
func (c *Client) Impair(ctx context.Context, name string, req ImpairRequest) error {
	return c.do(ctx, http.MethodPost, containerPath(name, "/impair"), nil, req, nil)
}

// Logs copies a container's output to w; with follow, until it exits or
// ctx ends.
func (c *Client) Logs(ctx context.Context, name string, follow bool, w io.Writer) error {
	q := url.Values{"follow": {strconv.FormatBool(follow)}}
	resp, err := c.request(ctx, http.MethodGet, containerPath(name, "/logs"), q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
