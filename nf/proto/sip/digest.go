package sip

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// AlgorithmAKAv1MD5 is the Digest algorithm of RFC 3310.
const AlgorithmAKAv1MD5 = "AKAv1-MD5"

// QOPAuth is the only quality of protection IMS AKA uses.
const QOPAuth = "auth"

// digestParams splits `Digest a=b, c="d"` into its parameters.
func digestParams(s string) (Params, error) {
	s = strings.TrimSpace(s)
	scheme, rest, _ := strings.Cut(s, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return nil, malformed("credentials", fmt.Sprintf("scheme %q is not Digest", scheme))
	}
	ps, err := parseParamList(rest, ',')
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	for _, p := range ps {
		if p.NoValue {
			return nil, malformed("digest", fmt.Sprintf("parameter %q has no value", p.Name))
		}
	}
	return ps, nil
}

func writeDigest(ps Params) string {
	var b strings.Builder
	b.WriteString("Digest ")
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Challenge is a WWW-Authenticate (or Proxy-Authenticate) Digest value.
type Challenge struct {
	Realm     string
	Domain    string
	Nonce     string
	Opaque    string
	Stale     bool
	Algorithm string
	QOP       []string // qop-options
	// CK and IK are the hex-encoded keys the S-CSCF adds for the P-CSCF
	// (TS 24.229 5.4.1.2.1); the P-CSCF strips them before the UE.
	CK, IK string
	// Extra keeps parameters we do not model, in order.
	Extra Params
}

// ParseChallenge reads a WWW-Authenticate header value.
func ParseChallenge(s string) (Challenge, error) {
	ps, err := digestParams(s)
	if err != nil {
		return Challenge{}, fmt.Errorf("parse challenge: %w", err)
	}
	var c Challenge
	for _, p := range ps {
		switch strings.ToLower(p.Name) {
		case "realm":
			c.Realm = p.Value
		case "domain":
			c.Domain = p.Value
		case "nonce":
			c.Nonce = p.Value
		case "opaque":
			c.Opaque = p.Value
		case "stale":
			c.Stale = strings.EqualFold(p.Value, "true")
		case "algorithm":
			c.Algorithm = p.Value
		case "qop":
			for _, q := range strings.Split(p.Value, ",") {
				if q = strings.TrimSpace(q); q != "" {
					c.QOP = append(c.QOP, q)
				}
			}
		case "ck":
			c.CK = p.Value
		case "ik":
			c.IK = p.Value
		default:
			c.Extra = append(c.Extra, p)
		}
	}
	return c, nil
}

// String is the header value.
func (c Challenge) String() string {
	ps := Params{{Name: "realm", Value: c.Realm, Quoted: true}}
	if c.Domain != "" {
		ps = append(ps, Param{Name: "domain", Value: c.Domain, Quoted: true})
	}
	ps = append(ps, Param{Name: "nonce", Value: c.Nonce, Quoted: true})
	if c.Opaque != "" {
		ps = append(ps, Param{Name: "opaque", Value: c.Opaque, Quoted: true})
	}
	if c.Stale {
		ps = append(ps, Param{Name: "stale", Value: "TRUE"})
	}
	if c.Algorithm != "" {
		ps = append(ps, Param{Name: "algorithm", Value: c.Algorithm})
	}
	if len(c.QOP) > 0 {
		ps = append(ps, Param{Name: "qop", Value: strings.Join(c.QOP, ","), Quoted: true})
	}
	if c.CK != "" {
		ps = append(ps, Param{Name: "ck", Value: c.CK, Quoted: true})
	}
	if c.IK != "" {
		ps = append(ps, Param{Name: "ik", Value: c.IK, Quoted: true})
	}
	return writeDigest(append(ps, c.Extra...))
}

// WithoutKeys is the challenge the P-CSCF forwards to the UE: ck and ik
// removed (TS 24.229 5.2.2.1).
func (c Challenge) WithoutKeys() Challenge {
	c.CK, c.IK = "", ""
	return c
}

// Authorization is an Authorization (or Proxy-Authorization) Digest value.
type Authorization struct {
	Username  string
	Realm     string
	Nonce     string
	URI       string
	Response  string
	Algorithm string
	CNonce    string
	Opaque    string
	QOP       string
	NC        string // nonce-count, 8 hex digits
	// AUTS is the raw auts parameter (base64 per RFC 3310; sipp writes
	// hex): see ResyncAUTS.
	AUTS string
	// IntegrityProtected is TS 24.229's integrity-protected parameter,
	// set by the P-CSCF.
	IntegrityProtected string
	Extra              Params
	// hasResponse tells response="" from an absent response.
	hasResponse bool
}

// ParseAuthorization reads an Authorization header value.
func ParseAuthorization(s string) (Authorization, error) {
	ps, err := digestParams(s)
	if err != nil {
		return Authorization{}, fmt.Errorf("parse authorization: %w", err)
	}
	var a Authorization
	for _, p := range ps {
		switch strings.ToLower(p.Name) {
		case "username":
			a.Username = p.Value
		case "realm":
			a.Realm = p.Value
		case "nonce":
			a.Nonce = p.Value
		case "uri":
			a.URI = p.Value
		case "response":
			a.Response, a.hasResponse = p.Value, true
		case "algorithm":
			a.Algorithm = p.Value
		case "cnonce":
			a.CNonce = p.Value
		case "opaque":
			a.Opaque = p.Value
		case "qop":
			a.QOP = p.Value
		case "nc":
			a.NC = p.Value
		case "auts":
			a.AUTS = p.Value
		case "integrity-protected":
			a.IntegrityProtected = p.Value
		default:
			a.Extra = append(a.Extra, p)
		}
	}
	if a.NC != "" {
		if _, err := strconv.ParseUint(a.NC, 16, 32); err != nil || len(a.NC) != 8 {
			return Authorization{}, fmt.Errorf("parse authorization: %w", malformed("nc", a.NC))
		}
	}
	return a, nil
}

// String is the header value. Username, realm, nonce, uri and response
// are always written (TS 24.229 wants them even when empty).
func (a Authorization) String() string {
	ps := Params{
		{Name: "username", Value: a.Username, Quoted: true},
		{Name: "realm", Value: a.Realm, Quoted: true},
		{Name: "nonce", Value: a.Nonce, Quoted: true},
		{Name: "uri", Value: a.URI, Quoted: true},
		{Name: "response", Value: a.Response, Quoted: true},
	}
	if a.Algorithm != "" {
		ps = append(ps, Param{Name: "algorithm", Value: a.Algorithm})
	}
	if a.CNonce != "" {
		ps = append(ps, Param{Name: "cnonce", Value: a.CNonce, Quoted: true})
	}
	if a.Opaque != "" {
		ps = append(ps, Param{Name: "opaque", Value: a.Opaque, Quoted: true})
	}
	if a.QOP != "" {
		ps = append(ps, Param{Name: "qop", Value: a.QOP})
	}
	if a.NC != "" {
		ps = append(ps, Param{Name: "nc", Value: a.NC})
	}
	if a.AUTS != "" {
		ps = append(ps, Param{Name: "auts", Value: a.AUTS, Quoted: true})
	}
	if a.IntegrityProtected != "" {
		ps = append(ps, Param{Name: "integrity-protected", Value: a.IntegrityProtected, Quoted: true})
	}
	return writeDigest(append(ps, a.Extra...))
}

// IsInitial reports the credentials of an initial REGISTER (TS 24.229
// 5.1.1.2): they only carry the private identity, with empty nonce and
// response.
func (a Authorization) IsInitial() bool { return a.Nonce == "" && a.Response == "" }

// DigestInput is what an RFC 2617 Digest response is computed over.
type DigestInput struct {
	Username, Realm string
	// Password is raw bytes: for AKAv1-MD5 it is the binary RES (RFC 3310
	// 3.1), not its hex text.
	Password    []byte
	Method, URI string
	Nonce       string
	// With QOP "auth", NC and CNonce enter the response; with QOP "" the
	// RFC 2069 form is used.
	QOP, NC, CNonce string
}

// DigestResponse is the lower-case hex request-digest of RFC 2617 3.2.2.1
// (qop "auth" or none; auth-int is not used by IMS AKA).
func DigestResponse(in DigestInput) string {
	h := md5.New()
	h.Write([]byte(in.Username + ":" + in.Realm + ":"))
	h.Write(in.Password)
	ha1 := hex.EncodeToString(h.Sum(nil))
	ha2 := md5hex(in.Method + ":" + in.URI)
	if in.QOP == "" {
		return md5hex(ha1 + ":" + in.Nonce + ":" + ha2)
	}
	return md5hex(ha1 + ":" + in.Nonce + ":" + in.NC + ":" + in.CNonce + ":" + in.QOP + ":" + ha2)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
