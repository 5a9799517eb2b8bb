package pcrf

import (
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// errFull: max_sessions reached.
var errFull = errors.New("session table full")

// gxSession is one IP-CAN session: a PDN connection a PGW told us of in
// CCR-Initial, keyed by its Gx Session-Id.
type gxSession struct {
	id       string
	imsi     string
	msisdn   string
	ue       netip.Addr // Framed-IP-Address; invalid when the CCR had none
	apn      string
	pgwHost  string // where RARs go (the CCR's Origin-Host)
	pgwRealm string
	created  time.Time

	// rarMu keeps this session's RARs one at a time, in order (an install
	// is answered before the matching remove goes out).
	rarMu sync.Mutex

	// Guarded by store.mu.
	rx    map[string]*rxSession
	rules map[string]bool // installed rule names; false once reported inactive
}

// rxSession is one AF session (a P-CSCF's Rx Session-Id) bound to a Gx
// session.
type rxSession struct {
	id      string
	seq     uint64 // makes its rule names unique
	gx      *gxSession
	afHost  string
	afRealm string

	// mu serialises the AARs and the STR of this session.
	mu    sync.Mutex
	rules map[uint32]string // by Media-Component-Number; guarded by mu
}

// store holds the sessions. Lock order: rxSession.mu, then
// gxSession.rarMu, then store.mu; nothing waits on the network under
// store.mu.
type store struct {
	mu   sync.Mutex
	max  int
	gx   map[string]*gxSession
	byIP map[netip.Addr][]*gxSession // oldest first
	rx   map[string]*rxSession
}

func newStore(max int) *store {
	return &store{max: max, gx: map[string]*gxSession{}, byIP: map[netip.Addr][]*gxSession{},
		rx: map[string]*rxSession{}}
}

// addGx records g. A session of the same Session-Id (a repeated
// CCR-Initial) is replaced, and returned with its Rx sessions detached.
func (s *store) addGx(g *gxSession) (*gxSession, []*rxSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.gx[g.id]
	if old == nil && len(s.gx) >= s.max {
		return nil, nil, errFull
	}
	var detached []*rxSession
	if old != nil {
		detached = s.dropGxLocked(old)
	}
	g.rx = map[string]*rxSession{}
	g.rules = map[string]bool{}
	s.gx[g.id] = g
	if g.ue.IsValid() {
		s.byIP[g.ue] = append(s.byIP[g.ue], g)
	}
	return old, detached, nil
}

func (s *store) gxByID(id string) *gxSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gx[id]
}

// removeGx forgets the session id and the Rx sessions bound to it.
func (s *store) removeGx(id string) (*gxSession, []*rxSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gx[id]
	if g == nil {
		return nil, nil
	}
	return g, s.dropGxLocked(g)
}

// removeGxIf forgets g if it is still the session of its id.
func (s *store) removeGxIf(g *gxSession) []*rxSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gx[g.id] != g {
		return nil
	}
	return s.dropGxLocked(g)
}

func (s *store) dropGxLocked(g *gxSession) []*rxSession {
	delete(s.gx, g.id)
	if g.ue.IsValid() {
		list := slices.DeleteFunc(s.byIP[g.ue], func(x *gxSession) bool { return x == g })
		if len(list) == 0 {
			delete(s.byIP, g.ue)
		} else {
			s.byIP[g.ue] = list
		}
	}
	detached := slices.Collect(maps.Values(g.rx))
	for _, r := range detached {
		delete(s.rx, r.id)
	}
	g.rx = map[string]*rxSession{}
	return detached
}

// alive reports whether g is still held.
func (s *store) alive(g *gxSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gx[g.id] == g
}

// bind finds the Gx session an AAR for ue binds to: the newest one of
// that address on an APN may allows.
func (s *store) bind(ue netip.Addr, may func(apn string) bool) *gxSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.byIP[ue.Unmap()]
	for i := len(list) - 1; i >= 0; i-- {
		if may(list[i].apn) {
			return list[i]
		}
	}
	return nil
}

// addRx records r under its Gx session, unless that session is gone (ok
// false) or another Rx session of the same id got there first (that one
// is returned).
func (s *store) addRx(r *rxSession) (got *rxSession, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.rx[r.id]; cur != nil {
		return cur, true, nil
	}
	if s.gx[r.gx.id] != r.gx {
		return nil, false, nil
	}
	if len(s.rx) >= s.max {
		return nil, false, errFull
	}
	s.rx[r.id] = r
	r.gx.rx[r.id] = r
	return r, true, nil
}

func (s *store) rxByID(id string) *rxSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rx[id]
}

// removeRx forgets r; false when it was already gone.
func (s *store) removeRx(r *rxSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rx[r.id] != r {
		return false
	}
	delete(s.rx, r.id)
	delete(r.gx.rx, r.id)
	return true
}

// rxAlive reports whether r is still held.
func (s *store) rxAlive(r *rxSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rx[r.id] == r
}

// setRules marks names installed (true), inactive (false) or removed
// (deleted) on g.
func (s *store) setRules(g *gxSession, names []string, state ruleState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		switch state {
		case ruleRemoved:
			delete(g.rules, n)
		default:
			g.rules[n] = state == ruleActive
		}
	}
}

type ruleState int

const (
	ruleActive ruleState = iota
	ruleInactive
	ruleRemoved
)

func (s *store) counts() (gx, rx int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.gx), len(s.rx)
}

// SessionInfo is what GET /sessions/{ue} shows of a Gx session.
type SessionInfo struct {
	SessionID  string          `json:"session_id"`
	IMSI       string          `json:"imsi,omitempty"`
	MSISDN     string          `json:"msisdn,omitempty"`
	UE         string          `json:"ue"`
	APN        string          `json:"apn"`
	PGW        string          `json:"pgw"`
	Created    time.Time       `json:"created"`
	Rules      map[string]bool `json:"rules"` // name: active
	RxSessions []string        `json:"rx_sessions"`
}

// sessionsOf describes the Gx sessions holding ue, oldest first.
func (s *store) sessionsOf(ue netip.Addr) []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionInfo
	for _, g := range s.byIP[ue.Unmap()] {
		out = append(out, SessionInfo{SessionID: g.id, IMSI: g.imsi, MSISDN: g.msisdn, UE: g.ue.String(), APN: g.apn,
			PGW: g.pgwHost, Created: g.created, Rules: maps.Clone(g.rules),
			RxSessions: slices.Sorted(maps.Keys(g.rx))})
	}
	return out
}
