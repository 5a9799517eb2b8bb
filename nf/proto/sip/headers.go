package sip

import (
	"fmt"
	"strings"
)

// Header names of the IMS extensions modelled here.
const (
	HeaderPAssertedIdentity  = "P-Asserted-Identity"
	HeaderPPreferredIdentity = "P-Preferred-Identity"
	HeaderPAccessNetworkInfo = "P-Access-Network-Info"
	HeaderPChargingVector    = "P-Charging-Vector"
	HeaderPVisitedNetworkID  = "P-Visited-Network-ID"
	HeaderPath               = "Path"
	HeaderServiceRoute       = "Service-Route"
	HeaderSecurityClient     = "Security-Client"
	HeaderSecurityServer     = "Security-Server"
	HeaderSecurityVerify     = "Security-Verify"
	HeaderFeatureCaps        = "Feature-Caps"
	HeaderWWWAuthenticate    = "WWW-Authenticate"
	HeaderAuthorization      = "Authorization"
	ContentTypeRegInfo       = "application/reginfo+xml"
	ContentTypeSDP           = "application/sdp"
	ParamSIPInstance         = "+sip.instance"
	ParamICSIRef             = "+g.3gpp.icsi-ref"
	ICSIMMTel                = "urn:urn-7:3gpp-service.ims.icsi.mmtel"
	AccessType3GPPEUTRANFDD  = "3GPP-E-UTRAN-FDD"
	AccessType3GPPNRFDD      = "3GPP-NR-FDD"
	ParamUTRANCellID3GPP     = "utran-cell-id-3gpp"
)

// NameAddr is `"Display" <uri>;params`, or a bare URI.
type NameAddr struct {
	Display string
	URI     string
	Params  Params
}

// ParseNameAddr reads one name-addr or addr-spec.
func ParseNameAddr(s string) (NameAddr, error) {
	s = strings.TrimSpace(s)
	var na NameAddr
	lt := strings.IndexByte(s, '<')
	if lt < 0 {
		// addr-spec: its parameters belong to the header, after ';'.
		uri, rest, _ := strings.Cut(s, ";")
		na.URI = strings.TrimSpace(uri)
		if rest != "" {
			ps, err := parseParamList(rest, ';')
			if err != nil {
				return NameAddr{}, fmt.Errorf("name-addr %q: %w", s, err)
			}
			na.Params = ps
		}
		return na, checkURI(na.URI)
	}
	gt := strings.IndexByte(s[lt:], '>')
	if gt < 0 {
		return NameAddr{}, malformed("name-addr", "missing '>'")
	}
	display := strings.TrimSpace(s[:lt])
	if display != "" {
		d, _, err := unquoteDisplay(display)
		if err != nil {
			return NameAddr{}, fmt.Errorf("name-addr display: %w", err)
		}
		na.Display = d
	}
	na.URI = strings.TrimSpace(s[lt+1 : lt+gt])
	rest := strings.TrimSpace(s[lt+gt+1:])
	if rest != "" {
		if rest[0] != ';' {
			return NameAddr{}, malformed("name-addr", fmt.Sprintf("junk after '>': %q", rest))
		}
		ps, err := parseParamList(rest[1:], ';')
		if err != nil {
			return NameAddr{}, fmt.Errorf("name-addr params: %w", err)
		}
		na.Params = ps
	}
	return na, checkURI(na.URI)
}

func unquoteDisplay(s string) (string, bool, error) {
	if strings.HasPrefix(s, `"`) {
		return unquote(s)
	}
	if strings.ContainsAny(s, "\"<>") {
		return "", false, malformed("display name", s)
	}
	return s, false, nil
}

func checkURI(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(u, " \t<>\"") {
		return malformed("uri", fmt.Sprintf("%q", u))
	}
	return nil
}

// String writes the name-addr form (always with angle brackets).
func (na NameAddr) String() string {
	var b strings.Builder
	if na.Display != "" {
		b.WriteString(quote(na.Display))
		b.WriteByte(' ')
	}
	b.WriteByte('<')
	b.WriteString(na.URI)
	b.WriteByte('>')
	writeParams(&b, na.Params)
	return b.String()
}

// NameAddrList is a comma-separated list of name-addr: the value of
// P-Asserted-Identity, P-Preferred-Identity, Path and Service-Route.
type NameAddrList []NameAddr

