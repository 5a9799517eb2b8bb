package pcscf

import (
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	imssip "github.com/corebox/corebox/nf/proto/sip"
)

// onRegisterResponse keeps ck/ik from the UE (TS 33.203: the P-CSCF
// keeps them for IPsec, which we do not do) and learns the registration
// a 200 grants.
func (n *PCSCF) onRegisterResponse(p *plan, res *sip.Response) {
	switch {
	case res.StatusCode == sip.StatusUnauthorized:
		n.stripKeys(res)
	case res.StatusCode >= 200 && res.StatusCode < 300:
		n.learnRegistration(p, res)
	}
}

func (n *PCSCF) stripKeys(res *sip.Response) {
	hs := res.GetHeaders(imssip.HeaderWWWAuthenticate)
	if len(hs) == 0 {
		return
	}
	values := make([]string, 0, len(hs))
	for _, h := range hs {
		v := h.Value()
		if c, err := imssip.ParseChallenge(v); err == nil {
			v = c.WithoutKeys().String()
		} else {
			// Not ours to judge; the UE will refuse it. Keys, if any,
			// cannot be told apart in a value we cannot parse: drop it.
			n.log.Warn("unparsable WWW-Authenticate dropped", "err", err)
			v = ""
		}
		values = append(values, v)
	}
	for res.RemoveHeader(imssip.HeaderWWWAuthenticate) {
	}
	for _, v := range values {
		if v != "" {
			res.AppendHeader(sip.NewHeader(imssip.HeaderWWWAuthenticate, v))
		}
	}
}

func (n *PCSCF) learnRegistration(p *plan, res *sip.Response) {
	fwd := p.fwd
	expires := n.expiresOf(fwd, res)
	if expires <= 0 {
		n.reg.remove(p.ue)
		n.log.Info("deregistered", "ue", p.ue)
		return
	}
	reg := &Registration{Token: pathToken(fwd), Source: p.ue, Transport: "UDP",
		Expires: time.Now().Add(time.Duration(expires) * time.Second)}
	// fwd's top Via is ours now; the UE's is the next one.
	if vs := fwd.GetHeaders("Via"); len(vs) > 1 {
		if v, ok := vs[1].(*sip.ViaHeader); ok && v.Transport != "" {
			reg.Transport = v.Transport
		}
	}
	if c := fwd.Contact(); c != nil {
		reg.Contact = c.Address.String()
	}
	for _, h := range res.GetHeaders("P-Associated-URI") {
		l, err := imssip.ParseNameAddrList(h.Value())
		if err != nil {
			n.log.Warn("bad P-Associated-URI in 200 to REGISTER", "err", err)
			continue
		}
		reg.IMPUs = append(reg.IMPUs, l.URIs()...)
	}
	if len(reg.IMPUs) == 0 {
		if to := fwd.To(); to != nil {
			reg.IMPUs = []string{to.Address.String()}
		}
	}
	for _, h := range res.GetHeaders(imssip.HeaderServiceRoute) {
		l, err := imssip.ParseNameAddrList(h.Value())
		if err != nil {
			n.log.Warn("bad Service-Route in 200 to REGISTER", "err", err)
			continue
		}
		reg.ServiceRoute = append(reg.ServiceRoute, l.URIs()...)
	}
	if reg.Token == "" || !n.reg.put(reg) {
		n.log.Warn("registration not stored", "ue", p.ue, "token", reg.Token)
		return
	}
	n.log.Info("registered", "ue", p.ue, "impu", reg.DefaultIMPU(), "expires", expires)
}

// expiresOf is the lifetime the 200 grants: its Contact's expires, its
// Expires header, else the request's, else the default.
func (n *PCSCF) expiresOf(fwd *sip.Request, res *sip.Response) int {
	for _, m := range []struct {
		contact *sip.ContactHeader
		expires sip.Header
	}{{res.Contact(), res.GetHeader("Expires")}, {fwd.Contact(), fwd.GetHeader("Expires")}} {
		if m.contact != nil {
			if v, ok := m.contact.Params.Get("expires"); ok {
				if e, err := strconv.Atoi(v); err == nil {
					return e
				}
			}
		}
		if m.expires != nil {
			if e, err := strconv.Atoi(m.expires.Value()); err == nil {
				return e
			}
		}
	}
	return n.cfg.SIP.DefaultExpires
}

// pathToken is the user part of the Path we added.
func pathToken(fwd *sip.Request) string {
	h := fwd.GetHeader(imssip.HeaderPath)
	if h == nil {
		return ""
	}
	l, err := imssip.ParseNameAddrList(h.Value())
	if err != nil || len(l) == 0 {
		return ""
	}
	var u sip.Uri
	if err := sip.ParseUri(l[0].URI, &u); err != nil {
		return ""
	}
	return u.User
}

// ueIP is the host of an ip:port.
func ueIP(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
