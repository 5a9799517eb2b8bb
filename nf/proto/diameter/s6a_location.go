package diameter

import (
	"fmt"
	"math"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
)

// S6a AVPs of location management and subscription data (TS 29.272 7.3).
var (
	avpRATType               = tgppV(avp.RATType, "RAT-Type")
	avpULRFlags              = tgpp(avp.ULRFlags, "ULR-Flags")
	avpULAFlags              = tgpp(avp.ULAFlags, "ULA-Flags")
	avpSubscriptionData      = tgpp(avp.SubscriptionData, "Subscription-Data")
	avpSubscriberStatus      = tgpp(avp.SubscriberStatus, "Subscriber-Status")
	avpMSISDN                = tgpp(avp.MSISDN, "MSISDN")
	avpAMBR                  = tgpp(avp.AMBR, "AMBR")
	avpMaxReqBandwidthUL     = tgpp(avp.MaxRequestedBandwidthUL, "Max-Requested-Bandwidth-UL")
	avpMaxReqBandwidthDL     = tgpp(avp.MaxRequestedBandwidthDL, "Max-Requested-Bandwidth-DL")
	avpExtMaxReqBWUL         = tgppV(555, "Extended-Max-Requested-BW-UL")
	avpExtMaxReqBWDL         = tgppV(554, "Extended-Max-Requested-BW-DL")
	avpAPNConfigProfile      = tgpp(avp.APNConfigurationProfile, "APN-Configuration-Profile")
	avpContextIdentifier     = tgpp(avp.ContextIdentifier, "Context-Identifier")
	avpAllAPNConfigsIncluded = tgpp(avp.AllAPNConfigurationsIncludedIndicator, "All-APN-Configurations-Included-Indicator")
	avpAPNConfiguration      = tgpp(avp.APNConfiguration, "APN-Configuration")
	avpPDNType               = tgpp(avp.PDNType, "PDN-Type")
	avpEPSSubscribedQoS      = tgpp(avp.EPSSubscribedQoSProfile, "EPS-Subscribed-QoS-Profile")
	avpQCI                   = tgpp(avp.QoSClassIdentifier, "QoS-Class-Identifier")
	avpARP                   = tgppV(avp.AllocationRetentionPriority, "Allocation-Retention-Priority")
	avpPriorityLevel         = tgppV(avp.PriorityLevel, "Priority-Level")
	avpPreemptionCapability  = tgppV(avp.PreemptionCapability, "Pre-emption-Capability")
	avpPreemptionVuln        = tgppV(avp.PreemptionVulnerability, "Pre-emption-Vulnerability")
)

// Subscriber-Status (TS 29.272 7.3.29).
const (
	SubscriberServiceGranted        uint32 = 0
	SubscriberOperatorDeterminedBar uint32 = 1
)

// ULR is an Update-Location-Request (TS 29.272 7.2.3).
type ULR struct {
	RequestHeader
	UserName    string // the IMSI
	RATType     uint32 // RATTypeEUTRAN ...
	Flags       uint32 // ULR-Flags: ULRS6aS6dIndicator, ULRInitialAttachIndicator ...
	VisitedPLMN PLMNID
}

// Build encodes the ULR.
func (r *ULR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("ULR", false); err != nil {
		return nil, err
	}
	if r.UserName == "" {
		return nil, fmt.Errorf("diameter: build ULR: User-Name is empty")
	}
	m := newMessage(AppS6a, CmdUpdateLocation, true)
	r.RequestHeader.put(m, s6aAppIDs()...)
	put(m, utf8(avpUserName, r.UserName), enum(avpRATType, r.RATType), u32(avpULRFlags, r.Flags),
		octets(avpVisitedPLMNID, r.VisitedPLMN[:]))
	return m, nil
}

// ParseULR decodes a ULR.
func ParseULR(m *diam.Message) (*ULR, error) {
	if err := checkCommand(m, "ULR", AppS6a, CmdUpdateLocation, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "ULR"}
	l := topLevel(m)
	u := &ULR{RequestHeader: r.requestHeader(l, false), UserName: r.str(l, avpUserName, true),
		RATType: r.u32(l, avpRATType, true), Flags: r.u32(l, avpULRFlags, true)}
	r.u32(l, avpAuthSessionState, true)
	copy(u.VisitedPLMN[:], r.fixed(l, avpVisitedPLMNID, 3, true))
	if r.err != nil {
		return nil, r.err
	}
	return u, nil
}

// ULA is an Update-Location-Answer (TS 29.272 7.2.4).
type ULA struct {
	AnswerHeader
	Flags        uint32            // ULA-Flags, sent on success
	Subscription *SubscriptionData // absent when the MME asked to skip it
}

