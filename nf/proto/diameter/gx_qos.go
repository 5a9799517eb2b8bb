package diameter

import (
	"fmt"
	"net/netip"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
)

// Gx/Rx AVPs of QoS, rules and flows (TS 29.212 5.3, TS 29.214 5.3).
var (
	avpQoSInformation      = tgpp(avp.QoSInformation, "QoS-Information")
	avpGBRUL               = tgpp(avp.GuaranteedBitrateUL, "Guaranteed-Bitrate-UL")
	avpGBRDL               = tgpp(avp.GuaranteedBitrateDL, "Guaranteed-Bitrate-DL")
	avpAPNAMBRUL           = tgppV(avp.APNAggregateMaxBitrateUL, "APN-Aggregate-Max-Bitrate-UL")
	avpAPNAMBRDL           = tgppV(avp.APNAggregateMaxBitrateDL, "APN-Aggregate-Max-Bitrate-DL")
	avpDefaultEPSBearerQoS = tgppV(avp.DefaultEPSBearerQoS, "Default-EPS-Bearer-QoS")
	avpChargingRuleInstall = tgpp(avp.ChargingRuleInstall, "Charging-Rule-Install")
	avpChargingRuleRemove  = tgpp(avp.ChargingRuleRemove, "Charging-Rule-Remove")
	avpChargingRuleDef     = tgpp(avp.ChargingRuleDefinition, "Charging-Rule-Definition")
	avpChargingRuleName    = tgpp(avp.ChargingRuleName, "Charging-Rule-Name")
	avpFlowInformation     = tgppV(avp.FlowInformation, "Flow-Information")
	avpFlowDescription     = tgpp(avp.FlowDescription, "Flow-Description")
	avpFlowDirection       = tgppV(avp.FlowDirection, "Flow-Direction")
	avpPrecedence          = tgpp(avp.Precedence, "Precedence")
)

// QoSInformation is QoS-Information (TS 29.212 5.3.16). Zero fields are
// left out.
type QoSInformation struct {
	QCI                 uint32
	MaxReqBandwidthUL   uint32 // MBR, bps
	MaxReqBandwidthDL   uint32
	GuaranteedBitrateUL uint32 // GBR, bps
	GuaranteedBitrateDL uint32
	APNAMBRUL           uint32 // APN-AMBR, bps
	APNAMBRDL           uint32
	ARP                 *ARP
}

func (q *QoSInformation) avp() *diam.AVP {
	if q == nil {
		return nil
	}
	var arp *diam.AVP
	if q.ARP != nil {
		arp = q.ARP.avp()
	}
	return group(avpQoSInformation, optEnum(avpQCI, q.QCI), optU32(avpMaxReqBandwidthUL, q.MaxReqBandwidthUL),
		optU32(avpMaxReqBandwidthDL, q.MaxReqBandwidthDL), optU32(avpGBRUL, q.GuaranteedBitrateUL),
		optU32(avpGBRDL, q.GuaranteedBitrateDL), arp, optU32(avpAPNAMBRUL, q.APNAMBRUL), optU32(avpAPNAMBRDL, q.APNAMBRDL))
}

func (r *reader) qosInformation(l avps) *QoSInformation {
	g, ok := r.group(l, avpQoSInformation, false)
	if !ok {
		return nil
	}
	q := &QoSInformation{QCI: r.u32(g, avpQCI, false),
		MaxReqBandwidthUL: r.u32(g, avpMaxReqBandwidthUL, false), MaxReqBandwidthDL: r.u32(g, avpMaxReqBandwidthDL, false),
		GuaranteedBitrateUL: r.u32(g, avpGBRUL, false), GuaranteedBitrateDL: r.u32(g, avpGBRDL, false),
		APNAMBRUL: r.u32(g, avpAPNAMBRUL, false), APNAMBRDL: r.u32(g, avpAPNAMBRDL, false)}
	if ag, ok := r.group(g, avpARP, false); ok {
		arp := r.arp(ag)
		q.ARP = &arp
	}
	return q
}

func (q *BearerQoS) defaultBearerAVP() *diam.AVP {
	if q == nil {
		return nil
	}
	return group(avpDefaultEPSBearerQoS, enum(avpQCI, q.QCI), q.ARP.avp())
}

func (r *reader) defaultBearerQoS(l avps) *BearerQoS {
	g, ok := r.group(l, avpDefaultEPSBearerQoS, false)
	if !ok {
		return nil
	}
	return r.bearerQoS(g)
}

// ChargingRule is a Charging-Rule-Definition (TS 29.212 5.3.4): a PCC
// rule installed by the PCRF.
type ChargingRule struct {
	Name       string
	Flows      []Flow
	QoS        *QoSInformation
	Precedence uint32 // 0 leaves it out
}

