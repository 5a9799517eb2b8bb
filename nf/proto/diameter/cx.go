package diameter

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// AppCx is the Cx/Dx application (TS 29.229 6.1): I-CSCF and S-CSCF
// towards the HSS.
const AppCx uint32 = 16777216

// Cx command codes (TS 29.229 6.1).
const (
	CmdUserAuthorization       uint32 = 300
	CmdServerAssignment        uint32 = 301
	CmdLocationInfo            uint32 = 302
	CmdMultimediaAuth          uint32 = 303
	CmdRegistrationTermination uint32 = 304
	CmdPushProfile             uint32 = 305
)

// Experimental-Result-Code values of Cx (TS 29.229 6.2). Success codes
// travel as Experimental-Result too; ExpErrorUserUnknown (5001) and
// ExpErrorRoamingNotAllowed (5004) are shared with S6a.
const (
	ExpFirstRegistration              uint32 = 2001
	ExpSubsequentRegistration         uint32 = 2002
	ExpUnregisteredService            uint32 = 2003
	ExpSuccessServerNameNotStored     uint32 = 2004
	ExpErrorIdentitiesDontMatch       uint32 = 5002
	ExpErrorIdentityNotRegistered     uint32 = 5003
	ExpErrorIdentityAlreadyRegistered uint32 = 5005
	ExpErrorAuthSchemeNotSupported    uint32 = 5006
	ExpErrorInAssignmentType          uint32 = 5007
	ExpErrorTooMuchData               uint32 = 5008
	ExpErrorNotSupportedUserData      uint32 = 5009
	ExpErrorFeatureUnsupported        uint32 = 5011
)

// User-Authorization-Type (TS 29.229 6.3.24).
const (
	AuthTypeRegistration                uint32 = 0
	AuthTypeDeregistration              uint32 = 1
	AuthTypeRegistrationAndCapabilities uint32 = 2
)

// Server-Assignment-Type (TS 29.229 6.3.15).
const (
	AssignNoAssignment                   uint32 = 0
	AssignRegistration                   uint32 = 1
	AssignReRegistration                 uint32 = 2
	AssignUnregisteredUser               uint32 = 3
	AssignTimeoutDeregistration          uint32 = 4
	AssignUserDeregistration             uint32 = 5
	AssignTimeoutDeregistrationStoreName uint32 = 6
	AssignUserDeregistrationStoreName    uint32 = 7
	AssignAdministrativeDeregistration   uint32 = 8
	AssignAuthenticationFailure          uint32 = 9
	AssignAuthenticationTimeout          uint32 = 10
	AssignDeregistrationTooMuchData      uint32 = 11
	AssignAAAUserDataRequest             uint32 = 12
	AssignPGWUpdate                      uint32 = 13
	AssignRestoration                    uint32 = 14
)

// User-Data-Already-Available (TS 29.229 6.3.26).
const (
	UserDataNotAvailable     uint32 = 0
	UserDataAlreadyAvailable uint32 = 1
)

// SchemeDigestAKAv1MD5 is the SIP-Authentication-Scheme of IMS AKA (TS
// 33.203, RFC 3310); SchemeUnknown lets the HSS choose (TS 29.228 6.3).
const (
	SchemeDigestAKAv1MD5 = "Digest-AKAv1-MD5"
	SchemeUnknown        = "Unknown"
)

// Cx AVPs (TS 29.229 6.3): 600-633 carry M and V, later ones V only.
var (
	avpVisitedNetworkID    = tgpp(600, "Visited-Network-Identifier")
	avpPublicIdentity      = tgpp(601, "Public-Identity")
	avpServerName          = tgpp(602, "Server-Name")
	avpServerCapabilities  = tgpp(603, "Server-Capabilities")
	avpMandatoryCapability = tgpp(604, "Mandatory-Capability")
	avpOptionalCapability  = tgpp(605, "Optional-Capability")
	avpUserData            = tgpp(606, "User-Data")
	avpSIPNumberAuthItems  = tgpp(607, "SIP-Number-Auth-Items")
	avpSIPAuthScheme       = tgpp(608, "SIP-Authentication-Scheme")
	avpSIPAuthenticate     = tgpp(609, "SIP-Authenticate")
	avpSIPAuthorization    = tgpp(610, "SIP-Authorization")
	avpSIPAuthDataItem     = tgpp(612, "SIP-Auth-Data-Item")
	avpSIPItemNumber       = tgpp(613, "SIP-Item-Number")
	avpServerAssignType    = tgpp(614, "Server-Assignment-Type")
	avpUserAuthType        = tgpp(623, "User-Authorization-Type")
	avpUserDataAvailable   = tgpp(624, "User-Data-Already-Available")
	avpConfidentialityKey  = tgpp(625, "Confidentiality-Key")
	avpIntegrityKey        = tgpp(626, "Integrity-Key")
	avpOriginatingRequest  = tgpp(633, "Originating-Request")
	avpUARFlags            = tgppV(637, "UAR-Flags")
)

