// Package node is one machine's container service: it turns a RunSpec into
// a running container with an image rootfs, a network namespace wired to
// its networks, and a monitored process, and takes all of that apart again.
// Every step has an undo, and a failed step undoes the ones before it.
package node

import (
	"context"
	"errors"
	"net/netip"

	"github.com/corebox/corebox/platform/container"
)

// Errors a caller (and the API) maps to answers.
var (
	ErrNotFound  = errors.New("no such container")
	ErrNameInUse = errors.New("container name in use")
	ErrRunning   = errors.New("container is running")
	ErrInvalid   = errors.New("invalid container spec")
)

// Rootfs is an image made ready for a container: its unpacked layers and
// the process it runs by default.
type Rootfs struct {
	LowerDirs  []string // topmost first
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	Digest     string
	Kind       string // the corenf kind, from the image's labels
}

// Images finds and unpacks images.
type Images interface {
	Rootfs(ctx context.Context, ref string) (*Rootfs, error)
}

// Attach asks for one interface of a container on one network.
type Attach struct {
	ContainerID string
	NetNS       string
	Network     string
	IfName      string
	IP          netip.Addr // zero: from IPAM
}

// Networks wires container interfaces (implemented by package cni).
type Networks interface {
	Attach(ctx context.Context, a Attach) (*container.Attachment, error)
	Detach(ctx context.Context, a Attach) error
	Impair(netns, ifname string, imp container.Impairment) error
	ClearImpairment(netns, ifname string) error
}
