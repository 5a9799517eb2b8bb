package probe

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/corebox/corebox/nf/nfkit"
)

// parseAnnounce reads announce (config, or PUT /routes): network names and
// IP prefixes in CIDR form.
func parseAnnounce(in map[string][]string) (map[string][]netip.Prefix, error) {
	out := make(map[string][]netip.Prefix, len(in))
	for network, list := range in {
		if strings.TrimSpace(network) == "" {
			return nil, fmt.Errorf("a network without a name")
		}
		ps := make([]netip.Prefix, 0, len(list))
		for _, s := range list {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a prefix such as 10.45.0.0/16", network, s)
			}
			ps = append(ps, p)
		}
		out[network] = ps
	}
	return out, nil
}

// setAnnounce replaces every announcement: networks left out are withdrawn.
func (n *NF) setAnnounce(routes map[string][]netip.Prefix) {
	for network := range n.ops.Routes() {
		if _, keep := routes[network]; !keep {
			n.ops.SetRoutes(network, nil)
		}
	}
	for network, ps := range routes {
		n.ops.SetRoutes(network, ps)
	}
}

// maxRoutesBody bounds PUT /routes: a few thousand prefixes.
const maxRoutesBody = 256 << 10

// announceBody is the body of PUT /routes, the shape GET /routes answers.
type announceBody struct {
	Routes map[string][]string `json:"routes"`
}

// putRoutes replaces what the probe announces: {"routes":{"n6":[...]}}.
func (n *NF) putRoutes(w http.ResponseWriter, r *http.Request) {
	var b announceBody
	if err := nfkit.ReadJSON(w, r, maxRoutesBody, &b); err != nil {
		n.bad(w, r, err)
		return
	}
	if b.Routes == nil {
		n.bad(w, r, fmt.Errorf(`want {"routes": {"NETWORK": ["PREFIX", ...]}}`))
		return
	}
	routes, err := parseAnnounce(b.Routes)
	if err != nil {
		n.bad(w, r, err)
		return
	}
	n.setAnnounce(routes)
	n.log.Info("announcements set", "networks", len(routes))
	nfkit.WriteJSON(w, http.StatusOK, nfkit.RoutesStatus{Routes: n.ops.Routes()})
}
