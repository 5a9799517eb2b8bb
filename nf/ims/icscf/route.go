package icscf

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/proto/diameter"
	ims "github.com/corebox/corebox/nf/proto/sip"
	"github.com/corebox/corebox/nf/proto/sip/sipproxy"
)

// statusServerTimeout is 504: the HSS did not answer.
const statusServerTimeout = 504

// registerIDs are the identities of a REGISTER: the IMPU (To) and the
// IMPI (Authorization username, else derived from the IMPU), and
// whether it de-registers.
func registerIDs(req *sip.Request) (impu, impi string, dereg bool, err error) {
	to := req.To()
	if to == nil {
		return "", "", false, fmt.Errorf("%w: REGISTER without To", errMalformed)
	}
	impu = identity(to.Address)
	if !validIdentity(impu) {
		return "", "", false, fmt.Errorf("%w: To %q", errMalformed, impu)
	}
	impi = strings.TrimPrefix(impu, "sip:")
	if h := req.GetHeader(ims.HeaderAuthorization); h != nil {
		a, err := ims.ParseAuthorization(h.Value())
		if err != nil {
			return "", "", false, fmt.Errorf("%w: Authorization: %w", errMalformed, err)
		}
		if a.Username != "" {
			impi = a.Username
		}
	}
	if impi == "" {
		return "", "", false, fmt.Errorf("%w: empty private identity", errMalformed)
	}
	if h := req.GetHeader("Expires"); h != nil && strings.TrimSpace(h.Value()) == "0" {
		dereg = true
	}
	return impu, impi, dereg, nil
}

// validIdentity: a sip: URI with a host, or a tel: URI with a number.
func validIdentity(id string) bool {
	scheme, rest, _ := strings.Cut(id, ":")
	switch scheme {
	case "sip":
		_, host, hasUser := strings.Cut(rest, "@")
		if !hasUser {
			host = rest
		}
		return host != ""
	case "tel":
		return len(rest) > 1
	}
	return false
}

// identity is a URI as the HSS knows it: no port, parameters or
// headers; a sip: URI with user=phone becomes the tel URI.
func identity(u sip.Uri) string {
	if v, ok := u.UriParams.Get("user"); ok && strings.EqualFold(v, "phone") && strings.HasPrefix(u.User, "+") {
		return "tel:" + u.User
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "tel" {
		s, _, _ := strings.Cut(u.String(), ";")
		return s
	}
	if u.User == "" {
		return scheme + ":" + strings.ToLower(u.Host)
	}
	return scheme + ":" + u.User + "@" + strings.ToLower(u.Host)
}

func (n *ICSCF) header() diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: diameter.NewSessionID(n.cfg.Cx.OriginHost), OriginHost: n.cfg.Cx.OriginHost,
		OriginRealm: n.cfg.Cx.OriginRealm, DestinationRealm: n.cfg.Cx.DestinationRealm}
}

// onRegister serves REGISTER (TS 24.229 5.3.1).
func (n *ICSCF) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	impu, impi, dereg, err := registerIDs(req)
	if err != nil {
		n.bad(tx, req, err)
		return
	}
	typ := diameter.AuthTypeRegistration
	if dereg {
		typ = diameter.AuthTypeDeregistration
	}
	ctx, cancel := context.WithTimeout(n.runCtx, n.hss.Config().RequestTimeout)
	defer cancel()
	q := &diameter.UAR{RequestHeader: n.header(), UserName: impi, PublicIdentity: impu,
		VisitedNetwork: n.cfg.Domain, AuthorizationType: typ}
	m, err := q.Build()
	if err != nil {
		n.bad(tx, req, fmt.Errorf("%w: UAR: %w", errMalformed, err))
		return
	}
	ans, err := n.hss.Request(ctx, m)
	var a *diameter.UAA
	if err == nil {
		a, err = diameter.ParseUAA(ans)
	}
	if err != nil {
		n.metrics.route("REGISTER", resultFailed)
		n.log.Warn("UAR failed", "impi", impi, "err", err)
		n.reply(tx, req, statusServerTimeout, "Server Time-out")
		return
	}
	if !a.Result.OK() {
		n.metrics.route("REGISTER", resultRejected)
		n.log.Info("UAR refused", "impi", impi, "impu", impu, "result", a.Result)
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	n.forwardTo(req, tx, a.ServerName, a.Capabilities)
}

