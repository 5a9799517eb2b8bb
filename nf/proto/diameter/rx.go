package diameter

import (
	"fmt"
	"net/netip"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
)

// Rx AVPs (TS 29.214 5.3).
var (
	avpAFApplicationID   = tgpp(avp.AFApplicationIdentifier, "AF-Application-Identifier")
	avpMediaComponent    = tgpp(avp.MediaComponentDescription, "Media-Component-Description")
	avpMediaComponentNum = tgpp(avp.MediaComponentNumber, "Media-Component-Number")
	avpMediaSubComponent = tgpp(avp.MediaSubComponent, "Media-Sub-Component")
	avpFlowNumber        = tgpp(avp.FlowNumber, "Flow-Number")
	avpFlowUsage         = tgpp(avp.FlowUsage, "Flow-Usage")
	avpMediaType         = tgpp(avp.MediaType, "Media-Type")
	avpCodecData         = tgpp(avp.CodecData, "Codec-Data")
	avpSpecificAction    = tgpp(avp.SpecificAction, "Specific-Action")
)

// AAR is an Rx AA-Request, P-CSCF to PCRF (TS 29.214 5.6.1).
type AAR struct {
	RequestHeader
	AFApplicationID string // "" leaves it out
	Media           []MediaComponent
	SpecificActions []uint32 // SpecificActionLossOfBearer ...
	Subscriptions   []SubscriptionID
	FramedIP        netip.Addr // the UE address; zero leaves it out
}

// MediaComponent is a Media-Component-Description (TS 29.214 5.3.7).
type MediaComponent struct {
	Number            uint32
	MediaType         uint32 // MediaTypeAudio ... (always sent)
	MaxReqBandwidthUL uint32 // bps; 0 leaves it out
	MaxReqBandwidthDL uint32
	Codecs            []string // Codec-Data, optional
	Subs              []MediaSubComponent
}

// MediaSubComponent is a Media-Sub-Component (TS 29.214 5.3.8): one IP
// flow of the media, its filters in both directions.
type MediaSubComponent struct {
	FlowNumber   uint32
	Descriptions []string // at most two IPFilterRules (uplink, downlink)
	Usage        uint32   // FlowUsage...; 0 leaves it out
}

func (c MediaComponent) avp() (*diam.AVP, error) {
	members := []*diam.AVP{u32(avpMediaComponentNum, c.Number)}
	for _, s := range c.Subs {
		if len(s.Descriptions) > 2 {
			return nil, fmt.Errorf("Media-Sub-Component %d: %d Flow-Descriptions, at most 2", s.FlowNumber, len(s.Descriptions))
		}
		sub := []*diam.AVP{u32(avpFlowNumber, s.FlowNumber)}
		for _, d := range s.Descriptions {
			sub = append(sub, ipFilter(avpFlowDescription, d))
		}
		members = append(members, group(avpMediaSubComponent, append(sub, optEnum(avpFlowUsage, s.Usage))...))
	}
	members = append(members, enum(avpMediaType, c.MediaType), optU32(avpMaxReqBandwidthUL, c.MaxReqBandwidthUL),
		optU32(avpMaxReqBandwidthDL, c.MaxReqBandwidthDL))
	for _, cd := range c.Codecs {
		members = append(members, octets(avpCodecData, []byte(cd)))
	}
	return group(avpMediaComponent, members...), nil
}

func (r *reader) mediaComponent(g avps) MediaComponent {
	c := MediaComponent{Number: r.u32(g, avpMediaComponentNum, true), MediaType: r.u32(g, avpMediaType, false),
		MaxReqBandwidthUL: r.u32(g, avpMaxReqBandwidthUL, false), MaxReqBandwidthDL: r.u32(g, avpMaxReqBandwidthDL, false),
		Codecs: r.strs(g, avpCodecData)}
	for _, sg := range r.groups(g, avpMediaSubComponent) {
		s := MediaSubComponent{FlowNumber: r.u32(sg, avpFlowNumber, true), Descriptions: r.strs(sg, avpFlowDescription),
			Usage: r.u32(sg, avpFlowUsage, false)}
		if len(s.Descriptions) > 2 {
			r.invalid(sg, avpFlowDescription, "%d instances, at most 2", len(s.Descriptions))
		}
		c.Subs = append(c.Subs, s)
	}
	return c
}

