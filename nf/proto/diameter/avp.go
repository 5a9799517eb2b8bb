package diameter

import (
	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

const (
	flagM = avp.Mbit
	flagV = avp.Vbit
)

// def is one AVP as we send it: code, vendor, the flags the 3GPP tables
// require, and its name for error messages.
type def struct {
	code   uint32
	vendor uint32
	flags  uint8
	name   string
}

func base(code uint32, name string) def { return def{code: code, flags: flagM, name: name} }
func tgpp(code uint32, name string) def {
	return def{code: code, vendor: Vendor3GPP, flags: flagM | flagV, name: name}
}
func tgppV(code uint32, name string) def {
	return def{code: code, vendor: Vendor3GPP, flags: flagV, name: name}
}
func baseNoM(code uint32, name string) def { return def{code: code, name: name} }

// Base protocol and RFC 4006 AVPs.
var (
	avpSessionID          = base(avp.SessionID, "Session-Id")
	avpOriginHost         = base(avp.OriginHost, "Origin-Host")
	avpOriginRealm        = base(avp.OriginRealm, "Origin-Realm")
	avpDestinationHost    = base(avp.DestinationHost, "Destination-Host")
	avpDestinationRealm   = base(avp.DestinationRealm, "Destination-Realm")
	avpResultCode         = base(avp.ResultCode, "Result-Code")
	avpExperimentalResult = base(avp.ExperimentalResult, "Experimental-Result")
	avpExpResultCode      = base(avp.ExperimentalResultCode, "Experimental-Result-Code")
	avpVendorID           = base(avp.VendorID, "Vendor-Id")
	avpAuthAppID          = base(avp.AuthApplicationID, "Auth-Application-Id")
	avpVendorSpecificApp  = base(avp.VendorSpecificApplicationID, "Vendor-Specific-Application-Id")
	avpAuthSessionState   = base(avp.AuthSessionState, "Auth-Session-State")
	avpUserName           = base(avp.UserName, "User-Name")
	avpErrorMessage       = baseNoM(avp.ErrorMessage, "Error-Message")
	avpOriginStateID      = base(avp.OriginStateID, "Origin-State-Id")
	avpHostIPAddress      = base(avp.HostIPAddress, "Host-IP-Address")
	avpProductName        = baseNoM(avp.ProductName, "Product-Name")
	avpSupportedVendorID  = base(avp.SupportedVendorID, "Supported-Vendor-Id")
	avpInbandSecurityID   = base(avp.InbandSecurityID, "Inband-Security-Id")
	avpDisconnectCause    = base(avp.DisconnectCause, "Disconnect-Cause")
	avpTerminationCause   = base(avp.TerminationCause, "Termination-Cause")
	avpReAuthRequestType  = base(avp.ReAuthRequestType, "Re-Auth-Request-Type")
	avpCCRequestType      = base(avp.CCRequestType, "CC-Request-Type")
	avpCCRequestNumber    = base(avp.CCRequestNumber, "CC-Request-Number")
	avpSubscriptionID     = base(avp.SubscriptionID, "Subscription-Id")
	avpSubscriptionIDType = base(avp.SubscriptionIDType, "Subscription-Id-Type")
	avpSubscriptionIDData = base(avp.SubscriptionIDData, "Subscription-Id-Data")
	avpFramedIPAddress    = base(avp.FramedIPAddress, "Framed-IP-Address")
	avpCalledStationID    = base(avp.CalledStationID, "Called-Station-Id")
	avpServiceSelection   = base(avp.ServiceSelection, "Service-Selection")
)

// put appends the non-nil AVPs to m (optional AVPs come as nil when absent).
func put(m *diam.Message, avps ...*diam.AVP) {
	for _, a := range avps {
		if a != nil {
			m.AddAVP(a)
		}
	}
}

// group builds a Grouped AVP of the non-nil members.
func group(d def, members ...*diam.AVP) *diam.AVP {
	g := &diam.GroupedAVP{}
	for _, a := range members {
		if a != nil {
			g.AVP = append(g.AVP, a)
		}
	}
	return diam.NewAVP(d.code, d.flags, d.vendor, g)
}

func u32(d def, v uint32) *diam.AVP {
	return diam.NewAVP(d.code, d.flags, d.vendor, datatype.Unsigned32(v))
}

func enum(d def, v uint32) *diam.AVP {
	return diam.NewAVP(d.code, d.flags, d.vendor, datatype.Enumerated(int32(v)))
}

func octets(d def, b []byte) *diam.AVP {
	return diam.NewAVP(d.code, d.flags, d.vendor, datatype.OctetString(b))
}

func utf8(d def, s string) *diam.AVP {
	return diam.NewAVP(d.code, d.flags, d.vendor, datatype.UTF8String(s))
}

func ident(d def, s string) *diam.AVP {
	return diam.NewAVP(d.code, d.flags, d.vendor, datatype.DiameterIdentity(s))
}

func ipFilter(d def, s string) *diam.AVP {
	return diam.NewAVP(d.code, d.flags, d.vendor, datatype.IPFilterRule(s))
}

// The opt* forms give nil (absent) for the zero value.

func optU32(d def, v uint32) *diam.AVP {
	if v == 0 {
		return nil
	}
	return u32(d, v)
}

func optEnum(d def, v uint32) *diam.AVP {
	if v == 0 {
		return nil
	}
	return enum(d, v)
}

func optUTF8(d def, s string) *diam.AVP {
	if s == "" {
		return nil
	}
	return utf8(d, s)
}

func optIdent(d def, s string) *diam.AVP {
	if s == "" {
		return nil
	}
	return ident(d, s)
}
