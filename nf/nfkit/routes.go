package nfkit

import (
	"net/http"
	"net/netip"
	"slices"
)

// RoutesStatus is the body of GET /routes: by network, the prefixes the NF
// serves behind its own address there, sorted. An orchestrator routes each
// of them via that address in the NFs that ask for it (a UPF replica's
// slice of the UE pool, routed by the data network).
type RoutesStatus struct {
	Routes map[string][]netip.Prefix `json:"routes"`
}

// SetRoutes replaces what the NF announces on network: prefixes it serves
// behind its address there. Nil or empty withdraws the network. Prefixes
// are stored masked (10.45.0.1/16 is 10.45.0.0/16), sorted and without
// repeats; invalid ones are dropped and logged.
func (o *Ops) SetRoutes(network string, prefixes []netip.Prefix) {
	if network == "" {
		o.log.Warn("routes: no network named; ignored", "prefixes", len(prefixes))
		return
	}
	clean := make([]netip.Prefix, 0, len(prefixes))
	for _, p := range prefixes {
		if !p.IsValid() {
			o.log.Warn("routes: invalid prefix dropped", "network", network)
			continue
		}
		clean = append(clean, p.Masked())
	}
	slices.SortFunc(clean, comparePrefix)
	clean = slices.Compact(clean)
	o.routesMu.Lock()
	defer o.routesMu.Unlock()
	if len(clean) == 0 {
		delete(o.routes, network)
		return
	}
	if o.routes == nil {
		o.routes = map[string][]netip.Prefix{}
	}
	o.routes[network] = clean
}

// Routes is what GET /routes reports: a copy, by network.
func (o *Ops) Routes() map[string][]netip.Prefix {
	o.routesMu.Lock()
	defer o.routesMu.Unlock()
	out := make(map[string][]netip.Prefix, len(o.routes))
	for n, ps := range o.routes {
		out[n] = slices.Clone(ps)
	}
	return out
}

func (o *Ops) getRoutes(w http.ResponseWriter, _ *http.Request) {
	// encoding/json writes map keys sorted: the body is stable.
	WriteJSON(w, http.StatusOK, RoutesStatus{Routes: o.Routes()})
}

// comparePrefix orders by address, then by length (shorter first).
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