// ParseNameAddrList reads a comma-separated name-addr list.
func ParseNameAddrList(s string) (NameAddrList, error) {
	parts, err := splitTop(s, ',')
	if err != nil {
		return nil, fmt.Errorf("name-addr list: %w", err)
	}
	list := make(NameAddrList, 0, len(parts))
	for _, p := range parts {
		na, err := ParseNameAddr(p)
		if err != nil {
			return nil, fmt.Errorf("name-addr list: %w", err)
		}
		list = append(list, na)
	}
	return list, nil
}

func (l NameAddrList) String() string {
	out := make([]string, len(l))
	for i, na := range l {
		out[i] = na.String()
	}
	return strings.Join(out, ", ")
}

// URIs returns the URIs in order (route sets of Path/Service-Route).
func (l NameAddrList) URIs() []string {
	out := make([]string, len(l))
	for i, na := range l {
		out[i] = na.URI
	}
	return out
}

// PAccessNetworkInfo is RFC 7315 P-Access-Network-Info.
type PAccessNetworkInfo struct {
	AccessType string
	Params     Params
}

// ParsePAccessNetworkInfo reads e.g.
// `3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B`.
func ParsePAccessNetworkInfo(s string) (PAccessNetworkInfo, error) {
	parts, err := splitTop(s, ';')
	if err != nil {
		return PAccessNetworkInfo{}, fmt.Errorf("p-access-network-info: %w", err)
	}
	at := strings.TrimSpace(parts[0])
	if at == "" || strings.ContainsAny(at, " \t=\"") {
		return PAccessNetworkInfo{}, malformed("p-access-network-info", fmt.Sprintf("access type %q", at))
	}
	info := PAccessNetworkInfo{AccessType: at}
	for _, p := range parts[1:] {
		param, err := parseParam(p)
		if err != nil {
			return PAccessNetworkInfo{}, fmt.Errorf("p-access-network-info: %w", err)
		}
		info.Params = append(info.Params, param)
	}
	return info, nil
}

func (p PAccessNetworkInfo) String() string {
	var b strings.Builder
	b.WriteString(p.AccessType)
	for _, param := range p.Params {
		b.WriteString("; ")
		b.WriteString(param.String())
	}
	return b.String()
}

// CellID is the utran-cell-id-3gpp value (for E-UTRAN: MCC MNC TAC ECI).
func (p PAccessNetworkInfo) CellID() string {
	v, _ := p.Params.Get(ParamUTRANCellID3GPP)
	return v
}

// PChargingVector is RFC 7315 P-Charging-Vector.
type PChargingVector struct {
	ICID        string
	ICIDGenAddr string
	OrigIOI     string
	TermIOI     string
	Extra       Params
}

// ParsePChargingVector reads `icid-value=...; orig-ioi=...; term-ioi=...`.
func ParsePChargingVector(s string) (PChargingVector, error) {
	ps, err := parseParamList(s, ';')
	if err != nil {
		return PChargingVector{}, fmt.Errorf("p-charging-vector: %w", err)
	}
	var v PChargingVector
	for _, p := range ps {
		switch strings.ToLower(p.Name) {
		case "icid-value":
			v.ICID = p.Value
		case "icid-generated-at":
			v.ICIDGenAddr = p.Value
		case "orig-ioi":
			v.OrigIOI = p.Value
		case "term-ioi":
			v.TermIOI = p.Value
		default:
			v.Extra = append(v.Extra, p)
		}
	}
	if v.ICID == "" {
		return PChargingVector{}, malformed("p-charging-vector", "no icid-value")
	}
	return v, nil
}

func (v PChargingVector) String() string {
	ps := Params{{Name: "icid-value", Value: v.ICID, Quoted: needsQuote(v.ICID)}}
	add := func(name, val string) {
		if val != "" {
			ps = append(ps, Param{Name: name, Value: val, Quoted: needsQuote(val)})
		}
	}
	add("icid-generated-at", v.ICIDGenAddr)
	add("orig-ioi", v.OrigIOI)
	add("term-ioi", v.TermIOI)
	ps = append(ps, v.Extra...)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, "; ")
}

func needsQuote(s string) bool { return s == "" || strings.ContainsAny(s, " \t;,\"<>=") }

// PVisitedNetworkID is RFC 7315 P-Visited-Network-ID: a list of network
// names, each a token or quoted string.
type PVisitedNetworkID []string

