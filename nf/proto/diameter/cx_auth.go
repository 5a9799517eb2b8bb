package diameter

import (
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
)

// UAR is a User-Authorization-Request, I-CSCF to HSS (TS 29.229 6.1.1).
type UAR struct {
	RequestHeader
	UserName       string // the IMPI
	PublicIdentity string // the IMPU being registered
	VisitedNetwork string // Visited-Network-Identifier
	// AuthorizationType is User-Authorization-Type (AuthTypeRegistration
	// ...); always sent.
	AuthorizationType uint32
	Flags             uint32 // UAR-Flags; 0 leaves them out
}

// Build encodes the UAR.
func (r *UAR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("UAR", false); err != nil {
		return nil, err
	}
	if err := nonEmpty("UAR", "User-Name", r.UserName, "Public-Identity", r.PublicIdentity,
		"Visited-Network-Identifier", r.VisitedNetwork); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdUserAuthorization, true)
	r.RequestHeader.put(m, cxAppIDs()...)
	put(m, utf8(avpUserName, r.UserName), utf8(avpPublicIdentity, r.PublicIdentity),
		octets(avpVisitedNetworkID, []byte(r.VisitedNetwork)), enum(avpUserAuthType, r.AuthorizationType),
		optU32(avpUARFlags, r.Flags))
	return m, nil
}

// ParseUAR decodes a UAR.
func ParseUAR(m *diam.Message) (*UAR, error) {
	if err := checkCommand(m, "UAR", AppCx, CmdUserAuthorization, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "UAR"}
	l := topLevel(m)
	u := &UAR{RequestHeader: r.requestHeader(l, false), UserName: r.str(l, avpUserName, true),
		PublicIdentity: r.str(l, avpPublicIdentity, true), VisitedNetwork: r.str(l, avpVisitedNetworkID, true),
		AuthorizationType: r.u32(l, avpUserAuthType, false), Flags: r.u32(l, avpUARFlags, false)}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return u, nil
}

// UAA is a User-Authorization-Answer (TS 29.229 6.1.2).
type UAA struct {
	AnswerHeader
	ServerName   string              // the S-CSCF assigned; "" leaves it out
	Capabilities *ServerCapabilities // nil leaves it out
}

// Build encodes the UAA.
func (a *UAA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("UAA"); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdUserAuthorization, false)
	a.AnswerHeader.put(m, cxAppIDs()...)
	put(m, optUTF8(avpServerName, a.ServerName), optCaps(a.Capabilities))
	return m, nil
}

// ParseUAA decodes a UAA.
func ParseUAA(m *diam.Message) (*UAA, error) {
	if err := checkCommand(m, "UAA", AppCx, CmdUserAuthorization, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "UAA"}
	l := topLevel(m)
	a := &UAA{AnswerHeader: r.answerHeader(l), ServerName: r.str(l, avpServerName, false),
		Capabilities: r.serverCapabilities(l)}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// MAR is a Multimedia-Auth-Request, S-CSCF to HSS (TS 29.229 6.1.7).
type MAR struct {
	RequestHeader
	UserName       string // the IMPI
	PublicIdentity string // the IMPU
	ServerName     string // the S-CSCF asking
	Scheme         string // SIP-Authentication-Scheme: SchemeDigestAKAv1MD5 or SchemeUnknown
	Items          uint32 // SIP-Number-Auth-Items, vectors wanted
	// Resync: the UE reported a synchronisation failure; sent as
	// SIP-Authorization = RAND || AUTS (TS 29.228 6.3.1).
	Resync *Resync
}

// Build encodes the MAR.
func (r *MAR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("MAR", false); err != nil {
		return nil, err
	}
	if err := nonEmpty("MAR", "User-Name", r.UserName, "Public-Identity", r.PublicIdentity,
		"Server-Name", r.ServerName, "SIP-Authentication-Scheme", r.Scheme); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdMultimediaAuth, true)
	r.RequestHeader.put(m, cxAppIDs()...)
	var authz *diam.AVP
	if r.Resync != nil {
		authz = octets(avpSIPAuthorization, append(r.Resync.RAND[:], r.Resync.AUTS[:]...))
	}
	put(m, utf8(avpUserName, r.UserName), utf8(avpPublicIdentity, r.PublicIdentity),
		group(avpSIPAuthDataItem, utf8(avpSIPAuthScheme, r.Scheme), authz),
		u32(avpSIPNumberAuthItems, r.Items), utf8(avpServerName, r.ServerName))
	return m, nil
}