// onRequest serves the other initial requests (TS 24.229 5.3.2).
func (n *ICSCF) onRequest(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsInvite() {
		n.reply(tx, req, sip.StatusTrying, "Trying")
	}
	method := string(req.Method)
	callee := identity(req.Recipient)
	ctx, cancel := context.WithTimeout(n.runCtx, n.hss.Config().RequestTimeout)
	defer cancel()
	q := &diameter.LIR{RequestHeader: n.header(), PublicIdentity: callee}
	m, err := q.Build()
	if err != nil {
		n.bad(tx, req, fmt.Errorf("%w: LIR: %w", errMalformed, err))
		return
	}
	ans, err := n.hss.Request(ctx, m)
	var a *diameter.LIA
	if err == nil {
		a, err = diameter.ParseLIA(ans)
	}
	switch {
	case err != nil:
		n.metrics.route(method, resultFailed)
		n.log.Warn("LIR failed", "callee", callee, "err", err)
		n.reply(tx, req, statusServerTimeout, "Server Time-out")
	case a.Result == diameter.Experimental(diameter.ExpErrorUserUnknown):
		n.metrics.route(method, resultNotFound)
		n.reply(tx, req, sip.StatusNotFound, "Not Found")
	case !a.Result.OK():
		n.metrics.route(method, resultUnavailable)
		n.reply(tx, req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
	default:
		n.forwardTo(req, tx, a.ServerName, a.Capabilities)
	}
}

// forwardTo relays req to the S-CSCF named, or chosen by capabilities.
func (n *ICSCF) forwardTo(req *sip.Request, tx sip.ServerTransaction, server string, caps *diameter.ServerCapabilities) {
	method := string(req.Method)
	if server == "" {
		server = n.choose(caps)
	}
	if server == "" {
		n.metrics.route(method, resultUnavailable)
		n.log.Warn("no S-CSCF fits", "capabilities", caps)
		n.reply(tx, req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
		return
	}
	fwd, _, err := n.proxy.Prepare(req)
	if err != nil {
		n.metrics.route(method, resultFailed)
		n.reply(tx, req, sip.StatusTooManyHops, "Too Many Hops")
		return
	}
	if err := sipproxy.Retarget(fwd, req.Recipient, []string{server + ";lr"}); err != nil {
		n.metrics.route(method, resultFailed)
		n.log.Warn("bad S-CSCF name", "server", server, "err", err)
		n.reply(tx, req, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	if err := n.proxy.Relay(n.runCtx, req, tx, fwd, false); err != nil {
		n.metrics.route(method, resultFailed)
		n.log.Info("relay", "method", method, "server", server, "err", err)
		return
	}
	n.metrics.route(method, resultForwarded)
}

// choose picks an S-CSCF for caps (TS 29.228 6.7): a listed Server-Name
// we know, else the first configured one holding every mandatory
// capability.
func (n *ICSCF) choose(caps *diameter.ServerCapabilities) string {
	if caps == nil {
		caps = &diameter.ServerCapabilities{}
	}
	for _, s := range n.cfg.SCSCFs {
		if slices.Contains(caps.ServerNames, s.URI) {
			return s.URI
		}
	}
	for _, s := range n.cfg.SCSCFs {
		if !slices.ContainsFunc(caps.Mandatory, func(c uint32) bool { return !slices.Contains(s.Capabilities, c) }) {
			return s.URI
		}
	}
	if len(caps.ServerNames) > 0 {
		return caps.ServerNames[0]
	}
	return ""
}

// onACK forwards an ACK on (we do not Record-Route, so only loose-routed
// ones reach us).
func (n *ICSCF) onACK(req *sip.Request, _ sip.ServerTransaction) {
	fwd, _, err := n.proxy.Prepare(req)
	if err == nil && sipproxy.SpentACK(fwd, n.cfg.Domain) {
		return // the ACK of a final error response: ours to absorb
	}
	if err == nil {
		err = n.proxy.Stateless(fwd)
	}
	if err != nil {
		n.log.Info("ACK not forwarded", "err", err)
	}
}