// Flow is a Flow-Information (TS 29.212 5.3.53).
type Flow struct {
	// Description is an IPFilterRule, e.g.
	// "permit out 17 from 10.0.0.1 40000 to 10.45.0.2 50000".
	Description string
	Direction   uint32 // FlowDirection...; 0 leaves it out
}

func (c ChargingRule) avp() (*diam.AVP, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("Charging-Rule-Definition without Charging-Rule-Name")
	}
	members := []*diam.AVP{octets(avpChargingRuleName, []byte(c.Name))}
	for _, f := range c.Flows {
		members = append(members, group(avpFlowInformation, ipFilter(avpFlowDescription, f.Description),
			optEnum(avpFlowDirection, f.Direction)))
	}
	members = append(members, c.QoS.avp(), optU32(avpPrecedence, c.Precedence))
	return group(avpChargingRuleDef, members...), nil
}

func (r *reader) chargingRule(g avps) ChargingRule {
	c := ChargingRule{Name: r.str(g, avpChargingRuleName, true), QoS: r.qosInformation(g),
		Precedence: r.u32(g, avpPrecedence, false)}
	for _, fg := range r.groups(g, avpFlowInformation) {
		c.Flows = append(c.Flows, Flow{Description: r.str(fg, avpFlowDescription, false),
			Direction: r.u32(fg, avpFlowDirection, false)})
	}
	return c
}

// PolicyUpdate is what a CCA or a RAR carries to the PCEF: rules to
// install and remove, and session QoS.
type PolicyUpdate struct {
	Install          []ChargingRule
	Remove           []string        // rule names
	QoS              *QoSInformation // APN-AMBR
	DefaultBearerQoS *BearerQoS
}

func (u PolicyUpdate) put(m *diam.Message) error {
	if len(u.Install) > 0 {
		defs := make([]*diam.AVP, 0, len(u.Install))
		for _, c := range u.Install {
			a, err := c.avp()
			if err != nil {
				return err
			}
			defs = append(defs, a)
		}
		put(m, group(avpChargingRuleInstall, defs...))
	}
	if len(u.Remove) > 0 {
		names := make([]*diam.AVP, 0, len(u.Remove))
		for _, n := range u.Remove {
			names = append(names, octets(avpChargingRuleName, []byte(n)))
		}
		put(m, group(avpChargingRuleRemove, names...))
	}
	put(m, u.QoS.avp(), u.DefaultBearerQoS.defaultBearerAVP())
	return nil
}

func (r *reader) policyUpdate(l avps) PolicyUpdate {
	var u PolicyUpdate
	for _, ig := range r.groups(l, avpChargingRuleInstall) {
		for _, dg := range r.groups(ig, avpChargingRuleDef) {
			u.Install = append(u.Install, r.chargingRule(dg))
		}
	}
	for _, rg := range r.groups(l, avpChargingRuleRemove) {
		u.Remove = append(u.Remove, r.strs(rg, avpChargingRuleName)...)
	}
	u.QoS = r.qosInformation(l)
	u.DefaultBearerQoS = r.defaultBearerQoS(l)
	return u
}

// SubscriptionID is a Subscription-Id (RFC 4006 8.46).
type SubscriptionID struct {
	Type uint32 // SubscriptionIDE164, SubscriptionIDIMSI ...
	Data string
}

func subscriptionIDs(ids []SubscriptionID) []*diam.AVP {
	out := make([]*diam.AVP, 0, len(ids))
	for _, s := range ids {
		out = append(out, group(avpSubscriptionID, enum(avpSubscriptionIDType, s.Type), utf8(avpSubscriptionIDData, s.Data)))
	}
	return out
}

func (r *reader) subscriptionIDs(l avps) []SubscriptionID {
	var out []SubscriptionID
	for _, g := range r.groups(l, avpSubscriptionID) {
		out = append(out, SubscriptionID{Type: r.u32(g, avpSubscriptionIDType, true), Data: r.str(g, avpSubscriptionIDData, true)})
	}
	return out
}

// framedIP encodes Framed-IP-Address (4 octets for IPv4, RFC 7155 4.4.10.5.1).
func framedIP(a netip.Addr) *diam.AVP {
	if !a.IsValid() {
		return nil
	}
	return octets(avpFramedIPAddress, a.Unmap().AsSlice())
}

func (r *reader) framedIP(l avps) netip.Addr {
	b := r.bytes(l, avpFramedIPAddress, false)
	if b == nil {
		return netip.Addr{}
	}
	a, ok := netip.AddrFromSlice(b)
	if !ok {
		r.invalid(l, avpFramedIPAddress, "%d octets, want 4 or 16", len(b))
	}
	return a
}