// ParseMAR decodes a MAR.
func ParseMAR(m *diam.Message) (*MAR, error) {
	if err := checkCommand(m, "MAR", AppCx, CmdMultimediaAuth, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "MAR"}
	l := topLevel(m)
	q := &MAR{RequestHeader: r.requestHeader(l, false), UserName: r.str(l, avpUserName, true),
		PublicIdentity: r.str(l, avpPublicIdentity, true), ServerName: r.str(l, avpServerName, true),
		Items: r.u32(l, avpSIPNumberAuthItems, true)}
	if g, ok := r.group(l, avpSIPAuthDataItem, true); ok {
		q.Scheme = r.str(g, avpSIPAuthScheme, false)
		if b := r.fixed(g, avpSIPAuthorization, RANDLen+AUTSLen, false); b != nil {
			q.Resync = &Resync{RAND: [RANDLen]byte(b[:RANDLen]), AUTS: [AUTSLen]byte(b[RANDLen:])}
		}
	}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return q, nil
}

// MAA is a Multimedia-Auth-Answer (TS 29.229 6.1.8).
type MAA struct {
	AnswerHeader
	UserName       string // "" leaves it out
	PublicIdentity string // "" leaves it out
	Items          []AKAItem
}

// AKAItem is one IMS AKA vector in a SIP-Auth-Data-Item (TS 29.228
// 6.3.1, scheme Digest-AKAv1-MD5): SIP-Authenticate = RAND || AUTN,
// SIP-Authorization = XRES, Confidentiality-Key = CK, Integrity-Key = IK.
type AKAItem struct {
	RAND [RANDLen]byte
	AUTN [AUTNLen]byte
	XRES []byte // 4 to 16 octets
	CK   [CKLen]byte
	IK   [IKLen]byte
}

// Build encodes the MAA.
func (a *MAA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("MAA"); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdMultimediaAuth, false)
	a.AnswerHeader.put(m, cxAppIDs()...)
	put(m, optUTF8(avpUserName, a.UserName), optUTF8(avpPublicIdentity, a.PublicIdentity))
	if len(a.Items) > 0 {
		put(m, u32(avpSIPNumberAuthItems, uint32(len(a.Items))))
	}
	for i, it := range a.Items {
		if len(it.XRES) < 4 || len(it.XRES) > 16 {
			return nil, fmt.Errorf("diameter: build MAA: item %d: XRES of %d octets, want 4 to 16", i+1, len(it.XRES))
		}
		put(m, group(avpSIPAuthDataItem, u32(avpSIPItemNumber, uint32(i+1)), utf8(avpSIPAuthScheme, SchemeDigestAKAv1MD5),
			octets(avpSIPAuthenticate, append(it.RAND[:], it.AUTN[:]...)), octets(avpSIPAuthorization, it.XRES),
			octets(avpConfidentialityKey, it.CK[:]), octets(avpIntegrityKey, it.IK[:])))
	}
	return m, nil
}

// ParseMAA decodes an MAA. Items of a scheme other than Digest-AKAv1-MD5
// are refused as invalid.
func ParseMAA(m *diam.Message) (*MAA, error) {
	if err := checkCommand(m, "MAA", AppCx, CmdMultimediaAuth, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "MAA"}
	l := topLevel(m)
	a := &MAA{AnswerHeader: r.answerHeader(l), UserName: r.str(l, avpUserName, false),
		PublicIdentity: r.str(l, avpPublicIdentity, false)}
	r.u32(l, avpSIPNumberAuthItems, false)
	for _, g := range r.groups(l, avpSIPAuthDataItem) {
		a.Items = append(a.Items, r.akaItem(g))
	}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

func (r *reader) akaItem(g avps) AKAItem {
	var it AKAItem
	if s := r.str(g, avpSIPAuthScheme, true); r.err == nil && s != SchemeDigestAKAv1MD5 {
		r.invalid(g, avpSIPAuthScheme, "%q, want %s", s, SchemeDigestAKAv1MD5)
	}
	if b := r.fixed(g, avpSIPAuthenticate, RANDLen+AUTNLen, true); b != nil {
		it.RAND, it.AUTN = [RANDLen]byte(b[:RANDLen]), [AUTNLen]byte(b[RANDLen:])
	}
	it.XRES = r.bytes(g, avpSIPAuthorization, true)
	if it.XRES != nil && (len(it.XRES) < 4 || len(it.XRES) > 16) {
		r.invalid(g, avpSIPAuthorization, "%d octets, want 4 to 16", len(it.XRES))
	}
	copy(it.CK[:], r.fixed(g, avpConfidentialityKey, CKLen, true))
	copy(it.IK[:], r.fixed(g, avpIntegrityKey, IKLen, true))
	return it
}

// nonEmpty checks name/value pairs of mandatory strings for a Build.
func nonEmpty(cmd string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("diameter: build %s: %s is empty", cmd, pairs[i])
		}
	}
	return nil
}
