package upf

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// session is one PFCP session: its rules as installed, the state that
// outlives recompilation (policers, usage counters, tunnels, buffer), and
// the compiled ruleSet the data path reads without locking.
type session struct {
	n      *NF
	seid   uint64 // ours (UP SEID)
	cpSEID uint64
	rules  atomic.Pointer[ruleSet]

	mu         sync.Mutex // serialises modifications, buffering and deletion
	cfg        *rules
	qers       map[uint32]*qerState
	urrs       map[uint32]*urrState
	tunnels    map[uint32]*tunnel // local TEIDs registered with the endpoint
	ueAddrs    map[netip.Addr]bool
	buf        []bufferedPacket
	reportedAt time.Time // last Downlink Data Report; zero: none this period
	deleted    bool
}

func newSession(n *NF, seid, cpSEID uint64) *session {
	s := &session{n: n, seid: seid, cpSEID: cpSEID, cfg: newRules(),
		qers: map[uint32]*qerState{}, urrs: map[uint32]*urrState{},
		tunnels: map[uint32]*tunnel{}, ueAddrs: map[netip.Addr]bool{}}
	s.rules.Store(&ruleSet{})
	return s
}

// ruleError is a modification we refuse, with the cause to answer.
type ruleError struct {
	cause pfcp.Cause
	msg   string
	err   error // what went wrong underneath, if anything
}

func (e *ruleError) Error() string { return e.msg }

func (e *ruleError) Unwrap() error { return e.err }

func ruleFailure(format string, args ...any) error {
	return &ruleError{cause: pfcp.CauseRuleCreationModificationFailure, msg: fmt.Sprintf(format, args...)}
}

// causeOf is the PFCP cause to answer for err.
func causeOf(err error) pfcp.Cause {
	var re *ruleError
	if errors.As(err, &re) {
		return re.cause
	}
	return pfcp.CauseSystemFailure
}

// apply makes m take effect as a whole or not at all. Call with s.mu held.
func (s *session) apply(m *pfcp.Modification) ([]pfcp.CreatedPDR, []pfcp.UsageReport, error) {
	if s.deleted {
		return nil, nil, &ruleError{cause: pfcp.CauseSessionContextNotFound, msg: "session deleted"}
	}
	next := s.cfg.clone()
	if err := next.edit(m); err != nil {
		return nil, nil, err
	}
	if err := next.check(); err != nil {
		return nil, nil, err
	}
	created, err := s.claimTEIDs(next)
	if err != nil {
		return nil, nil, err
	}
	reports := s.syncState(next, m.RemoveURRs)
	s.cfg = next
	s.releaseTEIDs(next.uplinkTEIDs())
	rs := compile(next, s.qers, s.urrs, s.n.peerPort)
	s.flush(rs)
	s.rules.Store(rs)
	s.n.indexUE(s, next.ueAddrs())
	return created, reports, nil
}

