package cni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// Detach removes one interface. It is idempotent: an attachment, network or
// namespace already gone is not an error. When the namespace is gone the
// plugins still release the IPAM reservation.
func (m *Manager) Detach(ctx context.Context, req AttachRequest) error {
	if req.IfName == "" {
		req.IfName = req.Network
	}
	if req.ContainerID == "" || req.Network == "" {
		return invalid("detach request", req.ContainerID+"/"+req.Network, "needs both a container ID and a network")
	}
	unlock, err := m.lock(false)
	if err != nil {
		return err
	}
	defer unlock()
	list, rt, err := m.detachTarget(req)
	if err != nil || list == nil {
		return err
	}
	rt.NetNS = usableNetNS(rt.NetNS)
	if err := m.del(ctx, list, rt); err != nil {
		return fmt.Errorf("detach %s from network %s (%s): %w", req.ContainerID, req.Network, req.IfName, err)
	}
	return nil
}

// detachTarget prefers the config and namespace recorded at ADD time (the
// network may have changed since); without a record it still runs DEL
// from the stored network, which also cleans up after an ADD that was
// interrupted before libcni could record it. Nil list: nothing to do.
func (m *Manager) detachTarget(req AttachRequest) (*libcni.NetworkConfigList, *libcni.RuntimeConf, error) {
	rt := &libcni.RuntimeConf{ContainerID: req.ContainerID, NetNS: req.NetNS, IfName: req.IfName}
	cached, err := m.findCached(req.Network, req.ContainerID, req.IfName)
	if err != nil {
		return nil, nil, err
	}
	if cached != nil {
		list, err := libcni.NetworkConfFromBytes(cached.Config)
		if err != nil {
			return nil, nil, fmt.Errorf("cached config of %s/%s on %s: %w", req.ContainerID, req.IfName, req.Network, err)
		}
		if rt.NetNS == "" {
			rt.NetNS = cached.NetNS
		}
		rt.CapabilityArgs = cached.CapabilityArgs
		return list, rt, nil
	}
	// Without a record, DEL would delete whatever interface carries the
	// name. If the record says that interface belongs to another network,
	// nothing of this network is attached: done, and hands off.
	if other, err := m.findCachedIf(req.ContainerID, req.IfName); err != nil || other != nil {
		return nil, nil, err
	}
	n, err := m.getNetwork(req.Network)
	if errors.Is(err, ErrNetworkNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// An ADD cannot run without the plugins: with none recorded and none
	// installed, there is nothing to undo (and no way to run DEL).
	if checkPlugins(m.pluginDir, chainFor(n)) != nil {
		return nil, nil, nil
	}
	list, err := m.confList(n)
	return list, rt, err
}

// Attachments lists what libcni's cache records as attached to a network
// (all networks for ""): what Remove checks, and what a restarted daemon
// reconciles against.
func (m *Manager) Attachments(network string) ([]AttachRequest, error) {
	unlock, err := m.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.attachments(network)
}

func (m *Manager) attachments(network string) ([]AttachRequest, error) {
	cached, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("read libcni cache %s: %w", m.paths.cacheDir(), err)
	}
	var out []AttachRequest
	for _, a := range cached {
		if network != "" && a.Network != network {
			continue
		}
		req := AttachRequest{ContainerID: a.ContainerID, NetNS: a.NetNS, Network: a.Network, IfName: a.IfName}
		if err := fillFromCapArgs(&req, a.CapabilityArgs); err != nil {
			return nil, fmt.Errorf("cached attachment %s/%s on %s: %w", a.ContainerID, a.IfName, a.Network, err)
		}
		out = append(out, req)
	}
	return out, nil
}

func fillFromCapArgs(req *AttachRequest, raw map[string]any) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var args capArgs
	if err := json.Unmarshal(data, &args); err != nil {
		return err
	}
	if len(args.IPs) > 0 {
		s, _, _ := strings.Cut(args.IPs[0], "/")
		if req.IP, err = netip.ParseAddr(s); err != nil {
			return err
		}
	}
	if b := args.Bandwidth; b != nil {
		req.Bandwidth = &Bandwidth{b.IngressRate, b.IngressBurst, b.EgressRate, b.EgressBurst}
	}
	return nil
}

// findCached returns libcni's record of one attachment, nil if none.
func (m *Manager) findCached(network, containerID, ifName string) (*libcni.NetworkAttachment, error) {
	return m.findCachedWhere(containerID, func(a *libcni.NetworkAttachment) bool {
		return a.Network == network && a.IfName == ifName
	})
}

// findCachedIf returns the record of a container's interface on any network.
func (m *Manager) findCachedIf(containerID, ifName string) (*libcni.NetworkAttachment, error) {
	return m.findCachedWhere(containerID, func(a *libcni.NetworkAttachment) bool { return a.IfName == ifName })
}

func (m *Manager) findCachedWhere(containerID string, match func(*libcni.NetworkAttachment) bool) (*libcni.NetworkAttachment, error) {
	cached, err := m.cni.GetCachedAttachments(containerID)
	if err != nil {
		return nil, fmt.Errorf("read libcni cache %s: %w", m.paths.cacheDir(), err)
	}
	for _, a := range cached {
		if match(a) {
			return a, nil
		}
	}
	return nil, nil
}

// reservedBy names who holds an address in host-local's store, "" if free.
// host-local is the authority (it refuses a taken address under its lock);
// this only gives the caller a better message before any plugin runs.
func (m *Manager) reservedBy(network string, ip netip.Addr) string {
	data, err := os.ReadFile(filepath.Join(m.paths.ipamDir(), network, ip.String()))
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		return "an unreadable reservation (" + err.Error() + ")"
	}
	// host-local writes "<container id>\r\n<ifname>".
	id, ifName, _ := strings.Cut(strings.TrimSpace(string(data)), "\r\n")
	if ifName != "" {
		return "container " + id + " (" + ifName + ")"
	}
	return "container " + id
}
