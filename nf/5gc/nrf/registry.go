package nrf

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/free5gc/openapi/models"
)

// instance is one registered NF. Its profile is never mutated in place:
// every change stores a new one, so notifications may share it.
type instance struct {
	profile  models.Nrf_NFMgmt_NFProfile
	mgmtJSON []byte          // profile as registered/patched, to spot changes
	discJSON json.RawMessage // the discovery form, served as is
	slices   []sliceDnns     // what it serves, for S-NSSAI and DNN matching
	lastSeen time.Time
	// expired: silent past heartbeat + grace. The NRF then set nfStatus
	// SUSPENDED; statusBefore is what a heartbeat restores.
	expired      bool
	statusBefore models.Nrf_NFMgmt_NFStatus
}

// newInstance precomputes what discovery needs from p.
func newInstance(p models.Nrf_NFMgmt_NFProfile, seen time.Time) (*instance, error) {
	mgmt, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode profile %s: %w", p.NfInstanceId, err)
	}
	// The management and discovery profiles share their JSON names; the
	// discovery one simply has fewer attributes.
	var d models.Nrf_NFDisc_NFProfile
	if err := json.Unmarshal(mgmt, &d); err != nil {
		return nil, fmt.Errorf("discovery form of %s: %w", p.NfInstanceId, err)
	}
	disc, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode discovery form of %s: %w", p.NfInstanceId, err)
	}
	return &instance{profile: p, mgmtJSON: mgmt, discJSON: disc, slices: servedSlices(p), lastSeen: seen}, nil
}

// registry holds the registered NFs by nfInstanceId.
type registry struct {
	mu   sync.RWMutex
	byID map[string]*instance
}

func newRegistry() *registry { return &registry{byID: map[string]*instance{}} }

func (r *registry) get(id string) (models.Nrf_NFMgmt_NFProfile, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	in, ok := r.byID[id]
	if !ok {
		return models.Nrf_NFMgmt_NFProfile{}, false
	}
	return in.profile, true
}

func (r *registry) len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byID)
}

// ids lists instance ids of nfType (all when empty), sorted.
func (r *registry) ids(nfType models.Nrf_NFMgmt_NFType) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.byID))
	for id, in := range r.byID {
		if nfType == "" || in.profile.NfType == nfType {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// counts is instances by type and status, for the gauges.
func (r *registry) counts() map[[2]string]int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := map[[2]string]int{}
	for _, in := range r.byID {
		out[[2]string{string(in.profile.NfType), string(in.profile.NfStatus)}]++
	}
	return out
}

// search returns the discovery forms of the instances q matches, ordered
// by nfInstanceId so answers are stable.
func (r *registry) search(q search) []json.RawMessage {
	r.mu.RLock()
	type hit struct {
		id   string
		disc json.RawMessage
	}
	var hits []hit
	for id, in := range r.byID {
		if q.matches(in) {
			hits = append(hits, hit{id, in.discJSON})
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(hits, func(a, b hit) int {
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	if q.limit > 0 && len(hits) > q.limit {
		hits = hits[:q.limit]
	}
	out := make([]json.RawMessage, len(hits))
	for i, h := range hits {
		out[i] = h.disc
	}
	return out
}
