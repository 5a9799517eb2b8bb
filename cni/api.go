// Package cni gives corebox its networks: one Linux bridge (or macvlan) per
// network, host-local IPAM per network, and interfaces attached to container
// network namespaces through libcni and the reference CNI plugins.
//
// Declarative in, typed out: a NetworkSpec creates a Network; an
// AttachRequest yields an Attachment. State lives under Config.StateRoot:
//
//	<StateRoot>/networks/<name>.json   the stored Network
//	<StateRoot>/cni/ipam/<name>/       host-local reservations
//	<StateRoot>/cni/cache/             libcni's attachment cache
//	<StateRoot>/cni/bin/               the plugins (unless Config.PluginDir)
package cni

import (
	"net/netip"
	"time"
)

// Config says where a Manager keeps its state and finds its plugins.
type Config struct {
	// StateRoot holds networks, IPAM data and libcni's cache.
	StateRoot string
	// PluginDir holds the CNI plugin binaries; default <StateRoot>/cni/bin.
	PluginDir string
}

// Network types.
const (
	TypeBridge  = "bridge"
	TypeMacvlan = "macvlan"
)

// NetworkSpec is what a user or a profile declares about a network.
type NetworkSpec struct {
	Name   string `json:"name"`
	Subnet string `json:"subnet"`
	// Type is TypeBridge (default) or TypeMacvlan.
	Type string `json:"type"`
	// Master is the host interface a macvlan network hangs off.
	Master string `json:"master,omitempty"`
	// MTU of the interfaces (and the bridge); 0 keeps the kernel default.
	MTU int `json:"mtu,omitempty"`
	// Gateway gives the host the first address of the subnet on the bridge
	// (the management network). ParseNetworkSpec defaults it to true for
	// bridge networks; a Go caller sets it explicitly.
	Gateway bool `json:"gateway"`
	// Labels are opaque to this package (the orchestrator stores the owning
	// profile here).
	Labels map[string]string `json:"labels,omitempty"`
}

// Network is a created network.
type Network struct {
	NetworkSpec
	// Bridge is the host bridge's name (empty for macvlan).
	Bridge string `json:"bridge,omitempty"`
	// Gateway is the host's address on the bridge; invalid when the spec
	// asks for no gateway.
	Gateway netip.Addr `json:"gatewayAddress"`
	Created time.Time  `json:"created"`
}

// AttachRequest names one interface of one container on one network.
type AttachRequest struct {
	ContainerID string
	// NetNS is the path of the container's network namespace (a bind mount).
	NetNS   string
	Network string
	// IfName is the interface name inside the container; default the
	// network's name.
	IfName string
	// IP is an optional static address inside the network's subnet.
	IP netip.Addr
	// Bandwidth optionally shapes the interface (bridge networks only).
	Bandwidth *Bandwidth
}

// Bandwidth limits traffic of one attachment through the bandwidth plugin.
// Rates are in bits per second, bursts in bits; a direction with a zero rate
// or burst is not shaped.
type Bandwidth struct {
	IngressRate, IngressBurst uint64
	EgressRate, EgressBurst   uint64
}

// Attachment is an interface that Attach created.
type Attachment struct {
	Network, IfName string
	Address         netip.Prefix
	// Gateway is the network's host address, invalid if it has none.
	Gateway  netip.Addr
	MAC      string
	HostVeth string
}

// Impairment emulates a worse link. Zero fields are not applied.
type Impairment struct {
	Delay, Jitter  time.Duration
	LossPercent    float64
	RateBitsPerSec uint64
}
