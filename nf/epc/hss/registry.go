package hss

import (
	"net/http"
	"sync"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Registration is the serving MME of one IMSI, as the last ULR set it.
type Registration struct {
	MMEHost  string    `json:"mme_host"`
	MMERealm string    `json:"mme_realm"`
	Purged   bool      `json:"purged"`
	Updated  time.Time `json:"updated"`
}

// registry keeps the serving MME per IMSI in memory: the UDR has no place
// for EPC registrations (its amf-3gpp-access context is the AMF's, and an
// MME there would mislead the UDM). Consequences: a restarted HSS forgets
// the serving MMEs (the next ULR from a new MME sends no CLR), and HSS
// replicas do not share them.
type registry struct {
	mu     sync.Mutex
	byIMSI map[string]Registration
}

// set records reg for imsi and returns the previous registration.
func (r *registry) set(imsi string, reg Registration) (Registration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, ok := r.byIMSI[imsi]
	r.byIMSI[imsi] = reg
	return prev, ok
}

// purge marks imsi purged when host is its serving MME.
func (r *registry) purge(imsi, host string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.byIMSI[imsi]
	if !ok || reg.MMEHost != host {
		return false
	}
	reg.Purged = true
	reg.Updated = time.Now()
	r.byIMSI[imsi] = reg
	return true
}

func (r *registry) get(imsi string) (Registration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.byIMSI[imsi]
	return reg, ok
}

func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byIMSI)
}

// ServingMME is the MME registered for imsi by its last ULR.
func (h *HSS) ServingMME(imsi string) (Registration, bool) { return h.mmes.get(imsi) }

func (h *HSS) opsRoutes() {
	h.ops.Handle("GET /registrations/{imsi}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg, ok := h.mmes.get(r.PathValue("imsi"))
		if !ok {
			nfkit.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no MME registered for " + r.PathValue("imsi")})
			return
		}
		nfkit.WriteJSON(w, http.StatusOK, reg)
	}))
}
