package scscf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	ims "github.com/corebox/corebox/nf/proto/sip"
)

// errMalformed marks a request whose headers we cannot act on (400).
var errMalformed = errors.New("malformed request")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
}

// canonicalURI is an identity as we key it: scheme, user and host in
// lower case, without port, parameters or headers; tel URIs keep their
// number.
func canonicalURI(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	s, _, _ = strings.Cut(s, ";")
	s, _, _ = strings.Cut(s, "?")
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return strings.ToLower(s)
	}
	scheme = strings.ToLower(scheme)
	if scheme == "tel" {
		return "tel:" + rest
	}
	userPart, host, hasUser := strings.Cut(rest, "@")
	if !hasUser {
		userPart, host = "", userPart
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if hasUser {
		return scheme + ":" + userPart + "@" + strings.ToLower(host)
	}
	return scheme + ":" + strings.ToLower(host)
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

// contactReq is one Contact of a REGISTER with the lifetime it asks for.
type contactReq struct {
	uri     string
	expires uint32
	hasExp  bool
}

// registerRequest is what the registrar reads from a REGISTER.
type registerRequest struct {
	impu      string // canonical To URI
	impi      string
	auth      *ims.Authorization // nil without Authorization
	integrity bool               // integrity-protected=yes (set by a P-CSCF)
	contacts  []contactReq
	wildcard  bool   // Contact: *
	expires   uint32 // the Expires header
	hasExp    bool
	callID    string
	cseq      uint32
	path      []string
}

// parseRegister reads a REGISTER's headers; errors wrap errMalformed.
func parseRegister(req *sip.Request) (registerRequest, error) {
	var r registerRequest
	to, cid, cseq := req.To(), req.CallID(), req.CSeq()
	if to == nil || cid == nil || cseq == nil {
		return r, malformed("REGISTER without To, Call-ID or CSeq")
	}
	r.impu, r.callID, r.cseq = canonicalURI(to.Address.String()), cid.Value(), cseq.SeqNo
	if !validIdentity(r.impu) {
		return r, malformed("To %q is not a sip: URI with a host or a tel: URI", r.impu)
	}
	if h := req.GetHeader(ims.HeaderAuthorization); h != nil {
		a, err := ims.ParseAuthorization(h.Value())
		if err != nil {
			return r, malformed("Authorization: %v", err)
		}
		r.auth, r.impi = &a, a.Username
		r.integrity = oneOfFold(a.IntegrityProtected, "yes", "ip-assoc-yes", "tls-yes")
	}
	if r.impi == "" { // TS 33.203: derived from the IMPU when absent
		r.impi = strings.TrimPrefix(r.impu, "sip:")
	}
	if r.impi == "" {
		return r, malformed("empty private identity")
	}
	if h := req.GetHeader("Expires"); h != nil {
		v, err := parseSeconds(h.Value())
		if err != nil {
			return r, malformed("Expires: %v", err)
		}
		r.expires, r.hasExp = v, true
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return r, malformed("Contact %q", h.Value())
		}
		if c.Address.Wildcard {
			r.wildcard = true
			continue
		}
		cr := contactReq{uri: c.Address.String()}
		if v, ok := c.Params.Get("expires"); ok {
			e, err := parseSeconds(v)
			if err != nil {
				return r, malformed("Contact expires: %v", err)
			}
			cr.expires, cr.hasExp = e, true
		}
		r.contacts = append(r.contacts, cr)
	}
	if r.wildcard && (len(r.contacts) > 0 || !r.hasExp || r.expires != 0) {
		return r, malformed("Contact: * needs Expires: 0 and no other contact")
	}
	path, err := routeSet(req, ims.HeaderPath)
	if err != nil {
		return r, err
	}
	r.path = path
	return r, nil
}

// routeSet reads every value of a Path / Service-Route like header.
func routeSet(req *sip.Request, name string) ([]string, error) {
	var out []string
	for _, h := range req.GetHeaders(name) {
		l, err := ims.ParseNameAddrList(h.Value())
		if err != nil {
			return nil, malformed("%s: %v", name, err)
		}
		out = append(out, l.URIs()...)
	}
	return out, nil
}

func parseSeconds(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("seconds %q: %w", s, err)
	}
	return uint32(min(v, math.MaxUint32)), nil
}

func oneOfFold(s string, set ...string) bool {
	for _, v := range set {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// assertedIdentity is who sent a request: P-Asserted-Identity when a
// P-CSCF set it, else From.
func assertedIdentity(req *sip.Request) (string, error) {
	if h := req.GetHeader(ims.HeaderPAssertedIdentity); h != nil {
		l, err := ims.ParseNameAddrList(h.Value())
		if err != nil || len(l) == 0 {
			return "", malformed("P-Asserted-Identity %q", h.Value())
		}
		return canonicalURI(l[0].URI), nil
	}
	f := req.From()
	if f == nil {
		return "", malformed("no From")
	}
	return canonicalURI(f.Address.String()), nil
}
