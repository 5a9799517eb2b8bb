package pcscf

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/proto/diameter"
	imssip "github.com/corebox/corebox/nf/proto/sip"
)

// dialog is the Rx side of one INVITE dialog, by Call-ID.
type dialog struct {
	ue          netip.Addr
	offer       []byte
	offerFromUE bool
	answer      []byte // the answer of the last AAR sent
	sid         string // Rx Session-Id, "" before the first AAA
}

// leg names a dialog's Rx side: one P-CSCF may serve both UEs of a call
// (same Call-ID), the caller's leg originating and the callee's
// terminating, each with its own Rx session bound to its UE's address.
type leg struct {
	callID string
	dir    direction
}

type dialogs struct {
	mu sync.Mutex
	m  map[leg]*dialog
}

func newDialogs() *dialogs { return &dialogs{m: map[leg]*dialog{}} }

func (d *dialogs) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}

// offer records the SDP offer of an INVITE crossing us.
func (d *dialogs) offer(req *sip.Request, p *plan) {
	if p.ue == "" || !isSDP(req) {
		return
	}
	ue, err := netip.ParseAddr(ueIP(p.ue))
	if err != nil {
		return
	}
	k := leg{req.CallID().Value(), p.dir}
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.m[k]
	if !ok {
		dl = &dialog{}
		d.m[k] = dl
	}
	dl.ue, dl.offer, dl.offerFromUE = ue.Unmap(), bytes.Clone(req.Body()), p.dir == dirOriginating
}

func (d *dialogs) get(k leg) (dialog, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.m[k]
	if !ok {
		return dialog{}, false
	}
	return *dl, true
}

// attempted records the answer an AAR is sent for, so that the same
// answer in a later response (183 then 200) is not sent again.
func (d *dialogs) attempted(k leg, answer []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dl, ok := d.m[k]; ok {
		dl.answer = bytes.Clone(answer)
	}
}

func (d *dialogs) authorized(k leg, sid string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dl, ok := d.m[k]; ok {
		dl.sid = sid
	}
}

// drop forgets every leg of callID and returns them.
func (d *dialogs) drop(callID string) []dialog {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []dialog
	for _, dir := range []direction{dirOriginating, dirTerminating} {
		k := leg{callID, dir}
		if dl, ok := d.m[k]; ok {
			out = append(out, *dl)
			delete(d.m, k)
		}
	}
	return out
}

// authorize sends the AAR for the offer of leg k and answer (TS 29.214
// 4.4.1); no dialog, no Rx, or an answer already authorized: nothing.
func (n *PCSCF) authorize(k leg, answer []byte) error {
	dl, ok := n.dialogs.get(k)
	if n.rx == nil || !ok || bytes.Equal(dl.answer, answer) {
		return nil
	}
	n.dialogs.attempted(k, answer)
	media, err := mediaOf(dl, answer)
	if err != nil {
		n.metrics.malformed.Inc()
		return err
	}
	sid := dl.sid
	if sid == "" {
		sid = diameter.NewSessionID(n.cfg.Rx.OriginHost)
	}
	aar := &diameter.AAR{RequestHeader: n.rxHeader(sid), AFApplicationID: n.cfg.Rx.AFApplicationID,
		Media: media, FramedIP: dl.ue}
	if n.cfg.Rx.SpecificActions {
		aar.SpecificActions = []uint32{diameter.SpecificActionLossOfBearer, diameter.SpecificActionReleaseOfBearer}
	}
	m, err := aar.Build()
	if err != nil {
		return fmt.Errorf("build AAR: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Rx.Timeout)
	defer cancel()
	ans, err := n.rx.Request(ctx, m)
	if err != nil {
		n.metrics.rx.WithLabelValues(rxAAR, rxFailed).Inc()
		return fmt.Errorf("AAR: %w", err)
	}
	aaa, err := diameter.ParseAAA(ans)
	if err != nil {
		n.metrics.rx.WithLabelValues(rxAAR, rxFailed).Inc()
		return fmt.Errorf("AAA: %w", err)
	}
	if !aaa.Result.OK() {
		n.metrics.rx.WithLabelValues(rxAAR, rxRefused).Inc()
		return fmt.Errorf("AAA: %w", aaa.Result.Err("AAA"))
	}
	n.metrics.rx.WithLabelValues(rxAAR, rxOK).Inc()
	n.dialogs.authorized(k, sid)
	n.log.Info("media authorized", "call_id", k.callID, "ue", dl.ue, "components", len(media))
	return nil
}

func (n *PCSCF) rxHeader(sid string) diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: sid, OriginHost: n.cfg.Rx.OriginHost, OriginRealm: n.cfg.Rx.OriginRealm,
		DestinationRealm: n.cfg.Rx.DestinationRealm}
}

