package pfcp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// cpSession is what the CP side keeps per established session.
type cpSession struct {
	upSEID uint64
	peer   netip.AddrPort
}

// EstablishResult is the UP function's answer to a session establishment.
type EstablishResult struct {
	CPSEID      uint64
	UPSEID      uint64     // UP F-SEID
	UPAddr      netip.Addr // UP F-SEID address
	CreatedPDRs []CreatedPDR
}

// ModifyResult is the UP function's answer to a session modification.
type ModifyResult struct {
	CreatedPDRs  []CreatedPDR
	UsageReports []UsageReport
}

// EstablishSession installs s on the associated UP peer (CP role). A zero
// s.CPSEID is allocated here.
func (n *Node) EstablishSession(ctx context.Context, upf netip.AddrPort, s *Session) (*EstablishResult, error) {
	if n.cfg.Role != RoleCP {
		return nil, fmt.Errorf("establish session: %w", ErrWrongRole)
	}
	if !n.Associated(upf) {
		return nil, fmt.Errorf("establish session with %s: %w", upf, ErrNotAssociated)
	}
	n.mu.Lock()
	cpSEID := s.CPSEID
	if cpSEID == 0 {
		cpSEID = allocSEID(n, n.cpSessions)
	}
	_, taken := n.cpSessions[cpSEID]
	if !taken {
		n.cpSessions[cpSEID] = &cpSession{peer: upf} // reserved until the answer
	}
	n.mu.Unlock()
	if taken {
		return nil, fmt.Errorf("establish session: CP SEID %#x already in use", cpSEID)
	}
	res, err := n.establish(ctx, upf, cpSEID, s)
	n.mu.Lock()
	if err != nil {
		delete(n.cpSessions, cpSEID)
	} else {
		n.cpSessions[cpSEID].upSEID = res.UPSEID
	}
	n.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("establish session %#x with %s: %w", cpSEID, upf, err)
	}
	return res, nil
}

func (n *Node) establish(ctx context.Context, upf netip.AddrPort, cpSEID uint64, s *Session) (*EstablishResult, error) {
	ies := append([]*ie.IE{n.nodeIDIE(), ie.NewFSEID(cpSEID, ip4(n.fseidAddr), nil)}, s.CreateIEs()...)
	req := message.NewSessionEstablishmentRequest(0, 0, 0, 0, 0, nonNil(ies)...)
	resp, err := n.request(ctx, upf, req, n.cfg.N1)
	if err != nil {
		return nil, err
	}
	res, ok := resp.(*message.SessionEstablishmentResponse)
	if !ok {
		return nil, fmt.Errorf("%w: got %s", ErrMalformed, resp.MessageTypeName())
	}
	if err := checkCause(res.Cause, res.OffendingIE); err != nil {
		return nil, err
	}
	if res.UPFSEID == nil {
		return nil, fmt.Errorf("%w: accepted without UP F-SEID", ErrMalformed)
	}
	f, err := res.UPFSEID.FSEID()
	if err != nil {
		return nil, fmt.Errorf("%w: UP F-SEID: %v", ErrMalformed, err)
	}
	created, err := decodeAll(res.CreatedPDR, ParseCreatedPDR)
	if err != nil {
		return nil, fmt.Errorf("%w: created PDR: %v", ErrMalformed, err)
	}
	upAddr, _ := netip.AddrFromSlice(f.IPv4Address)
	return &EstablishResult{CPSEID: cpSEID, UPSEID: f.SEID, UPAddr: upAddr.Unmap(), CreatedPDRs: created}, nil
}

