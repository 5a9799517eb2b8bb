package mme

import (
	"errors"

	"github.com/corebox/corebox/nf/proto/naseps"
)

// onUplinkNAS handles one uplink NAS PDU on the UE's executor.
func (u *ue) onUplinkNAS(c *enbUE, pdu []byte) {
	if !u.current(c) {
		u.m.m.nasDiscarded.Inc()
		return
	}
	ht, err := naseps.HeaderTypeOf(pdu)
	if err != nil {
		u.malformedNAS("undecodable NAS header", err)
		return
	}
	if ht >= naseps.ServiceRequestHeader {
		u.m.countMsg(ifNAS, dirRx, naseps.MsgServiceRequest.String())
		u.onServiceRequest(c, pdu)
		return
	}
	plain, verified, ok := u.unprotect(pdu, ht)
	if !ok {
		return
	}
	msg, err := naseps.Parse(plain)
	if err != nil {
		if errors.Is(err, naseps.ErrUnsupported) {
			u.m.m.nasDiscarded.Inc()
			u.logger().Info("NAS message we do not handle", "err", err)
			return
		}
		u.malformedNAS("malformed NAS message", err)
		return
	}
	u.m.countMsg(ifNAS, dirRx, msg.MessageType().String())
	if !verified && !u.unprotectedOK(msg) {
		u.m.m.nasDiscarded.Inc()
		u.logger().Info("discarded a NAS message without valid integrity protection", "type", msg.MessageType())
		return
	}
	u.dispatchNAS(c, msg, verified)
}

func (u *ue) dispatchNAS(c *enbUE, msg naseps.Message, verified bool) {
	switch v := msg.(type) {
	case *naseps.AttachRequest:
		u.onAttachRequest(c, v, verified)
	case *naseps.IdentityResponse:
		u.onIdentityResponse(c, v)
	case *naseps.AuthenticationResponse:
		u.onAuthResponse(c, v)
	case *naseps.AuthenticationFailure:
		u.onAuthFailure(c, v)
	case *naseps.SecurityModeComplete:
		u.onSMCComplete(c)
	case *naseps.SecurityModeReject:
		u.onSMCReject(c, v)
	case *naseps.AttachComplete:
		u.onAttachComplete(c, v)
	case *naseps.DetachRequest:
		u.onDetachRequest(c, v)
	case *naseps.DetachAccept:
		u.onDetachAccept(c)
	case *naseps.TAURequest:
		u.onTAURequest(c, v, verified)
	case *naseps.TAUComplete:
		u.onTAUComplete(c)
	case *naseps.ESMInformationResponse:
		u.onESMInfoResponse(c, v)
	case *naseps.PDNConnectivityRequest:
		u.onPDNConnectivityRequest(c, v)
	case *naseps.PDNDisconnectRequest:
		u.onPDNDisconnectRequest(c, v)
	case *naseps.ActivateDefaultBearerAccept:
		u.onBearerAccepted(v.EBI)
	case *naseps.ActivateDedicatedBearerAccept:
		u.onBearerAccepted(v.EBI)
	case *naseps.ActivateDefaultBearerReject:
		u.onBearerRejected(v.EBI, v.Cause)
	case *naseps.ActivateDedicatedBearerReject:
		u.onBearerRejected(v.EBI, v.Cause)
	case *naseps.DeactivateBearerAccept:
		u.onDeactivateAccepted(v.EBI)
	case *naseps.EMMStatus, *naseps.ESMStatus:
		u.logger().Info("status from the UE", "message", msgName(v))
	default:
		u.m.m.nasDiscarded.Inc()
		u.logger().Info("discarded an unexpected NAS message", "type", msg.MessageType())
	}
}

// unprotectedOK lists what the MME processes without verified integrity
// (TS 24.301 4.4.4.3). A Detach Request is only taken so while no
// security context exists: once one does, a forged detach could
// otherwise end anybody's session.
func (u *ue) unprotectedOK(msg naseps.Message) bool {
	switch msg.(type) {
	case *naseps.AttachRequest, *naseps.IdentityResponse, *naseps.AuthenticationResponse,
		*naseps.AuthenticationFailure, *naseps.SecurityModeReject, *naseps.TAURequest, *naseps.DetachAccept:
		return true
	case *naseps.DetachRequest:
		u.mu.Lock()
		defer u.mu.Unlock()
		return u.sec == nil
	}
	return false
}

// unprotect verifies and deciphers a PDU with the UE's security context.
// A PDU that does not verify (or arrives without a context) is returned
// unverified when its content is readable, so the caller can still take
// the messages TS 24.301 4.4.4.3 allows; ok is false when it is dropped.
func (u *ue) unprotect(pdu []byte, ht naseps.HeaderType) (plain []byte, verified, ok bool) {
	if ht == naseps.Plain {
		return pdu, false, true
	}
	u.mu.Lock()
	sec := u.sec
	newCtx := ht == naseps.IntegrityProtectedNewContext || ht == naseps.IntegrityProtectedAndCipheredNewContext
	expectNew := u.attach != nil && u.attach.stage == stageSMC
	if sec != nil && newCtx == expectNew {
		p, _, err := sec.Unprotect(pdu)
		if err == nil {
			u.lastUL = uint32(sec.ULCount - 1)
			u.mu.Unlock()
			return p, true, true
		}
		u.mu.Unlock()
		if !errors.Is(err, naseps.ErrMACMismatch) && !errors.Is(err, naseps.ErrReplay) {
			u.malformedNAS("uplink NAS PDU did not unprotect", err)
			return nil, false, false
		}
		u.m.m.nasMACFailures.Inc()
		u.logger().Info("uplink NAS integrity check failed", "err", err)
	} else {
		u.mu.Unlock()
	}
	if ht == naseps.IntegrityProtectedAndCiphered || ht == naseps.IntegrityProtectedAndCipheredNewContext {
		u.m.m.nasDiscarded.Inc() // unreadable without a verified context
		return nil, false, false
	}
	_, inner, err := naseps.ParseSecurityHeader(pdu)
	if err != nil {
		u.malformedNAS("malformed NAS security header", err)
		return nil, false, false
	}
	return inner, false, true
}

// malformedNAS counts and logs a NAS PDU dropped as malformed.
func (u *ue) malformedNAS(what string, err error) {
	u.m.m.malformed.nas.Add(1)
	u.logger().Info(what, "err", err)
}
