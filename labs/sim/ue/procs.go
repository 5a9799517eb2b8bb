package ue

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// sessionParams is what the sessions step asks for.
type sessionParams struct {
	id     uint8
	dnn    string
	snssai nas5g.SNSSAI
}

// serviceRequest brings an idle UE back to CM-CONNECTED (TS 24.501
// 5.6.1): Service Request, integrity protected, as an initial NAS message;
// Service Accept. For uplink data it waits until the sessions' user plane
// is up again.
func (u *UE) serviceRequest(ctx context.Context, serviceType uint8) error {
	if u.rrc {
		return nil
	}
	if !u.registered || u.sec == nil || u.guti == nil {
		return errNotReg
	}
	err := u.serviceSteps(ctx, serviceType)
	u.sim.m.serviceRequests.WithLabelValues(outcome(err)).Inc()
	if err != nil && u.rrc {
		u.leave(!isReject(err))
	}
	return err
}

func (u *UE) serviceSteps(ctx context.Context, serviceType uint8) error {
	var status uint16
	for id, s := range u.sessions {
		if s.accepted {
			status |= 1 << id
		}
	}
	sr := &nas5g.ServiceRequest{NgKSI: u.ngKSI, ServiceType: serviceType, STMSI: u.guti.STMSI(), PDUSessionStatus: status}
	if serviceType == nas5g.ServiceData {
		sr.UplinkDataStatus = status
	}
	pdu, err := u.protect(sr, nas5g.IntegrityProtected)
	if err != nil {
		return err
	}
	if err := u.sendNAS(pdu); err != nil {
		return err
	}
	accepted := false
	for {
		if accepted && u.sessionsReady(sr.UplinkDataStatus) {
			u.publish()
			return nil
		}
		ev, err := u.next(ctx)
		if err != nil {
			return err
		}
		switch ev.kind {
		case evRelease:
			u.released()
			return errReleased
		case evNAS:
		default:
			u.unsolicited(ctx, ev)
			continue
		}
		dl, err := u.open(ev.nas)
		if err != nil {
			continue
		}
		switch m := dl.msg.(type) {
		case *nas5g.ServiceAccept:
			accepted = true
		case *nas5g.ServiceReject:
			if m.Cause == nas5g.CauseUEIdentityCannotBeDerived || m.Cause == nas5g.CauseImplicitlyDeregistered {
				u.forget() // the network lost us: register again
			}
			return fmt.Errorf("service %w: %s", errRejected, mmCause(m.Cause))
		default:
			u.networkInitiated(dl)
		}
	}
}

// sessionsReady reports whether every session in the bitmap has its user
// plane up.
func (u *UE) sessionsReady(bitmap uint16) bool {
	for id, s := range u.sessions {
		if bitmap&(1<<id) != 0 && !s.ready {
			return false
		}
	}
	return true
}

// establish opens a PDU session (TS 24.501 6.4.1): PDU Session
// Establishment Request in a UL NAS Transport; Accept (and the gNB's
// SessionReady) or Reject.
func (u *UE) establish(ctx context.Context, p sessionParams) (string, error) {
	if !u.registered {
		return "", errNotReg
	}
	if s := u.sessions[p.id]; s != nil && s.accepted {
		return "", fmt.Errorf("PDU session %d already established", p.id)
	}
	if err := u.serviceRequest(ctx, nas5g.ServiceSignalling); err != nil {
		return "", err
	}
	addr, err := u.establishSteps(ctx, p)
	u.sim.m.sessionsTotal.WithLabelValues(outcome(err)).Inc()
	if err != nil {
		if s := u.sessions[p.id]; s != nil && !s.accepted {
			delete(u.sessions, p.id)
		}
		return "", err
	}
	return addr, nil
}

func (u *UE) establishSteps(ctx context.Context, p sessionParams) (string, error) {
	s := &pduSession{id: p.id, pti: u.nextPTI(), dnn: p.dnn}
	req, err := (&nas5g.PDUSessionEstablishmentRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: p.id, PTI: s.pti},
		MaxIntegrityRateUL: nas5g.FullDataRate, MaxIntegrityRateDL: nas5g.FullDataRate,
		PDUSessionType: nas5g.SessionIPv4, SSCMode: nas5g.SSCMode1}).Encode()
	if err != nil {
		return "", fmt.Errorf("encode pdu session establishment request: %w", err)
	}
	snssai := p.snssai
	u.sessions[p.id] = s
	err = u.sendProtected(&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: req, PDUSessionID: p.id,
		RequestType: nas5g.RequestInitial, SNSSAI: &snssai, DNN: p.dnn})
	if err != nil {
		return "", err
	}
	for {
		if s.accepted && s.ready {
			u.sim.dp.setReady(s.addr, true)
			return s.addr.String(), nil
		}
		ev, err := u.next(ctx)
		if err != nil {
			return "", err
		}
		switch ev.kind {
		case evRelease:
			u.released()
			return "", errReleased
		case evNAS:
		default:
			u.unsolicited(ctx, ev)
			continue
		}
		dl, err := u.open(ev.nas)
		if err != nil {
			continue
		}
		t, ok := dl.msg.(*nas5g.DLNASTransport)
		if !ok || t.PDUSessionID != p.id {
			u.networkInitiated(dl)
			continue
		}
		if err := u.sessionAnswer(s, t); err != nil {
			return "", err
		}
	}
}

