package pcscf

import (
	"context"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	imssip "github.com/corebox/corebox/nf/proto/sip"
)

// relay forwards p.fwd in a client transaction and relays its responses
// to tx until the final one. After the UE's side is over (answered,
// cancelled) it still waits for the downstream final response, so the
// client transaction can ACK it.
func (n *PCSCF) relay(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, p *plan) {
	callID := req.CallID().Value()
	ctxTx, err := n.ep.Client.TransactionRequest(ctx, p.fwd, sipgo.ClientRequestAddVia)
	if err != nil {
		n.log.Warn("forward request", "method", req.Method, "dest", p.fwd.Destination(), "err", err)
		n.respond(req, tx, sip.StatusServiceUnavailable, "Next Hop Unreachable")
		if req.IsInvite() {
			n.endRx(callID, "unreachable")
		}
		return
	}
	defer ctxTx.Terminate()
	if req.IsInvite() {
		tx.OnCancel(func(*sip.Request) {
			go n.cancelDownstream(p.fwd)
			n.endRx(callID, "cancel")
		})
	}
	upstreamDone := false
	txDone := tx.Done()
	for {
		select {
		case res := <-ctxTx.Responses():
			if res == nil {
				continue
			}
			if !upstreamDone {
				upstreamDone = n.onResponse(req, tx, p, res)
			}
			if res.StatusCode >= 200 {
				return
			}
		case <-ctxTx.Done():
			if !upstreamDone {
				n.log.Warn("forwarded request failed", "method", req.Method, "dest", p.fwd.Destination(), "err", ctxTx.Err())
				n.respond(req, tx, sip.StatusRequestTimeout, "Request Timeout")
			}
			if req.IsInvite() {
				n.endRx(callID, "timeout")
			}
			return
		case <-txDone:
			upstreamDone, txDone = true, nil
		case <-ctx.Done():
			return
		}
	}
}

// onResponse handles one response of the forwarded request and relays it;
// it reports whether the UE's transaction got its final response.
func (n *PCSCF) onResponse(req *sip.Request, tx sip.ServerTransaction, p *plan, res *sip.Response) bool {
	res.RemoveHeader("Via") // ours
	switch req.Method {
	case sip.REGISTER:
		n.onRegisterResponse(p, res)
	case sip.INVITE:
		if done := n.onInviteResponse(req, tx, p, res); done {
			return true
		}
	}
	res.SetDestination(req.Source())
	if err := tx.Respond(res); err != nil {
		n.log.Warn("relay response", "method", req.Method, "code", res.StatusCode, "err", err)
	}
	return res.StatusCode >= 200
}

// onInviteResponse authorizes the media of an answer; with the Rx policy
// required a failure rejects the call (503 to the caller side, CANCEL to
// the callee side) and reports true.
func (n *PCSCF) onInviteResponse(req *sip.Request, tx sip.ServerTransaction, p *plan, res *sip.Response) bool {
	callID := req.CallID().Value()
	switch {
	case res.StatusCode >= 300:
		n.endRx(callID, "rejected")
		return false
	case res.StatusCode == 100 || !isSDP(res):
		return false
	}
	err := n.authorize(leg{callID, p.dir}, res.Body())
	if err == nil {
		return false
	}
	if n.cfg.Rx.Policy == RxOptional || res.StatusCode >= 200 {
		// A 2xx is already a dialog: rejecting it would need ACK and BYE
		// both ways; the call goes on without its dedicated bearer.
		n.log.Warn("rx authorization failed, call goes on", "call_id", callID, "code", res.StatusCode, "err", err)
		return false
	}
	n.log.Warn("rx authorization failed, rejecting call", "call_id", callID, "err", err)
	go n.cancelDownstream(p.fwd)
	n.endRx(callID, "rx failed")
	n.respond(req, tx, sip.StatusServiceUnavailable, "Resources Not Available")
	return true
}

// sdpCarrier is a request or response.
type sdpCarrier interface {
	GetHeader(name string) sip.Header
	Body() []byte
}

func isSDP(m sdpCarrier) bool {
	ct := m.GetHeader("Content-Type")
	return ct != nil && len(m.Body()) > 0 && strings.HasPrefix(strings.ToLower(ct.Value()), imssip.ContentTypeSDP)
}

func (n *PCSCF) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string) {
	if err := tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil)); err != nil {
		n.log.Warn("respond", "code", code, "err", err)
	}
}

// cancelDownstream sends a CANCEL for the INVITE we forwarded (RFC 3261
// 9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via).
func (n *PCSCF) cancelDownstream(inv *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	if v := inv.Via(); v != nil {
		c.AppendHeader(v.Clone())
	}
	for _, h := range inv.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	for _, name := range []string{"From", "To", "Call-ID"} {
		if h := inv.GetHeader(name); h != nil {
			c.AppendHeader(sip.HeaderClone(h))
		}
	}
	if cs := inv.CSeq(); cs != nil {
		c.AppendHeader(&sip.CSeqHeader{SeqNo: cs.SeqNo, MethodName: sip.CANCEL})
	}
	c.SetTransport(inv.Transport())
	c.SetDestination(inv.Destination())
	ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
	defer cancel()
	ctxTx, err := n.ep.Client.TransactionRequest(ctx, c, func(*sipgo.Client, *sip.Request) error { return nil })
	if err != nil {
		n.log.Warn("send CANCEL", "call_id", inv.CallID().Value(), "err", err)
		return
	}
	defer ctxTx.Terminate()
	select {
	case <-ctxTx.Responses():
	case <-ctxTx.Done():
	case <-ctx.Done():
	}
}
