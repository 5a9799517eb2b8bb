package ue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corebox/corebox/nf/proto/nas5g"
)

// pagingResponseTimeout bounds a Service Request answering a paging.
const pagingResponseTimeout = 10 * time.Second

// downlink is an opened downlink NAS PDU.
type downlink struct {
	msg nas5g.Message
	// raw is the PDU as received; a Security Mode Command is verified
	// from it once its keys exist.
	raw []byte
}

// errDropped marks a downlink PDU dropped (counted, not an error of the
// running procedure).
var errDropped = errors.New("downlink nas dropped")

// plainAllowed lists what a UE with a security context still takes
// unprotected (TS 24.501 4.4.4.2).
var plainAllowed = map[nas5g.MessageType]bool{
	nas5g.MsgAuthenticationRequest: true, nas5g.MsgAuthenticationReject: true,
	nas5g.MsgRegistrationReject: true, nas5g.MsgServiceReject: true,
}

// open checks and decodes a downlink NAS PDU. Whatever does not decode or
// verify is counted and gives errDropped.
func (u *UE) open(pdu []byte) (downlink, error) {
	ht, err := nas5g.HeaderTypeOf(pdu)
	if err != nil {
		return downlink{}, u.dropNAS("malformed", err)
	}
	switch ht {
	case nas5g.Plain:
		m, err := nas5g.Decode(pdu)
		if err != nil {
			return downlink{}, u.dropDecode(err)
		}
		if u.sec != nil && !plainAllowed[m.MessageType()] {
			return downlink{}, u.dropNAS("unprotected", fmt.Errorf("%s without integrity protection", m.MessageType()))
		}
		return downlink{msg: m}, nil
	case nas5g.IntegrityProtectedNewContext:
		_, inner, err := nas5g.ParseSecurityHeader(pdu)
		if err != nil {
			return downlink{}, u.dropNAS("malformed", err)
		}
		smc, err := nas5g.ParseSecurityModeCommand(inner)
		if err != nil {
			return downlink{}, u.dropDecode(err)
		}
		return downlink{msg: smc, raw: pdu}, nil
	}
	if u.sec == nil {
		return downlink{}, u.dropNAS("no_context", errors.New("protected PDU before any security context"))
	}
	plain, _, err := u.sec.Unprotect(pdu)
	if err != nil {
		reason := "malformed"
		if errors.Is(err, nas5g.ErrMACMismatch) || errors.Is(err, nas5g.ErrReplay) {
			reason = "integrity"
		}
		return downlink{}, u.dropNAS(reason, err)
	}
	m, err := nas5g.Decode(plain)
	if err != nil {
		return downlink{}, u.dropDecode(err)
	}
	return downlink{msg: m}, nil
}

func (u *UE) dropDecode(err error) error {
	if errors.Is(err, nas5g.ErrUnsupported) {
		return u.dropNAS("unsupported", err)
	}
	return u.dropNAS("malformed", err)
}

func (u *UE) dropNAS(reason string, err error) error {
	u.sim.m.nasDropped.WithLabelValues(reason).Inc()
	if reason == "malformed" {
		u.sim.m.malformed.WithLabelValues("nas").Inc()
	}
	u.sim.log.Debug("downlink nas dropped", "supi", u.supi, "reason", reason, "err", err)
	return errDropped
}

// unsolicited handles an event no procedure waits for.
func (u *UE) unsolicited(ctx context.Context, ev event) {
	if u.eps != nil {
		u.unsolicitedEPS(ctx, ev)
		return
	}
	switch ev.kind {
	case evRelease:
		u.released()
	case evSessionReady:
		u.sessionReady(ev.session)
	case evPaging:
		u.sim.m.pagings.Inc()
		if u.registered && !u.rrc {
			u.respondToPaging(ctx)
		}
	case evUplinkData:
		if u.registered && !u.rrc {
			sctx, cancel := context.WithTimeout(ctx, pagingResponseTimeout)
			defer cancel()
			if err := u.serviceRequest(sctx, nas5g.ServiceData); err != nil {
				u.sim.log.Debug("service request for uplink data", "supi", u.supi, "err", err)
			}
		}
	case evNAS:
		if dl, err := u.open(ev.nas); err == nil {
			u.networkInitiated(dl)
		}
	}
}

func (u *UE) respondToPaging(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, pagingResponseTimeout)
	defer cancel()
	if err := u.serviceRequest(sctx, nas5g.ServiceMobileTerminated); err != nil {
		u.sim.log.Info("service request after paging failed", "supi", u.supi, "err", err)
	}
}

// networkInitiated handles a NAS message outside any UE procedure.
func (u *UE) networkInitiated(dl downlink) {
	switch m := dl.msg.(type) {
	case *nas5g.DLNASTransport:
		u.sessionMessage(m)
	default:
		u.sim.m.nasDropped.WithLabelValues("unexpected").Inc()
		u.sim.log.Debug("nas message outside a procedure ignored", "supi", u.supi, "type", dl.msg.MessageType())
	}
}

// sessionMessage handles network-initiated 5GSM: a PDU Session Release
// Command is completed and the session dropped.
func (u *UE) sessionMessage(m *nas5g.DLNASTransport) {
	if m.PayloadType != nas5g.PayloadN1SM {
		return
	}
	inner, err := nas5g.Decode(m.Payload)
	if err != nil {
		_ = u.dropDecode(err)
		return
	}
	cmd, ok := inner.(*nas5g.PDUSessionReleaseCommand)
	if !ok {
		u.sim.m.nasDropped.WithLabelValues("unexpected").Inc()
		return
	}
	done, err := (&nas5g.PDUSessionReleaseComplete{SessionHeader: cmd.SessionHeader}).Encode()
	if err == nil {
		err = u.sendProtected(&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: done,
			PDUSessionID: cmd.PDUSessionID})
	}
	if err != nil {
		u.sim.log.Warn("pdu session release complete", "supi", u.supi, "err", err)
	}
	if s := u.sessions[cmd.PDUSessionID]; s != nil {
		u.dropSession(cmd.PDUSessionID, s)
		u.publish()
	}
}

func (u *UE) sessionReady(id uint8) {
	s := u.sessions[id]
	if s == nil {
		return
	}
	s.ready = true
	if s.accepted {
		u.sim.dp.setReady(s.addr, true)
	}
}
