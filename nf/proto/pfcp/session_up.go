package pfcp

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// upSession is what the UP side keeps to route reports back to the CP.
type upSession struct {
	cpSEID uint64
	peer   netip.AddrPort
}

// allocSEID returns a SEID not used in taken.
func allocSEID[T any](n *Node, taken map[uint64]T) uint64 {
	for {
		n.lastSEID++
		if _, used := taken[n.lastSEID]; n.lastSEID != 0 && !used {
			return n.lastSEID
		}
	}
}

func (n *Node) upSession(from netip.AddrPort, upSEID uint64) *upSession {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.upSessions[upSEID]
	if s == nil || s.peer != from {
		n.stats.UnknownSEID.Add(1)
		return nil
	}
	return s
}

func createdPDRIEs(created []CreatedPDR) []*ie.IE {
	var ies []*ie.IE
	for i := range created {
		ies = append(ies, CreatedPDRIE(&created[i]))
	}
	return ies
}

func usageReportIEs(typ uint16, reports []UsageReport) []*ie.IE {
	var ies []*ie.IE
	for i := range reports {
		ies = append(ies, UsageReportIE(typ, &reports[i]))
	}
	return ies
}

func withOffending(ies []*ie.IE, offending uint16) []*ie.IE {
	if offending != 0 {
		ies = append(ies, ie.NewOffendingIE(offending))
	}
	return ies
}

func (n *Node) onEstablish(ctx context.Context, from netip.AddrPort, req *message.SessionEstablishmentRequest) message.Message {
	var cpSEID uint64
	reply := func(c Cause, offending uint16, more ...*ie.IE) message.Message {
		ies := append([]*ie.IE{n.nodeIDIE(), ie.NewCause(uint8(c))}, more...)
		return message.NewSessionEstablishmentResponse(0, 0, cpSEID, req.Sequence(), 0, nonNil(withOffending(ies, offending))...)
	}
	if req.CPFSEID == nil {
		return reply(CauseMandatoryIEMissing, ie.FSEID)
	}
	f, err := req.CPFSEID.FSEID()
	if err != nil {
		return reply(CauseMandatoryIEIncorrect, ie.FSEID)
	}
	cpSEID = f.SEID
	if !n.Associated(from) {
		return reply(CauseNoEstablishedPFCPAssociation, 0)
	}
	if req.NodeID == nil {
		return reply(CauseMandatoryIEMissing, ie.NodeID)
	}
	s, err := ParseSessionRules(req)
	if err != nil {
		cause, offending := rejection(err)
		n.log.Info("session establishment rejected", "peer", from, "err", err)
		return reply(cause, offending)
	}
	n.mu.Lock()
	s.CPSEID, s.UPSEID = cpSEID, allocSEID(n, n.upSessions)
	n.upSessions[s.UPSEID] = &upSession{cpSEID: cpSEID, peer: from}
	n.mu.Unlock()
	created, cause := n.cfg.UP.OnEstablish(ctx, s)
	if !cause.Accepted() {
		n.mu.Lock()
		delete(n.upSessions, s.UPSEID)
		n.mu.Unlock()
		return reply(cause, 0)
	}
	more := append([]*ie.IE{ie.NewFSEID(s.UPSEID, ip4(n.fseidAddr), nil)}, createdPDRIEs(created)...)
	return reply(cause, 0, more...)
}

func (n *Node) onModify(ctx context.Context, from netip.AddrPort, req *message.SessionModificationRequest) message.Message {
	sess := n.upSession(from, req.SEID())
	if sess == nil {
		return message.NewSessionModificationResponse(0, 0, 0, req.Sequence(), 0, ie.NewCause(uint8(CauseSessionContextNotFound)))
	}
	reply := func(c Cause, offending uint16, more ...*ie.IE) message.Message {
		ies := append([]*ie.IE{ie.NewCause(uint8(c))}, more...)
		return message.NewSessionModificationResponse(0, 0, sess.cpSEID, req.Sequence(), 0, nonNil(withOffending(ies, offending))...)
	}
	m, err := ParseModification(req)
	if err != nil {
		cause, offending := rejection(err)
		n.log.Info("session modification rejected", "peer", from, "err", err)
		return reply(cause, offending)
	}
	m.CPSEID, m.UPSEID = sess.cpSEID, req.SEID()
	created, reports, cause := n.cfg.UP.OnModify(ctx, m)
	more := append(createdPDRIEs(created), usageReportIEs(ie.UsageReportWithinSessionModificationResponse, reports)...)
	return reply(cause, 0, more...)
}

func (n *Node) onDelete(ctx context.Context, from netip.AddrPort, req *message.SessionDeletionRequest) message.Message {
	upSEID := req.SEID()
	sess := n.upSession(from, upSEID)
	if sess == nil {
		return message.NewSessionDeletionResponse(0, 0, 0, req.Sequence(), 0, ie.NewCause(uint8(CauseSessionContextNotFound)))
	}
	reports, cause := n.cfg.UP.OnDelete(ctx, upSEID)
	if cause.Accepted() {
		n.mu.Lock()
		delete(n.upSessions, upSEID)
		n.mu.Unlock()
	}
	ies := append([]*ie.IE{ie.NewCause(uint8(cause))}, usageReportIEs(ie.UsageReportWithinSessionDeletionResponse, reports)...)
	return message.NewSessionDeletionResponse(0, 0, sess.cpSEID, req.Sequence(), 0, nonNil(ies)...)
}

// SendSessionReport sends a Session Report Request for a UP session to
// its CP function and waits for the answer (UP role).
func (n *Node) SendSessionReport(ctx context.Context, upSEID uint64, r *SessionReport) error {
	if n.cfg.Role != RoleUP {
		return fmt.Errorf("session report: %w", ErrWrongRole)
	}
	n.mu.Lock()
	sess := n.upSessions[upSEID]
	n.mu.Unlock()
	if sess == nil {
		return fmt.Errorf("session report for UP SEID %#x: %w", upSEID, ErrUnknownSession)
	}
	req := message.NewSessionReportRequest(0, 0, sess.cpSEID, 0, 0, nonNil(SessionReportIEs(r))...)
	resp, err := n.request(ctx, sess.peer, req, n.cfg.N1)
	if err != nil {
		return fmt.Errorf("session report for UP SEID %#x: %w", upSEID, err)
	}
	res, ok := resp.(*message.SessionReportResponse)
	if !ok {
		return fmt.Errorf("session report: %w: got %s", ErrMalformed, resp.MessageTypeName())
	}
	if err := checkCause(res.Cause, res.OffendingIE); err != nil {
		return fmt.Errorf("session report for UP SEID %#x: %w", upSEID, err)
	}
	return nil
}
