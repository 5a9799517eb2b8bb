package cni

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/utils"
)

// rollbackTimeout bounds the DEL that undoes a failed ADD; it runs even when
// the caller's context is already done, or the failure would leak.
const rollbackTimeout = 30 * time.Second

// Attach adds one interface to a container's network namespace. If
// anything fails once the plugins have started, it runs DEL so that no
// veth and no IPAM reservation is left behind.
func (m *Manager) Attach(ctx context.Context, req AttachRequest) (*Attachment, error) {
	req, err := normalizeRequest(req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	unlock, err := m.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	n, err := m.getNetwork(req.Network)
	if err != nil {
		return nil, err
	}
	if err := m.precheck(n, req); err != nil {
		return nil, err
	}
	list, err := m.addList(n, req)
	if err != nil {
		return nil, err
	}
	rt := runtimeConf(req)
	res, err := m.cni.AddNetworkList(ctx, list, rt)
	if err == nil {
		var att *Attachment
		if att, err = attachmentFrom(n, req, res); err == nil {
			if err = loopbackUp(req.NetNS); err == nil {
				if err = announce(req.NetNS, req.IfName, att.Address.Addr()); err == nil {
					return att, nil
				}
			}
		}
	}
	return nil, m.rollback(list, rt, fmt.Errorf("attach %s to network %s as %s: %w", req.ContainerID, req.Network, req.IfName, err))
}

// normalizeRequest fills the default interface name and checks the fields
// the plugins would otherwise reject with less helpful messages.
func normalizeRequest(req AttachRequest) (AttachRequest, error) {
	if req.IfName == "" {
		req.IfName = req.Network
	}
	if req.Network == "" {
		return req, invalid("network", "", "say which network to attach to")
	}
	if err := utils.ValidateContainerID(req.ContainerID); err != nil {
		return req, invalid("container ID", req.ContainerID, "use letters, digits, '_', '.' and '-', starting with a letter or digit")
	}
	if err := utils.ValidateInterfaceName(req.IfName); err != nil || req.IfName == "lo" {
		return req, invalid("interface name", req.IfName, "use at most 15 characters, no '/', ':' or spaces, and not \"lo\"")
	}
	if req.NetNS == "" {
		return req, invalid("netns", "", "give the path of the container's network namespace")
	}
	req.IP = req.IP.Unmap()
	return req, nil
}

// precheck refuses, before any plugin runs, what would fail half-way.
func (m *Manager) precheck(n *Network, req AttachRequest) error {
	if err := m.checkStaticIP(n, req.IP); err != nil {
		return err
	}
	if req.Bandwidth != nil && n.Type == TypeMacvlan {
		return invalid("bandwidth", n.Name, "bandwidth limits need a bridge network (they shape the host veth); use Impair inside the container instead")
	}
	if err := checkPlugins(m.pluginDir, chainFor(n)); err != nil {
		return err
	}
	if cached, err := m.findCachedIf(req.ContainerID, req.IfName); err != nil {
		return err
	} else if cached != nil {
		return errorf(ErrAlreadyAttached, "container %s is already attached to network %s as %s; detach it first", req.ContainerID, cached.Network, req.IfName)
	}
	// A DEL after a failed ADD deletes the interface by name: never let an
	// ADD start that would fail on, and then delete, an existing interface.
	return interfaceFree(req.NetNS, req.IfName)
}

func (m *Manager) checkStaticIP(n *Network, ip netip.Addr) error {
	if !ip.IsValid() {
		return nil
	}
	subnet, err := parseSubnet(n.Subnet)
	if err != nil {
		return fmt.Errorf("stored network %s: %w", n.Name, err)
	}
	reason := ""
	switch {
	case !ip.Is4() || !subnet.Contains(ip):
		reason = "is not inside"
	case ip == subnet.Addr():
		reason = "is the network address of"
	case ip == broadcast(subnet):
		reason = "is the broadcast address of"
	case ip == firstHost(subnet):
		reason = "is the gateway address (reserved) of"
	}
	if reason != "" {
		return invalid("ip", ip.String(), "%s subnet %s of network %s; pick an address from %s to %s",
			reason, subnet, n.Name, firstHost(subnet).Next(), broadcast(subnet).Prev())
	}
	if owner := m.reservedBy(n.Name, ip); owner != "" {
		return errorf(ErrAddressUnavailable, "address %s on network %s is already taken by %s; pick another or leave it to IPAM", ip, n.Name, owner)
	}
	return nil
}

// capArgs is the runtime capability arguments we pass (and find again in
// libcni's cache).
type capArgs struct {
	IPs       []string       `json:"ips,omitempty"`
	Bandwidth *bandwidthArgs `json:"bandwidth,omitempty"`
}

type bandwidthArgs struct {
	IngressRate  uint64 `json:"ingressRate"`
	IngressBurst uint64 `json:"ingressBurst"`
	EgressRate   uint64 `json:"egressRate"`
	EgressBurst  uint64 `json:"egressBurst"`
}

func runtimeConf(req AttachRequest) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: req.ContainerID, NetNS: req.NetNS, IfName: req.IfName, CapabilityArgs: map[string]any{}}
	if req.IP.IsValid() {
		// host-local records the reservation, so IPAM never hands it out.
		rt.CapabilityArgs["ips"] = []string{req.IP.String()}
	}
	if b := req.Bandwidth; b != nil {
		rt.CapabilityArgs["bandwidth"] = bandwidthArgs{b.IngressRate, b.IngressBurst, b.EgressRate, b.EgressBurst}
	}
	return rt
}

