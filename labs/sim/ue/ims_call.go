package ue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/labs/simapi"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// headerHangUp tells the callee to send the BYE itself after the given
// talk time (a duration, "10s"). Proxies pass it unchanged; it is how a
// caller simulator asks a callee simulator to hang up.
const headerHangUp = "X-Corebox-Hang-Up"

// maxTalk bounds the talk time a callee accepts from headerHangUp.
const maxTalk = time.Hour

// callParams is one call of the calls step.
type callParams struct {
	talk       time.Duration
	calleeBye  bool // the callee sends the BYE
	bearerWait time.Duration
}

var (
	errNotIMSRegistered = errors.New("not registered to the IMS")
	errNoVoiceBearer    = errors.New("no QCI 1 bearer")
	errCallFailed       = errors.New("call failed")
)

// call places one call to target and reports it; the outcome is also
// filled when the call fails.
func (a *imsAgent) call(ctx context.Context, target string, p callParams) (simapi.CallOutcome, error) {
	out := simapi.CallOutcome{Role: roleCaller, Peer: target}
	err := a.placeCall(ctx, target, p, &out)
	if err != nil {
		out.Error = errText(err)
	}
	a.cfg.metrics.call(roleCaller, err)
	a.cfg.book.add(a.impu, out)
	return out, err
}

func (a *imsAgent) placeCall(ctx context.Context, target string, p callParams, out *simapi.CallOutcome) error {
	if !a.isRegistered() {
		return errNotIMSRegistered
	}
	var ruri sip.Uri
	if err := sip.ParseUri(target, &ruri); err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	watch := a.cfg.bearers.watch()
	defer watch.stop()
	rtpConn, err := a.cfg.listen(ctx, netip.AddrPortFrom(a.local.Addr(), 0))
	if err != nil {
		return fmt.Errorf("rtp socket: %w", err)
	}
	defer rtpConn.Close()
	offer, err := ims.NewAudioOffer(uint64(rand.Uint32()), a.local.Addr(), udpPort(rtpConn), ims.CodecPCMU)
	if err != nil {
		return fmt.Errorf("sdp offer: %w", err)
	}
	d := newDialog(roleCaller, sip.GenerateTagN(16)+"@"+a.local.Addr().String())
	d.localTag = sip.GenerateTagN(10)
	d.localURI = *a.impuURI.Clone()
	d.remoteURI = ruri
	out.CallID = d.callID
	inv := a.invite(d, ruri, []byte(offer.String()), p)
	a.addDialog(d)
	defer a.dropDialog(d.callID)

	start := time.Now()
	res, err := a.conn.do(ctx, inv, nil)
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	out.Status = res.StatusCode
	if !res.IsSuccess() {
		return fmt.Errorf("%w: %d %s", errCallFailed, res.StatusCode, res.Reason)
	}
	answered := time.Now()
	out.SetupMs = ms(answered.Sub(start))
	a.confirm(d, res, inv)
	peer, err := sdpPeer(res.Body())
	if err != nil {
		a.cfg.metrics.malformedSIP("sdp")
		return errors.Join(fmt.Errorf("sdp answer: %w", err), a.bye(ctx, d))
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

// invite builds the initial INVITE (TS 24.229 5.1.2A.1.1): Route = the
// P-CSCF then the Service-Route, our preferred identity, the offer.
func (a *imsAgent) invite(d *dialog, ruri sip.Uri, sdp []byte, p callParams) *sip.Request {
	req := sip.NewRequest(sip.INVITE, ruri)
	a.addVia(req)
	for _, r := range parseURIs(a.routeSet()) {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{Address: d.localURI, Params: sip.HeaderParams{{K: "tag", V: d.localTag}}})
	req.AppendHeader(&sip.ToHeader{Address: ruri, Params: sip.NewParams()})
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.nextCSeq(), MethodName: sip.INVITE})
	req.AppendHeader(a.contact())
	req.AppendHeader(sip.NewHeader(ims.HeaderPPreferredIdentity, "<"+a.impu+">"))
	if p.calleeBye {
		req.AppendHeader(sip.NewHeader(headerHangUp, p.talk.String()))
	}
	a.addUEHeaders(req)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(sdp)
	return req
}