// sessionAnswer takes the network's answer to our establishment request.
func (u *UE) sessionAnswer(s *pduSession, t *nas5g.DLNASTransport) error {
	if t.Cause != 0 {
		return fmt.Errorf("pdu session not forwarded: %s", mmCause(t.Cause))
	}
	if t.PayloadType != nas5g.PayloadN1SM {
		return nil
	}
	inner, err := nas5g.Decode(t.Payload)
	if err != nil {
		_ = u.dropDecode(err)
		return nil
	}
	switch m := inner.(type) {
	case *nas5g.PDUSessionEstablishmentAccept:
		if m.PTI != s.pti {
			return nil
		}
		return u.sessionAccepted(s, m)
	case *nas5g.PDUSessionEstablishmentReject:
		return fmt.Errorf("pdu session %w: %s", errRejected, smCause(m.Cause))
	default:
		u.sessionMessage(t)
	}
	return nil
}

func (u *UE) sessionAccepted(s *pduSession, m *nas5g.PDUSessionEstablishmentAccept) error {
	if !m.Address.Is4() {
		return errors.New("pdu session accept without an IPv4 address")
	}
	s.addr, s.qfi = m.Address, 0
	for _, r := range m.QoSRules {
		if r.Default {
			s.qfi = r.QFI
		}
	}
	if err := u.sim.dp.add(u, s.id, s.addr); err != nil {
		return fmt.Errorf("data plane: %w", err)
	}
	s.accepted = true
	u.publish()
	return nil
}

// deregister runs a UE-originating deregistration (TS 24.501 5.5.2.2).
// A switched-off UE does not wait for an answer.
func (u *UE) deregister(ctx context.Context, switchOff bool) error {
	if !u.registered {
		return nil
	}
	err := u.deregisterSteps(ctx, switchOff)
	u.sim.m.deregistrations.WithLabelValues(outcome(err)).Inc()
	return err
}

func (u *UE) deregisterSteps(ctx context.Context, switchOff bool) error {
	dr := &nas5g.DeregistrationRequest{SwitchOff: switchOff, AccessType: nas5g.Access3GPP, NgKSI: u.ngKSI,
		Identity: nas5g.UEIdentity{GUTI: u.guti}}
	ht := nas5g.IntegrityProtectedAndCiphered
	if !u.rrc {
		ht = nas5g.IntegrityProtected // an initial NAS message is not ciphered
	}
	pdu, err := u.protect(dr, ht)
	if err != nil {
		return err
	}
	if err := u.sendNAS(pdu); err != nil {
		return err
	}
	if switchOff {
		u.forget()
		u.leave(false)
		return nil
	}
	for {
		ev, err := u.next(ctx)
		if err != nil {
			return err
		}
		switch ev.kind {
		case evRelease:
			u.released()
			return errReleased
		case evNAS:
		default:
			u.unsolicited(ctx, ev)
			continue
		}
		dl, err := u.open(ev.nas)
		if err != nil {
			continue
		}
		if _, ok := dl.msg.(*nas5g.DeregistrationAccept); ok {
			u.forget()
			u.leave(false)
			return nil
		}
		u.networkInitiated(dl)
	}
}

// idle asks the gNB to release the UE (radio Inactive) and waits for the
// release: the UE is then CM-IDLE, its sessions kept without user plane.
func (u *UE) idle(ctx context.Context) error {
	if !u.registered {
		return errNotReg
	}
	if !u.rrc {
		return nil
	}
	if err := u.send(radio.Inactive, 0, nil); err != nil {
		return err
	}
	for {
		ev, err := u.next(ctx)
		if err != nil {
			return err
		}
		if ev.kind == evRelease {
			u.released()
			return nil
		}
		u.unsolicited(ctx, ev)
	}
}

// activeSession makes sure the UE can send on a session: it picks the
// lowest established session and, when the UE is idle, runs a Service
// Request for data first.
func (u *UE) activeSession(ctx context.Context) (uint8, netip.Addr, error) {
	if !u.registered {
		return 0, netip.Addr{}, errNotReg
	}
	var best *pduSession
	for _, s := range u.sessions {
		if s.accepted && (best == nil || s.id < best.id) {
			best = s
		}
	}
	if best == nil {
		return 0, netip.Addr{}, errors.New("no PDU session")
	}
	if !u.rrc {
		if err := u.serviceRequest(ctx, nas5g.ServiceData); err != nil {
			return 0, netip.Addr{}, err
		}
	}
	if !best.ready {
		return 0, netip.Addr{}, errors.New("session user plane not set up")
	}
	return best.id, best.addr, nil
}

// outcome is the result label of a procedure.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errAuthRejected):
		return "auth_rejected"
	case errors.Is(err, errRejected):
		return "rejected"
	case errors.Is(err, errTimeout):
		return "timeout"
	case errors.Is(err, errReleased):
		return "released"
	}
	return "error"
}

var smCauses = map[uint8]string{
	nas5g.SMCauseInsufficientResources: "insufficient resources", nas5g.SMCauseMissingOrUnknownDNN: "missing or unknown DNN",
	nas5g.SMCauseUnknownPDUSessionType: "unknown PDU session type", nas5g.SMCauseRequestRejected: "request rejected, unspecified",
	nas5g.SMCauseRegularDeactivation: "regular deactivation", nas5g.SMCauseNetworkFailure: "network failure",
	nas5g.SMCauseInvalidPDUSessionID: "invalid PDU session identity", nas5g.SMCauseNotSupportedSSCMode: "not supported SSC mode",
	nas5g.SMCauseMissingOrUnknownDNNInSlice: "missing or unknown DNN in a slice",
	29:                                      "user authentication or authorization failed", 33: "requested service option not subscribed",
	67: "insufficient resources for specific slice and DNN", 69: "insufficient resources for specific slice",
}

func smCause(c uint8) string {
	if n, ok := smCauses[c]; ok {
		return fmt.Sprintf("#%d %s", c, n)
	}
	return fmt.Sprintf("#%d", c)
}
