package pcscf

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	imssip "github.com/corebox/corebox/nf/proto/sip"
)

// direction is which way a request crosses us.
type direction int

const (
	dirRegister    direction = iota // UE to I-CSCF
	dirOriginating                  // UE to its S-CSCF (or along the dialog's route)
	dirTerminating                  // network to the UE
)

// rejection is a final response we give instead of forwarding.
type rejection struct {
	code      int
	reason    string
	malformed bool
}

func (r *rejection) Error() string { return fmt.Sprintf("%d %s", r.code, r.reason) }

func reject(code int, reason string) error { return &rejection{code: code, reason: reason} }

func malformedReq(format string, args ...any) error {
	return &rejection{code: sip.StatusBadRequest, reason: fmt.Sprintf(format, args...), malformed: true}
}

// plan is a request ready to forward.
type plan struct {
	fwd *sip.Request
	dir direction
	reg *Registration // the UE's, nil for REGISTER
	ue  string        // the UE's address (ip:port)
}

// prepare decides where req goes and rewrites a copy of it for that hop;
// it does no I/O, so the fuzz target drives it.
func (n *PCSCF) prepare(req *sip.Request) (*plan, error) {
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() < 1 {
		return nil, reject(sip.StatusTooManyHops, "Too Many Hops")
	}
	fwd := req.Clone()
	if mf := fwd.MaxForwards(); mf != nil {
		mf.Dec()
	}
	popped, token := n.popOwnRoutes(fwd)
	initial := req.To().Params == nil || !req.To().Params.Has("tag")
	src := req.Source()
	if req.Method == sip.REGISTER {
		return n.prepareRegister(fwd, src)
	}
	if reg, ok := n.reg.bySrc(src); ok {
		if initial {
			if err := n.originating(fwd, reg); err != nil {
				return nil, err
			}
		}
		if err := setNextHop(fwd); err != nil {
			return nil, err
		}
		return &plan{fwd: fwd, dir: dirOriginating, reg: reg, ue: src}, nil
	}
	if !popped {
		return nil, reject(sip.StatusForbidden, "Forbidden: not registered here")
	}
	p := &plan{fwd: fwd, dir: dirTerminating}
	if token != "" {
		reg, ok := n.reg.byTok(token)
		if !ok {
			return nil, reject(sip.StatusTemporarilyUnavailable, "Not Registered")
		}
		p.reg, p.ue = reg, reg.Source
		if initial {
			n.recordRoute(fwd, token)
		}
		fwd.SetTransport(reg.Transport)
		fwd.SetDestination(reg.Source)
		return p, nil
	}
	if err := setNextHop(fwd); err != nil {
		return nil, err
	}
	return p, nil
}

func checkRequest(req *sip.Request) error {
	switch {
	case req.Via() == nil:
		return malformedReq("no Via")
	case req.From() == nil, req.To() == nil:
		return malformedReq("no From/To")
	case req.CallID() == nil:
		return malformedReq("no Call-ID")
	case req.CSeq() == nil:
		return malformedReq("no CSeq")
	}
	return nil
}

// popOwnRoutes removes the Route entries naming us (a loose router, RFC
// 3261 16.4) and returns the Path/Record-Route token they carried.
func (n *PCSCF) popOwnRoutes(r *sip.Request) (popped bool, token string) {
	for {
		rt := r.Route()
		if rt == nil || !n.isSelf(rt.Address) {
			return popped, token
		}
		popped = true
		if strings.HasPrefix(rt.Address.User, "t") && token == "" {
			token = rt.Address.User
		}
		r.RemoveHeader("Route")
	}
}

func (n *PCSCF) isSelf(u sip.Uri) bool {
	port := u.Port
	if port == 0 {
		port = 5060
	}
	return u.Host == n.cfg.SIP.Host && port == n.ownPort()
}

// ownPort is the port we listen on (the bound one when port 0 was asked).
func (n *PCSCF) ownPort() int {
	if n.cfg.SIP.Port != 0 {
		return n.cfg.SIP.Port
	}
	for _, tp := range n.cfg.SIP.Transports {
		if _, p, err := net.SplitHostPort(n.SIPAddr(tp)); err == nil {
			v, _ := strconv.Atoi(p)
			return v
		}
	}
	return 0
}

