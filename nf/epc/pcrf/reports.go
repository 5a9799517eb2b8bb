package pcrf

import (
	"encoding/binary"
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// Charging-Rule-Report and its members (TS 29.212 5.3.18): go-diameter's
// Gx dictionary lacks them, so they arrive as Unknown AVPs and we read
// their octets ourselves.
const (
	avpChargingRuleReport = 1018
	avpChargingRuleName   = avp.ChargingRuleName // 1005
	avpPCCRuleStatus      = 1019
	avpRuleFailureCode    = 1031
)

// PCC-Rule-Status values (TS 29.212 5.3.19).
const (
	pccRuleActive              uint32 = 0
	pccRuleInactive            uint32 = 1
	pccRuleTemporarilyInactive uint32 = 2
)

// ruleReport is one Charging-Rule-Report.
type ruleReport struct {
	names     []string
	status    uint32
	hasStatus bool
	failure   uint32 // Rule-Failure-Code, 0 when absent
}

// ruleReports reads the Charging-Rule-Reports of a CCR or an RAA.
func ruleReports(m *diam.Message, cmd string) ([]ruleReport, error) {
	var out []ruleReport
	for _, a := range m.AVP {
		if a.Code != avpChargingRuleReport || a.VendorID != diameter.Vendor3GPP {
			continue
		}
		body, err := groupBody(a)
		if err != nil {
			return nil, reportError(cmd, "", err.Error())
		}
		r, err := parseRuleReport(body, cmd)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// groupBody is the octets of a Grouped AVP's members, however the
// dictionary decoded it.
func groupBody(a *diam.AVP) ([]byte, error) {
	switch d := a.Data.(type) {
	case *diam.GroupedAVP:
		return d.Serialize(), nil
	case datatype.Unknown:
		return d, nil
	case datatype.OctetString:
		return []byte(d), nil
	}
	return nil, fmt.Errorf("want a Grouped AVP, got %T", a.Data)
}

func parseRuleReport(b []byte, cmd string) (ruleReport, error) {
	var r ruleReport
	for len(b) > 0 {
		code, vendor, payload, rest, err := nextAVP(b)
		if err != nil {
			return ruleReport{}, reportError(cmd, "", err.Error())
		}
		b = rest
		if vendor != diameter.Vendor3GPP {
			continue
		}
		switch code {
		case avpChargingRuleName:
			r.names = append(r.names, string(payload))
		case avpPCCRuleStatus:
			if len(payload) != 4 {
				return ruleReport{}, reportError(cmd, "/PCC-Rule-Status", fmt.Sprintf("%d octets, want 4", len(payload)))
			}
			r.status, r.hasStatus = binary.BigEndian.Uint32(payload), true
		case avpRuleFailureCode:
			if len(payload) != 4 {
				return ruleReport{}, reportError(cmd, "/Rule-Failure-Code", fmt.Sprintf("%d octets, want 4", len(payload)))
			}
			r.failure = binary.BigEndian.Uint32(payload)
		}
	}
	return r, nil
}

// nextAVP splits the first AVP (RFC 6733 4.1) off b: its code, vendor,
// payload, and what follows its padding.
func nextAVP(b []byte) (code, vendor uint32, payload, rest []byte, err error) {
	if len(b) < 8 {
		return 0, 0, nil, nil, fmt.Errorf("%d octets left, shorter than an AVP header", len(b))
	}
	code = binary.BigEndian.Uint32(b[0:4])
	flags := b[4]
	length := int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	hdr := 8
	if flags&avp.Vbit != 0 {
		hdr = 12
	}
	if length < hdr || length > len(b) {
		return 0, 0, nil, nil, fmt.Errorf("AVP %d: length %d with %d octets left", code, length, len(b))
	}
	if hdr == 12 {
		vendor = binary.BigEndian.Uint32(b[8:12])
	}
	next := min((length+3)&^3, len(b))
	return code, vendor, b[hdr:length], b[next:], nil
}

func reportError(cmd, member, reason string) error {
	return &diameter.InvalidAVPError{Command: cmd, AVP: "Charging-Rule-Report" + member, Reason: reason}
}
