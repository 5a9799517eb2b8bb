package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// ContactFeatures are the IMS feature tags of a Contact (RFC 5626
// +sip.instance, TS 24.229 +g.3gpp.icsi-ref).
type ContactFeatures struct {
	// Instance is the +sip.instance URN without its <> (e.g.
	// "urn:gsma:imei:35209900-176148-0").
	Instance string
	ICSIRefs []string
}

// ContactFeaturesOf reads the feature tags of a sipgo Contact header.
func ContactFeaturesOf(c *sip.ContactHeader) ContactFeatures {
	var f ContactFeatures
	if v, ok := c.Params.Get(ParamSIPInstance); ok {
		f.Instance = strings.TrimSuffix(strings.TrimPrefix(strings.Trim(v, `"`), "<"), ">")
	}
	if v, ok := c.Params.Get(ParamICSIRef); ok {
		f.ICSIRefs = ICSIRefs(strings.Trim(v, `"`))
	}
	return f
}

// SetContactFeatures adds f's feature tags to a sipgo Contact header,
// quoted as sipgo keeps parameter values verbatim.
func SetContactFeatures(c *sip.ContactHeader, f ContactFeatures) {
	if c.Params == nil {
		c.Params = sip.NewParams()
	}
	if f.Instance != "" {
		c.Params.Add(ParamSIPInstance, `"<`+f.Instance+`>"`)
	}
	if len(f.ICSIRefs) > 0 {
		c.Params.Add(ParamICSIRef, `"`+EncodeICSIRefs(f.ICSIRefs...)+`"`)
	}
}