// edit applies removals, then creations, then updates.
func (r *rules) edit(m *pfcp.Modification) error {
	steps := []func() error{
		func() error { return removeAll(r.pdrs, m.RemovePDRs, "PDR") },
		func() error { return removeAll(r.fars, m.RemoveFARs, "FAR") },
		func() error { return removeAll(r.qers, m.RemoveQERs, "QER") },
		func() error { return removeAll(r.urrs, m.RemoveURRs, "URR") },
		func() error { r.unlink(m.RemoveQERs, m.RemoveURRs); return nil },
		func() error { return createAll(r.pdrs, m.CreatePDRs, func(p pfcp.PDR) uint16 { return p.ID }, "PDR") },
		func() error { return createAll(r.fars, m.CreateFARs, func(f pfcp.FAR) uint32 { return f.ID }, "FAR") },
		func() error { return createAll(r.qers, m.CreateQERs, func(q pfcp.QER) uint32 { return q.ID }, "QER") },
		func() error { return createAll(r.urrs, m.CreateURRs, func(u pfcp.URR) uint32 { return u.ID }, "URR") },
		func() error { return r.update(m) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// unlink drops references to removed QERs and URRs from the PDRs: the
// rule model cannot send a PDR's list emptied, so removing a QER or URR
// takes it off its PDRs.
func (r *rules) unlink(qers, urrs []uint32) {
	if len(qers) == 0 && len(urrs) == 0 {
		return
	}
	for id, p := range r.pdrs {
		p.QERIDs = slices.DeleteFunc(slices.Clone(p.QERIDs), func(q uint32) bool { return slices.Contains(qers, q) })
		p.URRIDs = slices.DeleteFunc(slices.Clone(p.URRIDs), func(u uint32) bool { return slices.Contains(urrs, u) })
		r.pdrs[id] = p
	}
}

func removeAll[K comparable, V any](m map[K]V, ids []K, kind string) error {
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			return ruleFailure("remove %s %v: not installed", kind, id)
		}
		delete(m, id)
	}
	return nil
}

func createAll[K comparable, V any](m map[K]V, items []V, id func(V) K, kind string) error {
	for _, it := range items {
		k := id(it)
		if _, ok := m[k]; ok {
			return ruleFailure("create %s %v: already installed", kind, k)
		}
		m[k] = it
	}
	return nil
}

// check verifies that every PDR's references resolve.
func (r *rules) check() error {
	for _, id := range slices.Sorted(maps.Keys(r.pdrs)) {
		p := r.pdrs[id]
		if _, ok := r.fars[p.FARID]; !ok {
			return ruleFailure("PDR %d: FAR %d not installed", id, p.FARID)
		}
		for _, q := range p.QERIDs {
			if _, ok := r.qers[q]; !ok {
				return ruleFailure("PDR %d: QER %d not installed", id, q)
			}
		}
		for _, u := range p.URRIDs {
			if _, ok := r.urrs[u]; !ok {
				return ruleFailure("PDR %d: URR %d not installed", id, u)
			}
		}
	}
	return nil
}

// claimTEIDs allocates a TEID for every CHOOSE F-TEID in next (writing it
// into the PDR) and registers every new local TEID with the endpoint. On
// failure nothing stays registered.
func (s *session) claimTEIDs(next *rules) ([]pfcp.CreatedPDR, error) {
	var created []pfcp.CreatedPDR
	var added []uint32
	fail := func(err error) ([]pfcp.CreatedPDR, error) {
		for _, teid := range added {
			s.n.dropTunnel(s, teid)
		}
		return nil, err
	}
	for _, id := range slices.Sorted(maps.Keys(next.pdrs)) {
		p := next.pdrs[id]
		f := p.PDI.LocalFTEID
		switch {
		case f == nil:
		case f.Choose:
			teid, err := s.n.allocTunnel(s)
			if err != nil {
				return fail(err)
			}
			added = append(added, teid)
			p.PDI.LocalFTEID = &pfcp.FTEID{TEID: teid, IPv4: s.n.n3}
			next.pdrs[id] = p
			created = append(created, pfcp.CreatedPDR{ID: id, LocalFTEID: p.PDI.LocalFTEID})
		case s.tunnels[f.TEID] == nil:
			if err := s.n.addTunnel(s, f.TEID); err != nil {
				return fail(err)
			}
			added = append(added, f.TEID)
		}
	}
	return created, nil
}

// releaseTEIDs unregisters the tunnels no PDR uses any more.
func (s *session) releaseTEIDs(keep map[uint32]bool) {
	for teid := range s.tunnels {
		if !keep[teid] {
			s.n.dropTunnel(s, teid)
		}
	}
}

// syncState brings the QER and URR state in line with next and returns
// the final reports of the removed URRs.
func (s *session) syncState(next *rules, removedURRs []uint32) []pfcp.UsageReport {
	for id, q := range next.qers {
		if st := s.qers[id]; st != nil {
			st.set(q)
		} else {
			s.qers[id] = newQERState(q)
		}
	}
	for id := range s.qers {
		if _, ok := next.qers[id]; !ok {
			delete(s.qers, id)
		}
	}
	var reports []pfcp.UsageReport
	for _, id := range removedURRs {
		if st := s.urrs[id]; st != nil {
			reports = append(reports, st.report(pfcp.UsageTermination))
			delete(s.urrs, id)
		}
	}
	for id, u := range next.urrs {
		if st := s.urrs[id]; st != nil {
			st.cfg = u
		} else {
			s.urrs[id] = &urrState{cfg: u}
		}
	}
	return reports
}

// usage reports every URR's measurement (restarting them).
func (s *session) usage(trigger pfcp.UsageReportTrigger) []pfcp.UsageReport {
	var out []pfcp.UsageReport
	for _, id := range slices.Sorted(maps.Keys(s.urrs)) {
		out = append(out, s.urrs[id].report(trigger))
	}
	return out
}

// remove tears the session down and returns its final usage reports.
func (s *session) remove() []pfcp.UsageReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted = true
	s.rules.Store(&ruleSet{})
	s.discardBuffer()
	s.releaseTEIDs(nil)
	s.n.indexUE(s, nil)
	return s.usage(pfcp.UsageTermination)
}