func (n *PCSCF) selfURI(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: n.cfg.SIP.Host, Port: n.ownPort(),
		UriParams: sip.HeaderParams{{K: "lr", V: ""}}}
}

func (n *PCSCF) prepareRegister(fwd *sip.Request, src string) (*plan, error) {
	if n.draining.Load() {
		return nil, reject(sip.StatusServiceUnavailable, "Draining")
	}
	path := n.selfURI(n.reg.tokenFor(src))
	fwd.PrependHeader(sip.NewHeader(imssip.HeaderPath, "<"+path.String()+">"))
	fwd.AppendHeader(sip.NewHeader("Supported", "path"))
	fwd.SetTransport(transportOf(n.icscf))
	fwd.SetDestination(hostPort(n.icscf))
	return &plan{fwd: fwd, dir: dirRegister, ue: src}, nil
}

// originating asserts the UE's identity, charges and preloads its
// Service-Route (TS 24.229 5.2.6.3).
func (n *PCSCF) originating(fwd *sip.Request, reg *Registration) error {
	if fwd.Method == sip.INVITE && n.draining.Load() {
		return reject(sip.StatusServiceUnavailable, "Draining")
	}
	asserted := reg.DefaultIMPU()
	if h := fwd.GetHeader(imssip.HeaderPPreferredIdentity); h != nil {
		ppi, err := imssip.ParseNameAddrList(h.Value())
		if err != nil {
			return malformedReq("P-Preferred-Identity: %v", err)
		}
		for _, na := range ppi {
			if containsFold(reg.IMPUs, na.URI) {
				asserted = na.URI
				break
			}
		}
	}
	for fwd.RemoveHeader(imssip.HeaderPPreferredIdentity) {
	}
	for fwd.RemoveHeader(imssip.HeaderPAssertedIdentity) {
	}
	fwd.AppendHeader(sip.NewHeader(imssip.HeaderPAssertedIdentity, "<"+asserted+">"))
	if fwd.GetHeader(imssip.HeaderPChargingVector) == nil {
		pcv := imssip.PChargingVector{ICID: newICID(), ICIDGenAddr: n.cfg.SIP.Host}
		fwd.AppendHeader(sip.NewHeader(imssip.HeaderPChargingVector, pcv.String()))
	}
	n.recordRoute(fwd, "")
	for i := len(reg.ServiceRoute) - 1; i >= 0; i-- {
		var u sip.Uri
		if err := sip.ParseUri(reg.ServiceRoute[i], &u); err != nil {
			return fmt.Errorf("service-route %q: %w", reg.ServiceRoute[i], err)
		}
		fwd.PrependHeader(&sip.RouteHeader{Address: u})
	}
	return nil
}

func (n *PCSCF) recordRoute(fwd *sip.Request, user string) {
	if fwd.Method == sip.INVITE || fwd.Method == sip.SUBSCRIBE {
		fwd.PrependHeader(&sip.RecordRouteHeader{Address: n.selfURI(user)})
	}
}

// setNextHop points fwd at its top Route, else its Request-URI.
func setNextHop(fwd *sip.Request) error {
	u := fwd.Recipient
	if rt := fwd.Route(); rt != nil {
		u = rt.Address
	}
	if u.Host == "" {
		return malformedReq("next hop has no host")
	}
	fwd.SetTransport(transportOf(u))
	fwd.SetDestination(hostPort(u))
	return nil
}

func transportOf(u sip.Uri) string {
	if u.UriParams != nil {
		if v, ok := u.UriParams.Get("transport"); ok && v != "" {
			return strings.ToUpper(v)
		}
	}
	return "UDP"
}

func hostPort(u sip.Uri) string {
	port := u.Port
	if port == 0 {
		port = 5060
	}
	return net.JoinHostPort(strings.Trim(u.Host, "[]"), strconv.Itoa(port))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
