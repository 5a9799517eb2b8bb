package upf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// n4Handler is the pfcp.UPHandler of the NF's node: the node calls it for
// the session requests of associated SMFs.
type n4Handler struct{ n *NF }

var _ pfcp.UPHandler = n4Handler{}

// OnEstablish implements pfcp.UPHandler.
func (h n4Handler) OnEstablish(_ context.Context, req *pfcp.Session) ([]pfcp.CreatedPDR, pfcp.Cause) {
	n := h.n
	if n.draining.Load() {
		n.log.Info("session establishment refused: draining", "cp_seid", req.CPSEID)
		return nil, pfcp.CauseNoResourcesAvailable
	}
	s := newSession(n, req.UPSEID, req.CPSEID)
	s.mu.Lock()
	created, _, err := s.apply(&pfcp.Modification{CreatePDRs: req.PDRs, CreateFARs: req.FARs,
		CreateQERs: req.QERs, CreateURRs: req.URRs})
	if err != nil {
		s.mu.Unlock()
		s.remove() // nothing to report: it was never installed
		n.log.Info("session establishment refused", "cp_seid", req.CPSEID, "err", err)
		return nil, causeOf(err)
	}
	s.mu.Unlock()
	n.sessMu.Lock()
	n.sessions[s.seid] = s
	n.sessMu.Unlock()
	n.stats.established.Add(1)
	n.log.Debug("session established", "seid", s.seid, "cp_seid", s.cpSEID, "pdrs", len(req.PDRs))
	return created, pfcp.CauseRequestAccepted
}

// OnModify implements pfcp.UPHandler.
func (h n4Handler) OnModify(_ context.Context, m *pfcp.Modification) ([]pfcp.CreatedPDR, []pfcp.UsageReport, pfcp.Cause) {
	n := h.n
	s := n.session(m.UPSEID)
	if s == nil {
		return nil, nil, pfcp.CauseSessionContextNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created, reports, err := s.apply(m)
	if err != nil {
		n.log.Info("session modification refused", "seid", s.seid, "err", err)
		return nil, nil, causeOf(err)
	}
	return created, reports, pfcp.CauseRequestAccepted
}

// OnDelete implements pfcp.UPHandler.
func (h n4Handler) OnDelete(_ context.Context, seid uint64) ([]pfcp.UsageReport, pfcp.Cause) {
	n := h.n
	n.sessMu.Lock()
	s := n.sessions[seid]
	delete(n.sessions, seid)
	n.sessMu.Unlock()
	if s == nil {
		return nil, pfcp.CauseSessionContextNotFound
	}
	reports := s.remove()
	n.stats.deleted.Add(1)
	n.log.Debug("session deleted", "seid", seid, "cp_seid", s.cpSEID)
	return reports, pfcp.CauseRequestAccepted
}

func (n *NF) session(seid uint64) *session {
	n.sessMu.Lock()
	defer n.sessMu.Unlock()
	return n.sessions[seid]
}

// Sessions is the number of PFCP sessions installed.
func (n *NF) Sessions() int {
	n.sessMu.Lock()
	defer n.sessMu.Unlock()
	return len(n.sessions)
}

// allocTunnel picks a free TEID (never 0) and registers it for s.
func (n *NF) allocTunnel(s *session) (uint32, error) {
	n.teidMu.Lock()
	defer n.teidMu.Unlock()
	for range maxTEIDTries {
		n.lastTEID++
		if n.lastTEID == 0 {
			continue
		}
		err := n.addTunnel(s, n.lastTEID)
		if err == nil {
			return n.lastTEID, nil
		}
		if !errors.Is(err, gtpu.ErrTunnelExists) {
			return 0, err
		}
	}
	return 0, &ruleError{cause: pfcp.CauseNoResourcesAvailable, msg: "no free TEID"}
}

// maxTEIDTries bounds the search for a free TEID.
const maxTEIDTries = 1 << 20

// addTunnel registers teid for s with the endpoint.
func (n *NF) addTunnel(s *session, teid uint32) error {
	t := &tunnel{n: n, sess: s, teid: teid}
	if err := n.gtp.AddTunnel(teid, t); err != nil {
		if errors.Is(err, gtpu.ErrTunnelExists) {
			return &ruleError{cause: pfcp.CauseRuleCreationModificationFailure,
				msg: fmt.Sprintf("local TEID %#x belongs to another session", teid), err: err}
		}
		return err
	}
	s.tunnels[teid] = t
	return nil
}

// dropTunnel unregisters one of s's TEIDs.
func (n *NF) dropTunnel(s *session, teid uint32) {
	n.gtp.RemoveTunnel(teid)
	delete(s.tunnels, teid)
}

// indexUE makes the downlink path find s by exactly the addresses in want.
// A newer session claiming an address takes it over (say, after an SMF
// restart left the old one behind).
func (n *NF) indexUE(s *session, want map[netip.Addr]bool) {
	n.ueMu.Lock()
	defer n.ueMu.Unlock()
	n.trackForeign(s.ueAddrs, want)
	for a := range s.ueAddrs {
		if k := addrKey(a); !want[a] && n.byUE.get(k) == s {
			n.byUE.set(k, nil)
		}
	}
	for a := range want {
		k := addrKey(a)
		old := n.byUE.get(k)
		if old != nil && old != s {
			n.log.Warn("UE address moves to a new session", "ue", a, "old_seid", old.seid, "seid", s.seid)
		}
		if old != s {
			n.byUE.set(k, s)
		}
	}
	s.ueAddrs = want
}

// sessionForUE finds the session of a UE by its IPv4 address.
func (n *NF) sessionForUE(key uint32) *session { return n.byUE.get(key) }

func addrKey(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}
