package pgw

import (
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// session is one PDN connection.
type session struct {
	n      *NF
	teid   uint32 // our S5/S8-C TEID
	apn    *apn
	ue     netip.Addr
	sgwC   gtpv2c.FTEID
	policy PolicySession
	ambr   AMBR
	lbi    uint8 // the default bearer's EBI

	mu      sync.Mutex // bearers, rules, gone
	bearers map[uint8]*bearer
	rules   map[string]*bearer // dedicated bearers by rule name
	gone    bool
	route   atomic.Pointer[dlRoute]
}

// bearer is one EPS bearer of a session.
type bearer struct {
	sess       *session
	ebi        uint8
	teid       uint32 // our S5/S8-U TEID
	sgwU       gtpv2c.FTEID
	peer       netip.AddrPort // where the SGW takes its G-PDUs
	qos        QoS
	chargingID uint32
	rule       string         // "" for the default bearer
	filters    []packetFilter // dedicated bearers: the TFT
}

// dlRoute is a session's downlink bearer choice, swapped whole when
// bearers come and go: dedicated bearers by precedence, else default.
type dlRoute struct {
	def       *bearer
	dedicated []*bearer
}

// pick chooses the bearer of an IPv4 packet toward the UE.
func (r *dlRoute) pick(pkt []byte) *bearer {
	for _, b := range r.dedicated {
		for i := range b.filters {
			if b.filters[i].matchDownlink(pkt) {
				return b
			}
		}
	}
	return r.def
}

// publishRoute rebuilds the downlink route from s.bearers (s.mu held).
func (s *session) publishRoute() {
	r := &dlRoute{def: s.bearers[s.lbi]}
	for _, b := range s.bearers {
		if b.ebi != s.lbi {
			r.dedicated = append(r.dedicated, b)
		}
	}
	slices.SortFunc(r.dedicated, func(x, y *bearer) int {
		return int(x.filters[0].precedence) - int(y.filters[0].precedence)
	})
	s.route.Store(r)
}

// imsiAPNKey names a UE's PDN connection to one APN.
func imsiAPNKey(imsi, apnName string) string { return imsi + "/" + apnName }

// addSession indexes s everywhere (the caller has dropped any older PDN
// connection of the UE to the same APN).
func (n *NF) addSession(s *session) {
	n.mu.Lock()
	n.sessions[s.teid] = s
	n.byID[s.policy.ID] = s
	n.byIMSIAPN[imsiAPNKey(s.policy.IMSI, s.apn.name())] = s
	n.mu.Unlock()
	s.apn.index(s.ue, s)
	s.apn.sessions.Add(1)
}

func (n *NF) sessionByTEID(teid uint32) *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sessions[teid]
}

func (n *NF) sessionByID(id string) *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byID[id]
}

func (n *NF) sessionByIMSIAPN(imsi, apnName string) *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byIMSIAPN[imsiAPNKey(imsi, apnName)]
}

// removeSession frees everything s holds; it reports false if s was
// already gone.
func (n *NF) removeSession(s *session) bool {
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return false
	}
	s.gone = true
	bearers := s.bearers
	s.bearers = map[uint8]*bearer{}
	s.rules = map[string]*bearer{}
	s.mu.Unlock()
	for _, b := range bearers {
		n.freeBearer(b)
	}
	n.mu.Lock()
	delete(n.sessions, s.teid)
	delete(n.byID, s.policy.ID)
	if n.byIMSIAPN[imsiAPNKey(s.policy.IMSI, s.apn.name())] == s {
		delete(n.byIMSIAPN, imsiAPNKey(s.policy.IMSI, s.apn.name()))
	}
	n.mu.Unlock()
	n.cTEIDs.Free(s.teid)
	s.apn.index(s.ue, nil)
	s.apn.pool.release(s.ue)
	s.apn.sessions.Add(-1)
	return true
}

// freeBearer removes a bearer's tunnel and TEID.
func (n *NF) freeBearer(b *bearer) {
	n.gtpu.RemoveTunnel(b.teid)
	n.uTEIDs.Free(b.teid)
	n.stats.bearers.Add(-1)
}
