package dn

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// Route sends a prefix (a UE address pool) to a gateway (the UPF's N6 or
// the PGW's SGi address), so the dn's replies find their way back.
type Route struct {
	To  string `yaml:"to"`
	Via string `yaml:"via"`
}

func (r Route) parse() (netip.Prefix, netip.Addr, error) {
	to, err := netip.ParsePrefix(r.To)
	if err != nil {
		return to, netip.Addr{}, fmt.Errorf("routes: to %q: want a CIDR such as 10.45.0.0/16", r.To)
	}
	via, err := netip.ParseAddr(r.Via)
	if err != nil {
		return to, via, fmt.Errorf("routes: via %q: want the gateway's IP address", r.Via)
	}
	if to.Addr().Is4() != via.Is4() {
		return to, via, fmt.Errorf("routes: %s via %s mixes IPv4 and IPv6", r.To, r.Via)
	}
	return to.Masked(), via, nil
}

// installRoutes adds (or replaces) the configured routes; the kernel picks
// the interface that reaches each gateway.
func installRoutes(routes []Route) error {
	for _, r := range routes {
		to, via, err := r.parse()
		if err != nil {
			return err
		}
		route := &netlink.Route{Dst: prefixNet(to), Gw: via.AsSlice()}
		if err := netlink.RouteReplace(route); err != nil {
			return fmt.Errorf("route %s via %s: %w (the dn needs NET_ADMIN for routes)", to, via, err)
		}
	}
	return nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