// SubscriptionData is the part of Subscription-Data (TS 29.272 7.3.2)
// an MME needs for EPS attach.
type SubscriptionData struct {
	MSISDN           string // digits; "" for none
	SubscriberStatus uint32 // SubscriberServiceGranted ...
	AMBR             *AMBR  // the UE-AMBR
	APNProfile       *APNConfigurationProfile
}

// AMBR is an aggregate maximum bit rate in bits per second; rates over
// 2^32-1 travel in Extended-Max-Requested-BW-UL/DL (kbps, TS 29.272 7.3.41).
type AMBR struct {
	Uplink   uint64
	Downlink uint64
}

// APNConfigurationProfile lists the subscribed APNs (TS 29.272 7.3.34).
type APNConfigurationProfile struct {
	DefaultContextID uint32 // Context-Identifier of the default APN
	// AllIncluded: every APN is listed (All-APN-Configurations-Included-
	// Indicator All_APN_CONFIGURATIONS_INCLUDED), not just changes.
	AllIncluded bool
	APNs        []APNConfiguration
}

// APNConfiguration is one subscribed APN (TS 29.272 7.3.35).
type APNConfiguration struct {
	ContextID uint32
	APN       string // Service-Selection
	PDNType   uint32 // PDNTypeIPv4 ...
	QoS       *BearerQoS
	AMBR      *AMBR // APN-AMBR
}

// BearerQoS is a QCI with its ARP: EPS-Subscribed-QoS-Profile on S6a,
// Default-EPS-Bearer-QoS on Gx.
type BearerQoS struct {
	QCI uint32
	ARP ARP
}

// ARP is Allocation-Retention-Priority (TS 29.212 5.3.32). Both flags are
// always sent; absent ones parse as the defaults of TS 29.212
// (capability disabled, vulnerability enabled).
type ARP struct {
	PriorityLevel           uint32 // 1 (highest) to 15
	PreemptionCapability    uint32 // PreemptionCapabilityEnabled / Disabled
	PreemptionVulnerability uint32 // PreemptionVulnerabilityEnabled / Disabled
}

// Build encodes the ULA.
func (a *ULA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("ULA"); err != nil {
		return nil, err
	}
	m := newMessage(AppS6a, CmdUpdateLocation, false)
	a.AnswerHeader.put(m, s6aAppIDs()...)
	if a.Result.OK() || a.Flags != 0 { // mandatory on success
		put(m, u32(avpULAFlags, a.Flags))
	}
	if a.Subscription != nil {
		sd, err := a.Subscription.avp()
		if err != nil {
			return nil, fmt.Errorf("diameter: build ULA: %w", err)
		}
		put(m, sd)
	}
	return m, nil
}

func (s *SubscriptionData) avp() (*diam.AVP, error) {
	var msisdn, profile *diam.AVP
	if s.MSISDN != "" {
		b, err := EncodeTBCD(s.MSISDN)
		if err != nil {
			return nil, fmt.Errorf("MSISDN: %w", err)
		}
		msisdn = octets(avpMSISDN, b)
	}
	if p := s.APNProfile; p != nil {
		if len(p.APNs) == 0 {
			return nil, fmt.Errorf("APN-Configuration-Profile without APN-Configuration")
		}
		members := []*diam.AVP{u32(avpContextIdentifier, p.DefaultContextID), enum(avpAllAPNConfigsIncluded, allIncluded(p.AllIncluded))}
		for _, c := range p.APNs {
			if c.APN == "" {
				return nil, fmt.Errorf("APN-Configuration %d: empty Service-Selection", c.ContextID)
			}
			members = append(members, c.avp())
		}
		profile = group(avpAPNConfigProfile, members...)
	}
	return group(avpSubscriptionData, enum(avpSubscriberStatus, s.SubscriberStatus), msisdn,
		s.AMBR.avp(), profile), nil
}

func allIncluded(all bool) uint32 {
	if all {
		return 0 // All_APN_CONFIGURATIONS_INCLUDED
	}
	return 1 // MODIFIED_ADDED_APN_CONFIGURATIONS_INCLUDED
}

func (c APNConfiguration) avp() *diam.AVP {
	var qos *diam.AVP
	if c.QoS != nil {
		qos = group(avpEPSSubscribedQoS, enum(avpQCI, c.QoS.QCI), c.QoS.ARP.avp())
	}
	return group(avpAPNConfiguration, u32(avpContextIdentifier, c.ContextID), enum(avpPDNType, c.PDNType),
		utf8(avpServiceSelection, c.APN), qos, c.AMBR.avp())
}

func (a ARP) avp() *diam.AVP {
	return group(avpARP, u32(avpPriorityLevel, a.PriorityLevel), enum(avpPreemptionCapability, a.PreemptionCapability),
		enum(avpPreemptionVuln, a.PreemptionVulnerability))
}

