package cni

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"path/filepath"
)

// bridgeName is the host bridge of a network: "cb" + 6 hex digits of the
// state root's hash + "-" + the network name when that fits in 15 bytes,
// else "_" + 6 hex digits of a hash of (root, name). The root's hash keeps
// two state roots (tests side by side) from ever sharing a bridge; '_'
// cannot occur in a network name, so the two forms never collide.
func bridgeName(stateRoot, network string) string {
	prefix := "cb" + shortHash(stateRoot)
	if short := prefix + "-" + network; len(short) <= maxNameLen {
		return short
	}
	return prefix + "_" + shortHash(stateRoot+"\x00"+network)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:3])
}

// firstHost is the gateway address host-local reserves: network address + 1.
func firstHost(p netip.Prefix) netip.Addr { return p.Masked().Addr().Next() }

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	hostBits := 32 - p.Bits()
	for i := 3; i >= 0 && hostBits > 0; i-- {
		n := min(hostBits, 8)
		a[i] |= byte(1<<n - 1)
		hostBits -= n
	}
	return netip.AddrFrom4(a)
}

// paths is the on-disk layout under one state root.
type paths struct{ root string }

func (p paths) networksDir() string            { return filepath.Join(p.root, "networks") }
func (p paths) networkFile(name string) string { return filepath.Join(p.networksDir(), name+".json") }
func (p paths) lockFile() string               { return filepath.Join(p.networksDir(), ".lock") }
func (p paths) ipamDir() string                { return filepath.Join(p.root, "cni", "ipam") }
func (p paths) cacheDir() string               { return filepath.Join(p.root, "cni", "cache") }
func (p paths) tuningDir() string              { return filepath.Join(p.root, "cni", "tuning") }
func (p paths) defaultPluginDir() string       { return filepath.Join(p.root, "cni", "bin") }