// confirm makes the dialog of a 2xx and ACKs it end to end.
func (a *imsAgent) confirm(d *dialog, res *sip.Response, inv *sip.Request) {
	d.remoteTag, _ = res.To().Params.Get("tag")
	d.remoteTarget = d.remoteURI
	if c := res.Contact(); c != nil {
		d.remoteTarget = c.Address
	}
	d.routes = reversed(recordRoutes(res))
	ack := d.request(a, sip.ACK, inv.CSeq().SeqNo)
	d.mu.Lock()
	d.ack = ack
	d.mu.Unlock()
	if err := a.conn.sendRaw(ack); err != nil {
		a.log.Warn("ims ack", "call_id", d.callID, "err", err)
	}
}

// onStray ACKs a 2xx to our INVITE again (its 200 was retransmitted).
func (a *imsAgent) onStray(res *sip.Response) {
	if res.CSeq().MethodName != sip.INVITE || !res.IsSuccess() {
		return
	}
	d := a.dialogOf(res.CallID().Value())
	if d == nil {
		return
	}
	d.mu.Lock()
	ack := d.ack
	d.mu.Unlock()
	if ack != nil {
		if err := a.conn.sendRaw(ack); err != nil {
			a.log.Debug("ims ack again", "err", err)
		}
	}
}

// talk runs media until this side hangs up (after talk, sending the
// BYE) or the peer's BYE; a hang-up that fails is returned.
func (a *imsAgent) talk(ctx context.Context, d *dialog, conn net.PacketConn, peer netip.AddrPort, p callParams) (simapi.RTPStats, error) {
	mctx, stopMedia := context.WithCancel(ctx)
	defer stopMedia()
	statsc := make(chan simapi.RTPStats, 1)
	go func() {
		st, err := a.cfg.media(mctx, conn, net.UDPAddrFromAddrPort(peer))
		if err != nil && mctx.Err() == nil {
			a.log.Warn("ims media", "call_id", d.callID, "err", err)
		}
		statsc <- st
	}()
	weBye := d.role == roleCaller && !p.calleeBye || d.role == roleCallee && p.calleeBye
	wait := p.talk
	if !weBye {
		wait = p.talk + sipTimeout // the peer hangs up after talk
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var err error
	select {
	case <-d.bye:
	case <-timer.C:
		stopMedia()
		if !weBye {
			err = errors.New("the peer did not hang up")
		}
		if berr := a.bye(ctx, d); berr != nil && err == nil {
			err = berr
		}
	case <-ctx.Done():
		err = ctx.Err()
	}
	stopMedia()
	return <-statsc, err
}

// bye ends the dialog from our side and waits for its 200.
func (a *imsAgent) bye(ctx context.Context, d *dialog) error {
	res, err := a.conn.do(ctx, d.request(a, sip.BYE, d.nextCSeq()), nil)
	if err != nil {
		return fmt.Errorf("bye: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("bye: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// bearerOutcome waits for the call's QCI 1 bearer (bearerWait after the
// answer) and its release (bearerWait after the end).
func (a *imsAgent) bearerOutcome(ctx context.Context, w *bearerWatch, answered, ended time.Time, wait time.Duration, out *simapi.CallOutcome) error {
	if !w.waitActive(ctx, answered.Add(wait)) {
		return errNoVoiceBearer
	}
	w.waitReleased(ctx, ended.Add(wait))
	// Released false is reported, not failed: the lab runner decides.
	out.Bearer = w.outcome(answered)
	return nil
}

func (a *imsAgent) addDialog(d *dialog) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dialogs[d.callID] = d
}

func (a *imsAgent) dropDialog(callID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.dialogs, callID)
}

func (a *imsAgent) dialogOf(callID string) *dialog {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dialogs[callID]
}