// Lengths of IMS AKA parameters (TS 33.203 6.1, TS 33.102).
const (
	CKLen = 16
	IKLen = 16
)

// cxDictionary is our Cx/Dx dictionary in go-diameter's XML format.
//
//go:embed dict/cx.xml
var cxDictionary []byte

// CxDictionary is the Cx/Dx dictionary XML, for other parsers.
func CxDictionary() []byte { return bytes.Clone(cxDictionary) }

// LoadCx loads the Cx/Dx dictionary into p, unless p knows the Cx
// application already (loading twice would fail on the commands).
func LoadCx(p *dict.Parser) error {
	if _, err := p.FindCommand(AppCx, CmdUserAuthorization); err == nil {
		return nil
	}
	if err := p.Load(bytes.NewReader(cxDictionary)); err != nil {
		return fmt.Errorf("diameter: load the Cx dictionary: %w", err)
	}
	return nil
}

// go-diameter's default dictionary gets Cx at init, so Decode, the
// state machine's CEA and tshark-visible messages all know it.
func init() {
	if err := LoadCx(dict.Default); err != nil {
		panic(err) // the embedded XML is ours: a test covers it
	}
}

// cxAppIDs are the application AVPs every Cx command carries.
func cxAppIDs() []*diam.AVP {
	return []*diam.AVP{
		group(avpVendorSpecificApp, u32(avpVendorID, Vendor3GPP), u32(avpAuthAppID, AppCx)),
		enum(avpAuthSessionState, AuthSessionNoStateMaintained),
	}
}

// checkCxApp verifies Vendor-Specific-Application-Id names Cx.
func (r *reader) checkCxApp(l avps) {
	g, ok := r.group(l, avpVendorSpecificApp, true)
	if !ok {
		return
	}
	if got := r.u32(g, avpAuthAppID, true); r.err == nil && got != AppCx {
		r.invalid(g, avpAuthAppID, "%d, want %d", got, AppCx)
	}
	r.u32(l, avpAuthSessionState, true)
}

// ServerCapabilities lets the I-CSCF pick an S-CSCF (TS 29.229 6.3.4).
type ServerCapabilities struct {
	Mandatory   []uint32
	Optional    []uint32
	ServerNames []string
}

func (c *ServerCapabilities) avp() *diam.AVP {
	var members []*diam.AVP
	for _, v := range c.Mandatory {
		members = append(members, u32(avpMandatoryCapability, v))
	}
	for _, v := range c.Optional {
		members = append(members, u32(avpOptionalCapability, v))
	}
	for _, s := range c.ServerNames {
		members = append(members, utf8(avpServerName, s))
	}
	return group(avpServerCapabilities, members...)
}

func (r *reader) serverCapabilities(l avps) *ServerCapabilities {
	g, ok := r.group(l, avpServerCapabilities, false)
	if !ok {
		return nil
	}
	return &ServerCapabilities{Mandatory: r.u32s(g, avpMandatoryCapability),
		Optional: r.u32s(g, avpOptionalCapability), ServerNames: r.strs(g, avpServerName)}
}

// optCaps is nil (absent) for nil or empty capabilities: an empty grouped
// AVP is legal but Wireshark flags it, and a reader treats both alike
// (any S-CSCF will do).
func optCaps(c *ServerCapabilities) *diam.AVP {
	if c == nil || len(c.Mandatory)+len(c.Optional)+len(c.ServerNames) == 0 {
		return nil
	}
	return c.avp()
}