// mediaOf derives the Media-Component-Descriptions of an offer/answer.
func mediaOf(dl dialog, answer []byte) ([]diameter.MediaComponent, error) {
	offer, err := imssip.ParseSDP(dl.offer)
	if err != nil {
		return nil, fmt.Errorf("sdp offer: %w", err)
	}
	ans, err := imssip.ParseSDP(answer)
	if err != nil {
		return nil, fmt.Errorf("sdp answer: %w", err)
	}
	ueSDP, remoteSDP := offer, ans
	if !dl.offerFromUE {
		ueSDP, remoteSDP = ans, offer
	}
	mcs, err := imssip.DeriveMediaComponents(ueSDP, remoteSDP)
	if err != nil {
		return nil, err
	}
	out := make([]diameter.MediaComponent, 0, len(mcs))
	for _, mc := range mcs {
		c := diameter.MediaComponent{Number: uint32(mc.Number), MediaType: mc.RxMediaType,
			MaxReqBandwidthUL: clamp32(mc.MaxRequestedBandwidthUL), MaxReqBandwidthDL: clamp32(mc.MaxRequestedBandwidthDL)}
		for _, f := range mc.Flows {
			s := diameter.MediaSubComponent{FlowNumber: uint32(f.FlowNumber), Descriptions: []string{f.Downlink, f.Uplink}}
			if f.FlowNumber == 2 {
				s.Usage = diameter.FlowUsageRTCP
			}
			c.Subs = append(c.Subs, s)
		}
		out = append(out, c)
	}
	return out, nil
}

func clamp32(v uint64) uint32 { return uint32(min(v, math.MaxUint32)) }

// endRx forgets callID's legs and ends their Rx sessions, if any, with
// an STR each.
func (n *PCSCF) endRx(callID, why string) {
	for _, dl := range n.dialogs.drop(callID) {
		if dl.sid != "" && n.rx != nil {
			n.sendSTR(callID, dl, why)
		}
	}
}

func (n *PCSCF) sendSTR(callID string, dl dialog, why string) {
	str := &diameter.STR{RequestHeader: n.rxHeader(dl.sid), TerminationCause: diameter.TerminationLogout}
	m, err := str.Build()
	if err != nil {
		n.log.Error("build STR", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Rx.Timeout)
	defer cancel()
	ans, err := n.rx.Request(ctx, m)
	if err != nil {
		n.metrics.rx.WithLabelValues(rxSTR, rxFailed).Inc()
		n.log.Warn("STR", "call_id", callID, "err", err)
		return
	}
	sta, err := diameter.ParseSTA(ans)
	switch {
	case err != nil:
		n.metrics.rx.WithLabelValues(rxSTR, rxFailed).Inc()
		n.log.Warn("STA", "call_id", callID, "err", err)
	case !sta.Result.OK():
		n.metrics.rx.WithLabelValues(rxSTR, rxRefused).Inc()
		n.log.Warn("STR refused", "call_id", callID, "result", sta.Result)
	default:
		n.metrics.rx.WithLabelValues(rxSTR, rxOK).Inc()
		n.log.Info("rx session ended", "call_id", callID, "why", why)
	}
}
