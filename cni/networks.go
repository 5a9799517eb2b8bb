package cni

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Create validates the spec against itself, the other networks and the
// host, creates the host side (the bridge, for bridge networks) and stores
// the network. An empty Type means bridge.
func (m *Manager) Create(ctx context.Context, spec NetworkSpec) (*Network, error) {
	if spec.Type == "" {
		spec.Type = TypeBridge
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	subnet, _ := parseSubnet(spec.Subnet) // validated above
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	unlock, err := m.lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if err := m.checkAgainstNetworks(spec, subnet); err != nil {
		return nil, err
	}
	if err := hostAddrConflict(subnet); err != nil {
		return nil, err
	}
	n := &Network{NetworkSpec: spec, Created: time.Now().UTC().Round(0)}
	if spec.Gateway {
		n.Gateway = firstHost(subnet)
	}
	if err := m.createHostSide(n, subnet); err != nil {
		return nil, err
	}
	if err := m.saveNetwork(n); err != nil {
		if n.Bridge != "" {
			err = errors.Join(err, deleteBridge(n.Bridge))
		}
		return nil, err
	}
	return n, nil
}

// checkAgainstNetworks refuses a duplicate name and overlapping subnets,
// naming the network in the way.
func (m *Manager) checkAgainstNetworks(spec NetworkSpec, subnet netip.Prefix) error {
	existing, err := m.listNetworks()
	if err != nil {
		return err
	}
	for _, other := range existing {
		if other.Name == spec.Name {
			return errorf(ErrNetworkExists, "network %q already exists (subnet %s); remove it first or pick another name", spec.Name, other.Subnet)
		}
		theirs, err := netip.ParsePrefix(other.Subnet)
		if err != nil {
			return fmt.Errorf("stored network %s has a bad subnet: %w", other.Name, err)
		}
		if theirs.Overlaps(subnet) {
			return errorf(ErrSubnetOverlap, "subnet %s of %s overlaps %s of %s: pick a subnet no other network uses",
				subnet, spec.Name, theirs, other.Name)
		}
	}
	return nil
}

func (m *Manager) createHostSide(n *Network, subnet netip.Prefix) error {
	switch n.Type {
	case TypeMacvlan:
		return checkMaster(n.Master)
	default:
		n.Bridge = bridgeName(m.paths.root, n.Name)
		var gw netip.Prefix
		if n.Gateway.IsValid() {
			gw = netip.PrefixFrom(n.Gateway, subnet.Bits())
		}
		return ensureBridge(n.Bridge, n.MTU, gw)
	}
}

// List returns the networks sorted by name.
func (m *Manager) List() ([]Network, error) {
	unlock, err := m.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.listNetworks()
}

// Get returns one network; errors.Is(err, ErrNetworkNotFound) when there is
// no such network (the message lists the known ones).
func (m *Manager) Get(name string) (*Network, error) {
	unlock, err := m.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.getNetwork(name)
}

// Remove deletes a network that nothing is attached to: its bridge (with
// any port left on it), its IPAM reservations and its stored config.
// While attachments exist it returns a *NetworkInUseError.
func (m *Manager) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := m.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	n, err := m.getNetwork(name)
	if err != nil {
		return err
	}
	if err := m.refuseIfAttached(name); err != nil {
		return err
	}
	if n.Bridge != "" {
		if err := deleteBridge(n.Bridge); err != nil {
			return fmt.Errorf("remove network %s: %w", name, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(m.paths.ipamDir(), name)); err != nil {
		return fmt.Errorf("remove network %s: IPAM data: %w", name, err)
	}
	if err := os.Remove(m.paths.networkFile(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}

func (m *Manager) refuseIfAttached(name string) error {
	atts, err := m.attachments(name)
	if err != nil {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	if len(atts) == 0 {
		return nil
	}
	users := make([]string, len(atts))
	for i, a := range atts {
		users[i] = a.ContainerID + "/" + a.IfName
	}
	sort.Strings(users)
	return &NetworkInUseError{Network: name, Containers: users}
}
