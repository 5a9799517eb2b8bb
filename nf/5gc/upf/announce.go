package upf

import (
	"net/netip"
	"slices"
)

// announce tells the orchestrator (ops GET /routes) what the data network
// must route to this instance: its pool slices, and a /32 per UE address
// outside them (a session moved here from another UPF keeps its address).
// The caller holds ueMu, or nothing runs concurrently yet.
func (n *NF) announce() {
	routes := slices.Clone(n.pools)
	for a := range n.foreign {
		routes = append(routes, netip.PrefixFrom(a, 32))
	}
	n.ops.SetRoutes(n.cfg.N6.Network, routes)
}

// trackForeign follows a session's UE addresses from old to want: an
// address outside the pools gets a route into N6 and is announced while
// some session holds it. The caller holds ueMu.
func (n *NF) trackForeign(old, want map[netip.Addr]bool) {
	changed := false
	for a := range want {
		if old[a] || n.inPools(a) {
			continue
		}
		n.foreign[a]++
		if n.foreign[a] == 1 {
			changed = true
			n.routeForeign(a, true)
		}
	}
	for a := range old {
		if want[a] || n.inPools(a) {
			continue
		}
		if n.foreign[a]--; n.foreign[a] <= 0 {
			delete(n.foreign, a)
			changed = true
			n.routeForeign(a, false)
		}
	}
	if changed {
		n.announce()
	}
}

func (n *NF) inPools(a netip.Addr) bool {
	return slices.ContainsFunc(n.pools, func(p netip.Prefix) bool { return p.Contains(a) })
}

func (n *NF) routeForeign(a netip.Addr, on bool) {
	if n.n6 == nil {
		return
	}
	if err := n.n6.SetRoute(netip.PrefixFrom(a, 32), on); err != nil {
		n.log.Warn("route for a UE address outside our pools", "ue", a, "on", on, "err", err)
	}
}
