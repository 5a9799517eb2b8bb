package pcscf

import (
	"context"
	"errors"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// txTimeout bounds one forwarded transaction (64*T1, and some).
const txTimeout = 40 * time.Second

// serve is the handler of every method: prepare, forward, relay.
func (n *PCSCF) serve(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsCancel() {
		// sipgo answers the CANCELs of INVITEs it holds (OnCancel in
		// relay); one reaching us matches nothing.
		n.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	p, err := n.prepare(req)
	if err != nil {
		n.refuse(req, tx, err)
		return
	}
	if req.IsAck() {
		if err := n.ep.Client.WriteRequest(p.fwd, sipgo.ClientRequestAddVia); err != nil {
			n.log.Warn("forward ACK", "call_id", req.CallID().Value(), "err", err)
		}
		return
	}
	if req.Method == sip.BYE {
		n.endRx(req.CallID().Value(), "bye")
	}
	if req.IsInvite() {
		n.dialogs.offer(req, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
	defer cancel()
	n.relay(ctx, req, tx, p)
}

func (n *PCSCF) refuse(req *sip.Request, tx sip.ServerTransaction, err error) {
	var rej *rejection
	if !errors.As(err, &rej) {
		rej = &rejection{code: sip.StatusInternalServerError, reason: "Server Error"}
		n.log.Error("prepare request", "method", req.Method, "err", err)
	}
	switch {
	case rej.malformed:
		n.metrics.malformed.Inc()
		n.log.Warn("malformed SIP request", "method", req.Method, "src", req.Source(), "reason", rej.reason)
	case rej.code == sip.StatusForbidden:
		n.metrics.forbidden.Inc()
		n.log.Info("request refused", "method", req.Method, "src", req.Source(), "code", rej.code)
	}
	if req.IsAck() || tx == nil {
		return
	}
	if err := tx.Respond(sip.NewResponseFromRequest(req, rej.code, rej.reason, nil)); err != nil {
		n.log.Warn("respond", "code", rej.code, "err", err)
	}
}
