package backend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/node"
)

// Local is this node: containers through platform/node, networks through
// cni.
type Local struct {
	Node *node.Node
	Nets *cni.Manager
}

var _ Backend = (*Local)(nil)

func notFound(err error) error {
	if errors.Is(err, node.ErrNotFound) || errors.Is(err, cni.ErrNetworkNotFound) {
		return errors.Join(ErrNotFound, err)
	}
	return err
}

// EnsureNetwork implements Backend.
func (l *Local) EnsureNetwork(ctx context.Context, n Network) error {
	if have, err := l.Nets.Get(n.Name); err == nil {
		if have.Subnet != n.Subnet || have.Type != n.Type {
			return fmt.Errorf("network %s exists as %s %s; the profile wants %s %s: remove it (`corebox down` or `corebox net rm %s`) or change the profile",
				n.Name, have.Type, have.Subnet, n.Type, n.Subnet, n.Name)
		}
		return nil
	}
	_, err := l.Nets.Create(ctx, cni.NetworkSpec{
		Name: n.Name, Subnet: n.Subnet, Type: n.Type, Master: n.Master, MTU: n.MTU,
		Gateway: n.Type != cni.TypeMacvlan, Labels: n.Labels,
	})
	return err
}

// RemoveNetwork implements Backend.
func (l *Local) RemoveNetwork(ctx context.Context, name string) error {
	err := l.Nets.Remove(ctx, name)
	if errors.Is(err, cni.ErrNetworkNotFound) {
		return nil
	}
	return err
}

// Networks implements Backend.
func (l *Local) Networks(context.Context) ([]Network, error) {
	nets, err := l.Nets.List()
	if err != nil {
		return nil, err
	}
	out := make([]Network, 0, len(nets))
	for _, n := range nets {
		out = append(out, Network{Name: n.Name, Subnet: n.Subnet, Type: n.Type, Master: n.Master, MTU: n.MTU, Labels: n.Labels})
	}
	return out, nil
}

// Run implements Backend.
func (l *Local) Run(ctx context.Context, spec container.Spec) (*container.Container, error) {
	return l.Node.Run(ctx, spec)
}

// Start implements Backend.
func (l *Local) Start(ctx context.Context, name string) (*container.Container, error) {
	c, err := l.Node.Start(ctx, name)
	return c, notFound(err)
}

// Stop implements Backend.
func (l *Local) Stop(ctx context.Context, name string, grace time.Duration) error {
	_, err := l.Node.Stop(ctx, name, grace)
	return notFound(err)
}

// Remove implements Backend.
func (l *Local) Remove(ctx context.Context, name string) error {
	err := l.Node.Remove(ctx, name, true)
	if errors.Is(err, node.ErrNotFound) {
		return nil
	}
	return err
}

// Inspect implements Backend.
func (l *Local) Inspect(_ context.Context, name string) (*container.Container, error) {
	c, err := l.Node.Inspect(name)
	return c, notFound(err)
}

// List implements Backend.
func (l *Local) List(context.Context) ([]container.Container, error) { return l.Node.List(), nil }

// Resize implements Backend.
func (l *Local) Resize(_ context.Context, name string, res container.Resources) error {
	_, err := l.Node.Resize(name, res)
	return notFound(err)
}

// Stats implements Backend.
func (l *Local) Stats(_ context.Context, name string) (*container.Stats, error) {
	s, err := l.Node.Stats(name)
	return s, notFound(err)
}
