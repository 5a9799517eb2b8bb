package ue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/labs/simapi"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// onRequest serves what the network sends us: new calls, their ACK and
// BYE, and the odd out-of-dialog request.
func (a *imsAgent) onRequest(req *sip.Request, _ net.Addr) {
	switch req.Method {
	case sip.ACK:
		if d := a.dialogOf(req.CallID().Value()); d != nil {
			d.gotACK()
		}
	case sip.INVITE:
		a.onInvite(req)
	case sip.BYE:
		d := a.dialogOf(req.CallID().Value())
		if d == nil {
			a.reply(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
			return
		}
		a.reply(req, sip.StatusOK, "OK")
		d.gotBYE()
	case sip.CANCEL:
		// We answer at once, so the INVITE is done: 200 to the CANCEL, the
		// call goes on (RFC 3261 9.2) until a BYE.
		if a.dialogOf(req.CallID().Value()) == nil {
			a.reply(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
			return
		}
		a.reply(req, sip.StatusOK, "OK")
	case sip.OPTIONS, sip.NOTIFY, sip.MESSAGE, sip.UPDATE:
		a.reply(req, sip.StatusOK, "OK")
	default:
		a.reply(req, sip.StatusNotImplemented, "Not Implemented")
	}
}

func (a *imsAgent) reply(req *sip.Request, code int, reason string) {
	if err := a.conn.respond(req, sip.NewResponseFromRequest(req, code, reason, nil)); err != nil {
		a.log.Debug("ims reply", "code", code, "err", err)
	}
}

// onInvite takes a new call, or refuses a re-INVITE with 488 (media
// changes are not simulated; the dialog goes on unchanged).
func (a *imsAgent) onInvite(req *sip.Request) {
	if tag, ok := req.To().Params.Get("tag"); ok && tag != "" {
		if a.dialogOf(req.CallID().Value()) == nil {
			a.reply(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
			return
		}
		a.reply(req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	if !a.isRegistered() || a.ctx.Err() != nil {
		a.reply(req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
		return
	}
	a.reply(req, sip.StatusTrying, "Trying")
	a.wg.Go(func() { a.answer(req) })
}

// answer runs a call we were offered to its end and records it.
func (a *imsAgent) answer(inv *sip.Request) {
	out := simapi.CallOutcome{Role: roleCallee, CallID: inv.CallID().Value(), Peer: inv.From().Address.String()}
	err := a.runCallee(inv, &out)
	if err != nil {
		out.Error = errText(err)
		a.log.Info("ims call as callee", "call_id", out.CallID, "err", err)
	}
	a.cfg.metrics.call(roleCallee, err)
	a.cfg.book.add(a.impu, out)
}

func (a *imsAgent) runCallee(inv *sip.Request, out *simapi.CallOutcome) error {
	ctx := a.ctx
	p, err := a.calleeParams(inv)
	if err != nil {
		a.cfg.metrics.malformedSIP("header")
		a.log.Debug("ims call: hang-up header ignored", "err", err)
	}
	peer, err := sdpPeer(inv.Body())
	if err != nil {
		a.cfg.metrics.malformedSIP("sdp")
		a.reply(inv, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return fmt.Errorf("sdp offer: %w", err)
	}
	watch := a.cfg.bearers.watch()
	defer watch.stop()
	rtpConn, err := a.cfg.listen(ctx, netip.AddrPortFrom(a.local.Addr(), 0))
	if err != nil {
		a.reply(inv, sip.StatusServiceUnavailable, "Service Unavailable")
		return fmt.Errorf("rtp socket: %w", err)
	}
	defer rtpConn.Close()
	d := a.calleeDialog(inv)
	a.addDialog(d)
	defer a.dropDialog(d.callID)
	answered, err := a.ringAndAnswer(ctx, inv, d, udpPort(rtpConn))
	if err != nil {
		return err
	}
	stats, hungUp := a.talk(ctx, d, rtpConn, peer, p)
	ended := time.Now()
	out.TalkMs, out.RTP = ms(ended.Sub(answered)), &stats
	if hungUp != nil {
		return hungUp
	}
	out.Ended = true
	return a.bearerOutcome(ctx, watch, answered, ended, p.bearerWait, out)
}

// calleeParams reads the caller's hang-up request, if any.
func (a *imsAgent) calleeParams(inv *sip.Request) (callParams, error) {
	p := callParams{bearerWait: a.cfg.calleeBearer, talk: maxTalk}
	h := inv.GetHeader(headerHangUp)
	if h == nil {
		return p, nil
	}
	talk, err := time.ParseDuration(h.Value())
	if err != nil || talk < 0 || talk > maxTalk {
		return p, fmt.Errorf("%s %q: want a duration up to %v", headerHangUp, h.Value(), maxTalk)
	}
	p.talk, p.calleeBye = talk, true
	return p, nil
}

// calleeDialog is the UAS side of the dialog an INVITE creates (12.1.1).
func (a *imsAgent) calleeDialog(inv *sip.Request) *dialog {
	d := newDialog(roleCallee, inv.CallID().Value())
	d.localTag = sip.GenerateTagN(10)
	d.remoteTag, _ = inv.From().Params.Get("tag")
	d.localURI, d.remoteURI = inv.To().Address, inv.From().Address
	d.remoteTarget = d.remoteURI
	if c := inv.Contact(); c != nil {
		d.remoteTarget = c.Address
	}
	d.routes = recordRoutes(inv)
	return d
}

// ringAndAnswer sends 180 then 200 with our SDP answer, and resends the
// 200 until the ACK comes (RFC 3261 13.3.1.4: T1 doubling up to T2, for
// 64*T1). It returns when the 200 went.
func (a *imsAgent) ringAndAnswer(ctx context.Context, inv *sip.Request, d *dialog, rtpPort int) (time.Time, error) {
	offer, err := ims.ParseSDP(inv.Body())
	if err != nil {
		return time.Time{}, fmt.Errorf("sdp offer: %w", err)
	}
	ans, err := ims.NewAudioAnswer(offer, uint64(rand.Uint32()), a.local.Addr(), rtpPort)
	if err != nil {
		a.reply(inv, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return time.Time{}, fmt.Errorf("sdp answer: %w", err)
	}
	ringing := a.calleeResponse(inv, d, sip.StatusRinging, "Ringing", nil)
	if err := a.conn.respond(inv, ringing); err != nil {
		return time.Time{}, err
	}
	ok := a.calleeResponse(inv, d, sip.StatusOK, "OK", []byte(ans.String()))
	if err := a.conn.respond(inv, ok); err != nil {
		return time.Time{}, err
	}
	answered := time.Now()
	a.wg.Go(func() { a.resendUntilACK(ctx, inv, d, ok) })
	return answered, nil
}

func (a *imsAgent) calleeResponse(inv *sip.Request, d *dialog, code int, reason string, sdp []byte) *sip.Response {
	res := sip.NewResponseFromRequest(inv, code, reason, nil)
	res.To().Params.Add("tag", d.localTag)
	res.AppendHeader(a.contact())
	if sdp != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.SetBody(sdp)
	return res
}

// resendUntilACK retransmits the 2xx; without an ACK after 64*T1 the
// dialog is ended (13.3.1.4) by marking it hung up.
func (a *imsAgent) resendUntilACK(ctx context.Context, inv *sip.Request, d *dialog, ok *sip.Response) {
	interval := sipT1
	t := time.NewTimer(interval)
	defer t.Stop()
	giveUp := time.NewTimer(sipTimeout)
	defer giveUp.Stop()
	for {
		select {
		case <-d.acked:
			return
		case <-d.bye:
			return
		case <-t.C:
			if err := a.conn.respond(inv, ok); err != nil {
				a.log.Debug("ims 200 again", "err", err)
			}
			interval = min(2*interval, sipT2)
			t.Reset(interval)
		case <-giveUp.C:
			a.log.Warn("ims call: no ACK for our 200", "call_id", d.callID)
			if err := a.bye(ctx, d); err != nil {
				a.log.Debug("ims bye after no ACK", "call_id", d.callID, "err", err)
			}
			d.gotBYE()
			return
		case <-ctx.Done():
			return
		}
	}
}
