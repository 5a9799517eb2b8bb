package pcrf

import (
	"net/http"
	"net/netip"

	"github.com/corebox/corebox/nf/nfkit"
)

// SessionsOf describes the Gx sessions holding the UE address ue, oldest
// first (normally one).
func (n *PCRF) SessionsOf(ue netip.Addr) []SessionInfo { return n.store.sessionsOf(ue) }

func (n *PCRF) opsRoutes() {
	n.ops.Handle("GET /sessions/{ue}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ue, err := netip.ParseAddr(r.PathValue("ue"))
		if err != nil {
			nfkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "not an IP address: " + r.PathValue("ue")})
			return
		}
		s := n.store.sessionsOf(ue)
		if len(s) == 0 {
			nfkit.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no Gx session holds " + ue.String()})
			return
		}
		nfkit.WriteJSON(w, http.StatusOK, s)
	}))
}
