package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/corebox/corebox/cni"
)

// CreateNetwork creates a network.
func (c *Client) CreateNetwork(ctx context.Context, spec cni.NetworkSpec) (*cni.Network, error) {
	var out cni.Network
	return &out, c.do(ctx, http.MethodPost, "/networks", nil, spec, &out)
}

// Networks lists the networks.
func (c *Client) Networks(ctx context.Context) ([]cni.Network, error) {
	var out []cni.Network
	return out, c.do(ctx, http.MethodGet, "/networks", nil, nil, &out)
}

// Network returns one network.
func (c *Client) Network(ctx context.Context, name string) (*cni.Network, error) {
	var out cni.Network
	return &out, c.do(ctx, http.MethodGet, "/networks/"+url.PathEscape(name), nil, nil, &out)
}

// RemoveNetwork deletes a network that no container uses.
func (c *Client) RemoveNetwork(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/networks/"+url.PathEscape(name), nil, nil, nil)
}

// InstallPlugins builds the pinned CNI plugins into the daemon's plugin dir.
func (c *Client) InstallPlugins(ctx context.Context, progress func(string)) error {
	_, err := stream[struct{}](ctx, c, http.MethodPost, "/networks/plugins", nil, nil, progress)
	return err
}