// attachmentFrom reads the chain's result: the container interface, its
// IPv4 address and the host veth (the first host-side interface that is
// not the bridge: bandwidth appends its ifb after it).
func attachmentFrom(n *Network, req AttachRequest, r types.Result) (*Attachment, error) {
	res, err := current.NewResultFromResult(r)
	if err != nil {
		return nil, fmt.Errorf("read plugin result: %w", err)
	}
	att := &Attachment{Network: n.Name, IfName: req.IfName, Gateway: n.Gateway}
	for _, iface := range res.Interfaces {
		switch {
		case iface.Sandbox != "" && iface.Name == req.IfName:
			att.MAC = iface.Mac
		case iface.Sandbox == "" && iface.Name != n.Bridge && att.HostVeth == "":
			att.HostVeth = iface.Name
		}
	}
	for _, ipc := range res.IPs {
		if ip4 := ipc.Address.IP.To4(); ip4 != nil {
			ones, _ := ipc.Address.Mask.Size()
			att.Address = netip.PrefixFrom(netip.AddrFrom4([4]byte(ip4)), ones)
			break
		}
	}
	if !att.Address.IsValid() || att.MAC == "" {
		return nil, fmt.Errorf("plugin result lacks the interface %s or its IPv4 address: %s", req.IfName, res)
	}
	return att, nil
}

// rollback runs DEL for a failed ADD and returns cause, saying whether the
// cleanup worked.
func (m *Manager) rollback(list *libcni.NetworkConfigList, rt *libcni.RuntimeConf, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	if err := m.del(ctx, list, rt); err != nil {
		return fmt.Errorf("%w; cleaning up failed too: %v", cause, err)
	}
	return fmt.Errorf("%w (rolled back: nothing left attached)", cause)
}

// del runs the chain's DEL. One plugin failing must not keep the others
// from cleaning up, so on failure each plugin is retried alone, last to
// first, and only what still fails is reported.
func (m *Manager) del(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	if err := m.cni.DelNetworkList(ctx, list, rt); err == nil {
		return nil
	}
	var errs []error
	for i := len(list.Plugins) - 1; i >= 0; i-- {
		p, err := libcni.InjectConf(list.Plugins[i], map[string]any{"name": list.Name, "cniVersion": list.CNIVersion})
		if err == nil {
			err = m.cni.DelNetwork(ctx, p, rt)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s (delete): %w", list.Plugins[i].Network.Type, err))
		}
	}
	return errors.Join(errs...)
}
