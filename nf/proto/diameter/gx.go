package diameter

import (
	"fmt"
	"net/netip"

	"github.com/fiorix/go-diameter/v4/diam"
)

// CCR is a Gx Credit-Control-Request, PCEF to PCRF (TS 29.212 5.6.2).
type CCR struct {
	RequestHeader
	RequestType      uint32 // CCRequestInitial, CCRequestUpdate, CCRequestTermination
	RequestNumber    uint32
	Subscriptions    []SubscriptionID
	FramedIP         netip.Addr // the UE address; zero leaves it out
	APN              string     // Called-Station-Id
	RATType          uint32     // 0 leaves it out
	QoS              *QoSInformation
	DefaultBearerQoS *BearerQoS
}

// Build encodes the CCR.
func (r *CCR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("CCR", false); err != nil {
		return nil, err
	}
	if r.RequestType < CCRequestInitial || r.RequestType > CCRequestEvent {
		return nil, fmt.Errorf("diameter: build CCR: CC-Request-Type %d", r.RequestType)
	}
	m := newMessage(AppGx, CmdCreditControl, true)
	r.RequestHeader.put(m, authAppID(AppGx))
	put(m, enum(avpCCRequestType, r.RequestType), u32(avpCCRequestNumber, r.RequestNumber))
	put(m, subscriptionIDs(r.Subscriptions)...)
	put(m, framedIP(r.FramedIP), optUTF8(avpCalledStationID, r.APN), optEnum(avpRATType, r.RATType),
		r.QoS.avp(), r.DefaultBearerQoS.defaultBearerAVP())
	return m, nil
}

// ParseCCR decodes a CCR.
func ParseCCR(m *diam.Message) (*CCR, error) {
	if err := checkCommand(m, "CCR", AppGx, CmdCreditControl, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "CCR"}
	l := topLevel(m)
	c := &CCR{RequestHeader: r.requestHeader(l, false),
		RequestType: r.u32(l, avpCCRequestType, true), RequestNumber: r.u32(l, avpCCRequestNumber, true),
		Subscriptions: r.subscriptionIDs(l), FramedIP: r.framedIP(l), APN: r.str(l, avpCalledStationID, false),
		RATType: r.u32(l, avpRATType, false), QoS: r.qosInformation(l), DefaultBearerQoS: r.defaultBearerQoS(l)}
	r.checkAuthApp(l, AppGx)
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// CCA is a Gx Credit-Control-Answer (TS 29.212 5.6.3).
type CCA struct {
	AnswerHeader
	RequestType   uint32
	RequestNumber uint32
	PolicyUpdate
}

// Build encodes the CCA.
func (a *CCA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("CCA"); err != nil {
		return nil, err
	}
	m := newMessage(AppGx, CmdCreditControl, false)
	a.AnswerHeader.put(m, authAppID(AppGx))
	put(m, enum(avpCCRequestType, a.RequestType), u32(avpCCRequestNumber, a.RequestNumber))
	if err := a.PolicyUpdate.put(m); err != nil {
		return nil, fmt.Errorf("diameter: build CCA: %w", err)
	}
	return m, nil
}

// ParseCCA decodes a CCA.
func ParseCCA(m *diam.Message) (*CCA, error) {
	if err := checkCommand(m, "CCA", AppGx, CmdCreditControl, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "CCA"}
	l := topLevel(m)
	a := &CCA{AnswerHeader: r.answerHeader(l), RequestType: r.u32(l, avpCCRequestType, true),
		RequestNumber: r.u32(l, avpCCRequestNumber, true), PolicyUpdate: r.policyUpdate(l)}
	r.checkAuthApp(l, AppGx)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// RAR is a Gx Re-Auth-Request, PCRF to PCEF (TS 29.212 5.6.4);
// Destination-Host is mandatory.
type RAR struct {
	RequestHeader
	ReAuthRequestType uint32 // ReAuthAuthorizeOnly
	PolicyUpdate
}

// Build encodes the RAR.
func (r *RAR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("RAR", true); err != nil {
		return nil, err
	}
	m := newMessage(AppGx, CmdReAuth, true)
	r.RequestHeader.put(m, authAppID(AppGx))
	put(m, enum(avpReAuthRequestType, r.ReAuthRequestType))
	if err := r.PolicyUpdate.put(m); err != nil {
		return nil, fmt.Errorf("diameter: build RAR: %w", err)
	}
	return m, nil
}

// ParseRAR decodes a Gx RAR.
func ParseRAR(m *diam.Message) (*RAR, error) {
	if err := checkCommand(m, "RAR", AppGx, CmdReAuth, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "RAR"}
	l := topLevel(m)
	x := &RAR{RequestHeader: r.requestHeader(l, true), ReAuthRequestType: r.u32(l, avpReAuthRequestType, true),
		PolicyUpdate: r.policyUpdate(l)}
	r.checkAuthApp(l, AppGx)
	if r.err != nil {
		return nil, r.err
	}
	return x, nil
}

// RAA is a Gx Re-Auth-Answer (TS 29.212 5.6.5).
type RAA struct {
	AnswerHeader
}

// Build encodes the RAA.
func (a *RAA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("RAA"); err != nil {
		return nil, err
	}
	m := newMessage(AppGx, CmdReAuth, false)
	a.AnswerHeader.put(m)
	return m, nil
}

// ParseRAA decodes a Gx RAA.
func ParseRAA(m *diam.Message) (*RAA, error) {
	if err := checkCommand(m, "RAA", AppGx, CmdReAuth, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "RAA"}
	a := &RAA{AnswerHeader: r.answerHeader(topLevel(m))}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}
