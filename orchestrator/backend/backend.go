// Package backend is how the orchestrator places instances and networks:
// one interface, implemented for this node (Local) and later for
// Kubernetes. Nothing above it calls the runtime or CNI directly.
package backend

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/corebox/corebox/platform/container"
)

// ErrNotFound: no such instance or network.
var ErrNotFound = errors.New("not found")

// Network is a network as a backend holds it.
type Network struct {
	Name   string            `json:"name"` // host name, PROFILE-NET
	Subnet string            `json:"subnet"`
	Type   string            `json:"type,omitempty"`
	Master string            `json:"master,omitempty"`
	MTU    int               `json:"mtu,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Backend runs instances (containers) and networks.
type Backend interface {
	// EnsureNetwork creates the network, or accepts an existing one with
	// the same subnet; an overlap with another network is refused.
	EnsureNetwork(ctx context.Context, n Network) error
	// RemoveNetwork removes a network; one already gone is not an error.
	RemoveNetwork(ctx context.Context, name string) error
	Networks(ctx context.Context) ([]Network, error)

	// Run creates and starts an instance.
	Run(ctx context.Context, spec container.Spec) (*container.Container, error)
	// Start starts a stopped instance again (same addresses).
	Start(ctx context.Context, name string) (*container.Container, error)
	Stop(ctx context.Context, name string, grace time.Duration) error
	// Remove kills and removes an instance; one already gone is not an error.
	Remove(ctx context.Context, name string) error
	Inspect(ctx context.Context, name string) (*container.Container, error)
	List(ctx context.Context) ([]container.Container, error)
	Resize(ctx context.Context, name string, res container.Resources) error
	Stats(ctx context.Context, name string) (*container.Stats, error)
	// SetRoutes makes a running instance hold exactly routes among the
	// routes corebox owns in its network namespace (marked with
	// RouteProtocol); routes of anyone else are never touched. It writes
	// nothing when the instance already holds them.
	SetRoutes(ctx context.Context, instance string, routes []Route) error
}

// Route is a route the orchestrator keeps in an instance: Dst via Via
// (an address on one of the instance's networks).
type Route struct {
	Dst netip.Prefix `json:"dst"`
	Via netip.Addr   `json:"via"`
}

func (r Route) String() string { return r.Dst.String() + " via " + r.Via.String() }

// RouteProtocol is the routing protocol number (rtm_protocol) that marks
// the routes corebox owns in an instance, so that others' routes (the
// kernel's, CNI's, the NF's own) are never changed; `ip route` shows it as
// "proto 201". It is none of the numbers iproute2 names in rt_protos.
const RouteProtocol = 201

// Labels the orchestrator puts on what it creates.
const (
	LabelProfile    = "corebox.profile"
	LabelNF         = "corebox.nf"
	LabelIndex      = "corebox.index"
	LabelConfigHash = "corebox.config-hash"
)
