package amf

import (
	"errors"

	"github.com/corebox/corebox/nf/proto/nas5g"
)

// Identity procedure message types (TS 24.501 9.7); nas5g has no typed
// view of them, so the AMF encodes and reads them itself.
const (
	msgIdentityRequest  nas5g.MessageType = 0x5B
	msgIdentityResponse nas5g.MessageType = 0x5C
)

// unprotectedOK lists what the AMF processes without verified integrity
// (TS 24.501 4.4.4.3). A Service Request is let through so that it can be
// answered with a Service Reject.
func unprotectedOK(mt nas5g.MessageType) bool {
	switch mt {
	case nas5g.MsgRegistrationRequest, msgIdentityResponse, nas5g.MsgAuthenticationResponse,
		nas5g.MsgAuthenticationFailure, nas5g.MsgSecurityModeReject,
		nas5g.MsgDeregistrationRequestUEOriginating, nas5g.MsgServiceRequest:
		return true
	}
	return false
}

// onUplinkNAS handles one uplink NAS PDU on the UE's executor.
func (u *ue) onUplinkNAS(r *ranUE, pdu []byte) {
	if !u.current(r) {
		u.n.m.nasDiscarded.Inc()
		return
	}
	plain, verified, ok := u.unprotect(pdu)
	if !ok {
		return
	}
	mt, isSM, err := nas5g.PeekType(plain)
	if err != nil || isSM {
		u.n.m.nasMalformed.Inc()
		u.logger().Debug("undecodable uplink NAS message", "err", err)
		return
	}
	if !verified && !unprotectedOK(mt) {
		u.n.m.nasDiscarded.Inc()
		u.logger().Info("discarded a NAS message without valid integrity protection", "type", mt)
		return
	}
	switch mt {
	case nas5g.MsgRegistrationRequest:
		u.onRegistrationRequest(r, plain, verified)
	case msgIdentityResponse:
		u.onIdentityResponse(r, plain)
	case nas5g.MsgAuthenticationResponse:
		u.onAuthResponse(r, plain)
	case nas5g.MsgAuthenticationFailure:
		u.onAuthFailure(r, plain)
	case nas5g.MsgSecurityModeComplete:
		u.onSMCComplete(r, plain)
	case nas5g.MsgSecurityModeReject:
		u.onSMCReject(r, plain)
	case nas5g.MsgRegistrationComplete:
		u.onRegistrationComplete(r)
	case nas5g.MsgULNASTransport:
		u.onULNASTransport(r, plain)
	case nas5g.MsgDeregistrationRequestUEOriginating:
		u.onDeregistration(r, plain)
	case nas5g.MsgServiceRequest:
		u.onServiceRequest(r, plain, verified)
	default:
		u.n.m.nasDiscarded.Inc()
		u.logger().Info("discarded an unexpected NAS message", "type", mt)
	}
}

// unprotect verifies and deciphers a PDU with the UE's security context.
// A PDU that does not verify (or arrives without a context) is returned
// unverified when its content is readable, so the caller can still take
// the messages TS 24.501 4.4.4.3 allows; ok is false when it is dropped.
func (u *ue) unprotect(pdu []byte) (plain []byte, verified, ok bool) {
	ht, err := nas5g.HeaderTypeOf(pdu)
	if err != nil {
		u.n.m.nasMalformed.Inc()
		return nil, false, false
	}
	if ht == nas5g.Plain {
		return pdu, false, true
	}
	u.mu.Lock()
	sec := u.sec
	newCtx := ht == nas5g.IntegrityProtectedNewContext || ht == nas5g.IntegrityProtectedAndCipheredNewContext
	expectNew := u.reg != nil && u.reg.stage == stageSMC
	if sec != nil && newCtx == expectNew {
		p, _, err := sec.Unprotect(pdu)
		if err == nil {
			u.lastUL = sec.ULCount - 1
			u.mu.Unlock()
			return p, true, true
		}
		u.mu.Unlock()
		if errors.Is(err, nas5g.ErrMACMismatch) || errors.Is(err, nas5g.ErrReplay) {
			u.n.m.nasMACFailures.Inc()
			u.logger().Info("uplink NAS integrity check failed", "err", err)
		} else {
			u.n.m.nasMalformed.Inc()
			u.logger().Info("uplink NAS PDU did not unprotect", "err", err)
			return nil, false, false
		}
	} else {
		u.mu.Unlock()
	}
	if ht == nas5g.IntegrityProtectedAndCiphered || ht == nas5g.IntegrityProtectedAndCipheredNewContext {
		u.n.m.nasDiscarded.Inc() // unreadable without a verified context
		return nil, false, false
	}
	_, inner, err := nas5g.ParseSecurityHeader(pdu)
	if err != nil {
		u.n.m.nasMalformed.Inc()
		return nil, false, false
	}
	return inner, false, true
}

// 5GMM causes nas5g has no constant for (TS 24.501 9.11.3.2).
const cause5GSServicesNotAllowed uint8 = 7