func (a *AMBR) avp() *diam.AVP {
	if a == nil {
		return nil
	}
	ul, extUL := splitRate(a.Uplink)
	dl, extDL := splitRate(a.Downlink)
	var eul, edl *diam.AVP
	if extUL > 0 {
		eul = u32(avpExtMaxReqBWUL, extUL)
	}
	if extDL > 0 {
		edl = u32(avpExtMaxReqBWDL, extDL)
	}
	return group(avpAMBR, u32(avpMaxReqBandwidthUL, ul), u32(avpMaxReqBandwidthDL, dl), eul, edl)
}

// splitRate gives the Unsigned32 bps and, above its range, the extended
// rate in kbps (TS 29.272 7.3.41: the bps AVP then holds 2^32-1).
func splitRate(bps uint64) (legacy, extKbps uint32) {
	if bps <= math.MaxUint32 {
		return uint32(bps), 0
	}
	return math.MaxUint32, uint32(min(bps/1000, math.MaxUint32))
}

// ParseULA decodes a ULA.
func ParseULA(m *diam.Message) (*ULA, error) {
	if err := checkCommand(m, "ULA", AppS6a, CmdUpdateLocation, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "ULA"}
	l := topLevel(m)
	a := &ULA{AnswerHeader: r.answerHeader(l), Flags: r.u32(l, avpULAFlags, false)}
	r.u32(l, avpAuthSessionState, true)
	if g, ok := r.group(l, avpSubscriptionData, false); ok {
		a.Subscription = r.subscriptionData(g)
	}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

func (r *reader) subscriptionData(g avps) *SubscriptionData {
	s := &SubscriptionData{SubscriberStatus: r.u32(g, avpSubscriberStatus, false), AMBR: r.ambr(g)}
	if b := r.bytes(g, avpMSISDN, false); b != nil {
		var err error
		if s.MSISDN, err = DecodeTBCD(b); err != nil {
			r.invalid(g, avpMSISDN, "%v", err)
		}
	}
	if pg, ok := r.group(g, avpAPNConfigProfile, false); ok {
		p := &APNConfigurationProfile{DefaultContextID: r.u32(pg, avpContextIdentifier, true),
			AllIncluded: r.u32(pg, avpAllAPNConfigsIncluded, true) == 0}
		for _, cg := range r.groups(pg, avpAPNConfiguration) {
			p.APNs = append(p.APNs, r.apnConfiguration(cg))
		}
		if len(p.APNs) == 0 {
			r.missing(pg, avpAPNConfiguration)
		}
		s.APNProfile = p
	}
	return s
}

func (r *reader) apnConfiguration(g avps) APNConfiguration {
	c := APNConfiguration{ContextID: r.u32(g, avpContextIdentifier, true), PDNType: r.u32(g, avpPDNType, true),
		APN: r.str(g, avpServiceSelection, true), AMBR: r.ambr(g)}
	if qg, ok := r.group(g, avpEPSSubscribedQoS, false); ok {
		c.QoS = r.bearerQoS(qg)
	}
	return c
}

// bearerQoS reads {QoS-Class-Identifier} {Allocation-Retention-Priority}.
func (r *reader) bearerQoS(g avps) *BearerQoS {
	q := &BearerQoS{QCI: r.u32(g, avpQCI, true)}
	if ag, ok := r.group(g, avpARP, true); ok {
		q.ARP = r.arp(ag)
	}
	return q
}

func (r *reader) arp(g avps) ARP {
	a := ARP{PriorityLevel: r.u32(g, avpPriorityLevel, true),
		PreemptionCapability: PreemptionCapabilityDisabled, PreemptionVulnerability: PreemptionVulnerabilityEnabled}
	if r.has(g, avpPreemptionCapability) {
		a.PreemptionCapability = r.u32(g, avpPreemptionCapability, true)
	}
	if r.has(g, avpPreemptionVuln) {
		a.PreemptionVulnerability = r.u32(g, avpPreemptionVuln, true)
	}
	return a
}

// ambr reads an optional AMBR group, extended rates included.
func (r *reader) ambr(l avps) *AMBR {
	g, ok := r.group(l, avpAMBR, false)
	if !ok {
		return nil
	}
	rate := func(legacy, ext def) uint64 {
		v := uint64(r.u32(g, legacy, true))
		if e := r.u32(g, ext, false); e > 0 && v == math.MaxUint32 {
			return uint64(e) * 1000
		}
		return v
	}
	return &AMBR{Uplink: rate(avpMaxReqBandwidthUL, avpExtMaxReqBWUL), Downlink: rate(avpMaxReqBandwidthDL, avpExtMaxReqBWDL)}
}
