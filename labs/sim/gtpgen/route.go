package gtpgen

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// route makes the UE pool reachable through the UPF's N6 address, so that
// downlink packets from our N6 socket go to the UPF. A route already
// there is left alone; one we add is removed by the returned function.
func (g *Generator) route() (unroute func() error, err error) {
	none := func() error { return nil }
	if !g.upfN6.IsValid() {
		g.info("route", "none (upf.n6 empty)")
		return none, nil
	}
	dst := &net.IPNet{IP: g.pool.Addr().AsSlice(), Mask: net.CIDRMask(g.pool.Bits(), 32)}
	have, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST)
	if err != nil {
		return none, fmt.Errorf("gtpgen: list routes to %s: %w", g.pool, err)
	}
	if len(have) > 0 {
		g.info("route", fmt.Sprintf("%s: already routed (via %s), left alone", g.pool, have[0].Gw))
		return none, nil
	}
	r := &netlink.Route{Dst: dst, Gw: g.upfN6.AsSlice()}
	if err := netlink.RouteAdd(r); err != nil {
		return none, fmt.Errorf("gtpgen: route %s via %s: %w (needs NET_ADMIN)", g.pool, g.upfN6, err)
	}
	g.info("route", fmt.Sprintf("%s via %s (added, removed at stop)", g.pool, g.upfN6))
	return func() error {
		if err := netlink.RouteDel(r); err != nil {
			return fmt.Errorf("gtpgen: remove route %s via %s: %w", g.pool, g.upfN6, err)
		}
		return nil
	}, nil
}
