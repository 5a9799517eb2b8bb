package scscf

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/sip/sipproxy"
)

// target is where a terminating request goes: a contact and the Path
// to it.
type target struct {
	uri  string
	path []string
}

// contactsOf is the live bindings of impu, newest first.
func (n *SCSCF) contactsOf(impu string) []target {
	now := time.Now()
	n.store.mu.Lock()
	defer n.store.mu.Unlock()
	u := n.store.byIMPU[impu]
	if u == nil {
		return nil
	}
	var out []target
	for _, b := range slices.Backward(u.bindings) {
		if b.expires.After(now) {
			out = append(out, target{uri: b.uri, path: slices.Clone(b.path)})
		}
	}
	return out
}

// requestIdentity is the Request-URI as an identity: a sip: URI with
// user=phone is the tel URI of its number (TS 24.229 5.4.3.2).
func requestIdentity(u sip.Uri) string {
	if v, ok := u.UriParams.Get("user"); ok && strings.EqualFold(v, "phone") && strings.HasPrefix(u.User, "+") {
		return "tel:" + u.User
	}
	return canonicalURI(u.String())
}

// onRequest routes requests other than REGISTER and reg SUBSCRIBE.
func (n *SCSCF) onRequest(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsInvite() {
		n.reply(tx, req, sip.StatusTrying, "Trying")
	}
	fwd, popped, err := n.proxy.Prepare(req)
	if errors.Is(err, sipproxy.ErrTooManyHops) {
		n.reply(tx, req, sip.StatusTooManyHops, "Too Many Hops")
		return
	}
	inDialog := false
	if to := req.To(); to != nil {
		_, inDialog = to.Params.Get("tag")
	}
	if inDialog || fwd.Route() != nil {
		// In-dialog (our Record-Route brought it) or loose-routed on:
		// the Route set and Request-URI say where.
		if len(popped) == 0 && fwd.Route() == nil {
			n.reply(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
			return
		}
		n.relay(req, tx, fwd, false)
		return
	}
	if slices.ContainsFunc(popped, func(u sip.Uri) bool { return u.User == "orig" }) {
		if !n.originatingAllowed(req, tx) {
			return
		}
	}
	n.terminate(req, tx, fwd)
}

// originatingAllowed checks the caller of an originating request is
// registered here (TS 24.229 5.4.3.2).
func (n *SCSCF) originatingAllowed(req *sip.Request, tx sip.ServerTransaction) bool {
	caller, err := assertedIdentity(req)
	if err != nil {
		n.bad(tx, req, err)
		return false
	}
	if len(n.contactsOf(caller)) == 0 {
		n.metrics.route(routeForbidden)
		n.log.Info("originating request from a user not registered here", "caller", caller, "method", req.Method)
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return false
	}
	return true
}

// terminate routes a request to its callee (TS 24.229 5.4.3.3).
func (n *SCSCF) terminate(req *sip.Request, tx sip.ServerTransaction, fwd *sip.Request) {
	callee := requestIdentity(req.Recipient)
	if ts := n.contactsOf(callee); len(ts) > 0 {
		var uri sip.Uri
		if err := sip.ParseUri(ts[0].uri, &uri); err != nil {
			n.metrics.route(routeFailed)
			n.reply(tx, req, sip.StatusInternalServerError, "Server Internal Error")
			return
		}
		if err := sipproxy.Retarget(fwd, uri, ts[0].path); err != nil {
			n.metrics.route(routeFailed)
			n.log.Warn("bad Path", "callee", callee, "err", err)
			n.reply(tx, req, sip.StatusInternalServerError, "Server Internal Error")
			return
		}
		n.relay(req, tx, fwd, true)
		return
	}
	ctx, cancel := context.WithTimeout(n.runCtx, n.hss.Config().RequestTimeout)
	defer cancel()
	server, res, err := n.locate(ctx, callee)
	switch {
	case err != nil:
		n.metrics.route(routeFailed)
		n.log.Warn("LIR failed", "callee", callee, "err", err)
		n.reply(tx, req, statusServerTimeout, "Server Time-out")
	case res == diameter.Experimental(diameter.ExpErrorUserUnknown):
		n.metrics.route(routeNotFound)
		n.reply(tx, req, sip.StatusNotFound, "Not Found")
	case res.OK() && server != "" && server != n.serverName:
		// Served by another S-CSCF: hand it on there.
		if err := sipproxy.Retarget(fwd, req.Recipient, []string{server + ";lr"}); err != nil {
			n.metrics.route(routeFailed)
			n.reply(tx, req, sip.StatusInternalServerError, "Server Internal Error")
			return
		}
		n.relay(req, tx, fwd, false)
	default:
		n.metrics.route(routeUnavailable)
		n.reply(tx, req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
	}
}

// relay forwards statefully and counts the outcome.
func (n *SCSCF) relay(req *sip.Request, tx sip.ServerTransaction, fwd *sip.Request, recordRoute bool) {
	if err := n.proxy.Relay(n.runCtx, req, tx, fwd, recordRoute); err != nil {
		n.metrics.route(routeFailed)
		n.log.Info("relay", "method", req.Method, "call_id", callID(req), "err", err)
		return
	}
	n.metrics.route(routeForwarded)
}

// onACK forwards an ACK for a 2xx along the dialog's route.
func (n *SCSCF) onACK(req *sip.Request, _ sip.ServerTransaction) {
	fwd, _, err := n.proxy.Prepare(req)
	if err != nil {
		n.log.Info("ACK dropped", "call_id", callID(req), "err", err)
		return
	}
	if sipproxy.SpentACK(fwd, n.cfg.Domain) {
		n.log.Debug("ACK of a final error response absorbed", "call_id", callID(req))
		return
	}
	if err := n.proxy.Stateless(fwd); err != nil {
		n.log.Info("ACK not forwarded", "call_id", callID(req), "err", err)
	}
}

func callID(req *sip.Request) string {
	if c := req.CallID(); c != nil {
		return c.Value()
	}
	return ""
}