// Build encodes the AAR.
func (r *AAR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("AAR", false); err != nil {
		return nil, err
	}
	m := newMessage(AppRx, CmdAA, true)
	r.RequestHeader.put(m, authAppID(AppRx))
	if r.AFApplicationID != "" {
		put(m, octets(avpAFApplicationID, []byte(r.AFApplicationID)))
	}
	for _, c := range r.Media {
		a, err := c.avp()
		if err != nil {
			return nil, fmt.Errorf("diameter: build AAR: %w", err)
		}
		put(m, a)
	}
	for _, sa := range r.SpecificActions {
		put(m, enum(avpSpecificAction, sa))
	}
	put(m, subscriptionIDs(r.Subscriptions)...)
	put(m, framedIP(r.FramedIP))
	return m, nil
}

// ParseAAR decodes an AAR.
func ParseAAR(m *diam.Message) (*AAR, error) {
	if err := checkCommand(m, "AAR", AppRx, CmdAA, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "AAR"}
	l := topLevel(m)
	a := &AAR{RequestHeader: r.requestHeader(l, false), AFApplicationID: r.str(l, avpAFApplicationID, false),
		SpecificActions: r.u32s(l, avpSpecificAction), Subscriptions: r.subscriptionIDs(l), FramedIP: r.framedIP(l)}
	for _, g := range r.groups(l, avpMediaComponent) {
		a.Media = append(a.Media, r.mediaComponent(g))
	}
	r.checkAuthApp(l, AppRx)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// AAA is an Rx AA-Answer (TS 29.214 5.6.2).
type AAA struct {
	AnswerHeader
}

// Build encodes the AAA.
func (a *AAA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("AAA"); err != nil {
		return nil, err
	}
	m := newMessage(AppRx, CmdAA, false)
	a.AnswerHeader.put(m, authAppID(AppRx))
	return m, nil
}

// ParseAAA decodes an AAA.
func ParseAAA(m *diam.Message) (*AAA, error) {
	if err := checkCommand(m, "AAA", AppRx, CmdAA, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "AAA"}
	l := topLevel(m)
	a := &AAA{AnswerHeader: r.answerHeader(l)}
	r.checkAuthApp(l, AppRx)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// STR is an Rx Session-Termination-Request (TS 29.214 5.6.5).
type STR struct {
	RequestHeader
	TerminationCause uint32 // TerminationLogout ...
}

// Build encodes the STR.
func (r *STR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("STR", false); err != nil {
		return nil, err
	}
	m := newMessage(AppRx, CmdSessionTermination, true)
	r.RequestHeader.put(m, authAppID(AppRx))
	put(m, enum(avpTerminationCause, r.TerminationCause))
	return m, nil
}

// ParseSTR decodes an STR.
func ParseSTR(m *diam.Message) (*STR, error) {
	if err := checkCommand(m, "STR", AppRx, CmdSessionTermination, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "STR"}
	l := topLevel(m)
	s := &STR{RequestHeader: r.requestHeader(l, false), TerminationCause: r.u32(l, avpTerminationCause, true)}
	r.checkAuthApp(l, AppRx)
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// STA is an Rx Session-Termination-Answer (TS 29.214 5.6.6).
type STA struct {
	AnswerHeader
}

// Build encodes the STA.
func (a *STA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("STA"); err != nil {
		return nil, err
	}
	m := newMessage(AppRx, CmdSessionTermination, false)
	a.AnswerHeader.put(m)
	return m, nil
}

// ParseSTA decodes an STA.
func ParseSTA(m *diam.Message) (*STA, error) {
	if err := checkCommand(m, "STA", AppRx, CmdSessionTermination, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "STA"}
	a := &STA{AnswerHeader: r.answerHeader(topLevel(m))}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}