// ParsePVisitedNetworkID reads `"Visited network 1", other.net`.
func ParsePVisitedNetworkID(s string) (PVisitedNetworkID, error) {
	parts, err := splitTop(s, ',')
	if err != nil {
		return nil, fmt.Errorf("p-visited-network-id: %w", err)
	}
	var ids PVisitedNetworkID
	for _, p := range parts {
		// Generic parameters after ';' are dropped: none are defined.
		val, _, _ := strings.Cut(p, ";")
		if strings.Contains(p, `"`) {
			val = p
		}
		id, _, err := unquote(val)
		if err != nil || id == "" {
			return nil, malformed("p-visited-network-id", fmt.Sprintf("%q", p))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (ids PVisitedNetworkID) String() string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if needsQuote(id) {
			id = quote(id)
		}
		out[i] = id
	}
	return strings.Join(out, ", ")
}

// SecurityMechanism is one entry of Security-Client/Server/Verify (RFC
// 3329, TS 33.203 Annex H). We parse and print them so the P-CSCF can
// answer sec-agree requests; negotiating IPsec SAs is out of scope.
type SecurityMechanism struct {
	Name   string // e.g. "ipsec-3gpp"
	Params Params // alg, ealg, spi-c, spi-s, port-c, port-s, prot, mod, q
}

// SecurityMechanisms is a Security-Client/Server/Verify value.
type SecurityMechanisms []SecurityMechanism

// ParseSecurityMechanisms reads a Security-* header value.
func ParseSecurityMechanisms(s string) (SecurityMechanisms, error) {
	entries, err := splitTop(s, ',')
	if err != nil {
		return nil, fmt.Errorf("security mechanisms: %w", err)
	}
	var out SecurityMechanisms
	for _, e := range entries {
		parts, err := splitTop(e, ';')
		if err != nil {
			return nil, fmt.Errorf("security mechanisms: %w", err)
		}
		name := strings.TrimSpace(parts[0])
		if name == "" || strings.ContainsAny(name, " \t=\"") {
			return nil, malformed("security mechanism", fmt.Sprintf("name %q", name))
		}
		m := SecurityMechanism{Name: name}
		for _, p := range parts[1:] {
			param, err := parseParam(p)
			if err != nil {
				return nil, fmt.Errorf("security mechanism %s: %w", name, err)
			}
			m.Params = append(m.Params, param)
		}
		out = append(out, m)
	}
	return out, nil
}

func (ms SecurityMechanisms) String() string {
	out := make([]string, len(ms))
	for i, m := range ms {
		var b strings.Builder
		b.WriteString(m.Name)
		for _, p := range m.Params {
			b.WriteString("; ")
			b.WriteString(p.String())
		}
		out[i] = b.String()
	}
	return strings.Join(out, ", ")
}

// FeatureCaps is an RFC 6809 Feature-Caps value: `*;+g.3gpp.icsi-ref="..."`.
type FeatureCaps struct {
	Params Params
}

// ParseFeatureCaps reads one Feature-Caps value.
func ParseFeatureCaps(s string) (FeatureCaps, error) {
	star, rest, _ := strings.Cut(strings.TrimSpace(s), ";")
	if strings.TrimSpace(star) != "*" {
		return FeatureCaps{}, malformed("feature-caps", "must start with '*'")
	}
	ps, err := parseParamList(rest, ';')
	if err != nil {
		return FeatureCaps{}, fmt.Errorf("feature-caps: %w", err)
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.Name, "+") {
			return FeatureCaps{}, malformed("feature-caps", fmt.Sprintf("tag %q lacks '+'", p.Name))
		}
	}
	return FeatureCaps{Params: ps}, nil
}

func (f FeatureCaps) String() string {
	var b strings.Builder
	b.WriteByte('*')
	writeParams(&b, f.Params)
	return b.String()
}

// ICSIRefs lists the IMS communication service identifiers of a
// +g.3gpp.icsi-ref value (comma separated, percent-escaped colons allowed).
func ICSIRefs(value string) []string {
	var out []string
	for _, v := range strings.Split(value, ",") {
		v = strings.ReplaceAll(strings.TrimSpace(v), "%3A", ":")
		if v = strings.ReplaceAll(v, "%3a", ":"); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// EncodeICSIRefs is the +g.3gpp.icsi-ref value for refs, colons escaped
// as TS 24.229 7.9A writes them.
func EncodeICSIRefs(refs ...string) string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = strings.ReplaceAll(r, ":", "%3A")
	}
	return strings.Join(out, ",")
}