func (n *Node) cpSession(cpSEID uint64) (cpSession, error) {
	if n.cfg.Role != RoleCP {
		return cpSession{}, ErrWrongRole
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.cpSessions[cpSEID]
	if s == nil || s.upSEID == 0 {
		return cpSession{}, fmt.Errorf("CP SEID %#x: %w", cpSEID, ErrUnknownSession)
	}
	return *s, nil
}

// ModifySession sends m for the session established as cpSEID.
func (n *Node) ModifySession(ctx context.Context, cpSEID uint64, m *Modification) (*ModifyResult, error) {
	sess, err := n.cpSession(cpSEID)
	if err != nil {
		return nil, fmt.Errorf("modify session: %w", err)
	}
	ies := append([]*ie.IE{ie.NewFSEID(cpSEID, ip4(n.fseidAddr), nil)}, m.IEs()...)
	req := message.NewSessionModificationRequest(0, 0, sess.upSEID, 0, 0, nonNil(ies)...)
	resp, err := n.request(ctx, sess.peer, req, n.cfg.N1)
	if err != nil {
		return nil, fmt.Errorf("modify session %#x: %w", cpSEID, err)
	}
	res, ok := resp.(*message.SessionModificationResponse)
	if !ok {
		return nil, fmt.Errorf("modify session: %w: got %s", ErrMalformed, resp.MessageTypeName())
	}
	if err := checkCause(res.Cause, res.OffendingIE); err != nil {
		n.forgetIfUnknown(cpSEID, err)
		return nil, fmt.Errorf("modify session %#x: %w", cpSEID, err)
	}
	var out ModifyResult
	if out.CreatedPDRs, err = decodeAll(res.CreatedPDR, ParseCreatedPDR); err != nil {
		return nil, fmt.Errorf("modify session %#x: %w: %v", cpSEID, ErrMalformed, err)
	}
	if out.UsageReports, err = decodeAll(res.UsageReport, ParseUsageReport); err != nil {
		return nil, fmt.Errorf("modify session %#x: %w: %v", cpSEID, ErrMalformed, err)
	}
	return &out, nil
}

// DeleteSession removes the session established as cpSEID and returns the
// final usage reports.
func (n *Node) DeleteSession(ctx context.Context, cpSEID uint64) ([]UsageReport, error) {
	sess, err := n.cpSession(cpSEID)
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	req := message.NewSessionDeletionRequest(0, 0, sess.upSEID, 0, 0)
	resp, err := n.request(ctx, sess.peer, req, n.cfg.N1)
	if err != nil {
		return nil, fmt.Errorf("delete session %#x: %w", cpSEID, err)
	}
	res, ok := resp.(*message.SessionDeletionResponse)
	if !ok {
		return nil, fmt.Errorf("delete session: %w: got %s", ErrMalformed, resp.MessageTypeName())
	}
	if err := checkCause(res.Cause, res.OffendingIE); err != nil {
		n.forgetIfUnknown(cpSEID, err)
		return nil, fmt.Errorf("delete session %#x: %w", cpSEID, err)
	}
	n.forget(cpSEID)
	reports, err := decodeAll(res.UsageReport, ParseUsageReport)
	if err != nil {
		return nil, fmt.Errorf("delete session %#x: %w: %v", cpSEID, ErrMalformed, err)
	}
	return reports, nil
}

func (n *Node) forget(cpSEID uint64) {
	n.mu.Lock()
	delete(n.cpSessions, cpSEID)
	n.mu.Unlock()
}

// forgetIfUnknown drops a session the UP function no longer knows.
func (n *Node) forgetIfUnknown(cpSEID uint64, err error) {
	var ce *CauseError
	if errors.As(err, &ce) && ce.Cause == CauseSessionContextNotFound {
		n.forget(cpSEID)
	}
}

func (n *Node) onSessionReport(ctx context.Context, from netip.AddrPort, req *message.SessionReportRequest) message.Message {
	cpSEID := req.SEID()
	n.mu.Lock()
	sess := n.cpSessions[cpSEID]
	n.mu.Unlock()
	if sess == nil || sess.peer != from {
		n.stats.UnknownSEID.Add(1)
		return message.NewSessionReportResponse(0, 0, 0, req.Sequence(), 0, ie.NewCause(uint8(CauseSessionContextNotFound)))
	}
	reply := func(c Cause, offending uint16) message.Message {
		ies := withOffending([]*ie.IE{ie.NewCause(uint8(c))}, offending)
		return message.NewSessionReportResponse(0, 0, sess.upSEID, req.Sequence(), 0, ies...)
	}
	r, err := ParseSessionReport(req)
	if err != nil {
		cause, offending := rejection(err)
		n.log.Info("session report rejected", "peer", from, "err", err)
		return reply(cause, offending)
	}
	if n.cfg.OnSessionReport == nil {
		return reply(CauseRequestAccepted, 0)
	}
	return reply(n.cfg.OnSessionReport(ctx, from, cpSEID, r), 0)
}
