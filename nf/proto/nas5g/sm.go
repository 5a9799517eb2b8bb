package nas5g

import (
	"fmt"
	"net/netip"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// PDU session types (TS 24.501 9.11.4.11) and SSC modes (9.11.4.16).
const (
	SessionIPv4         uint8 = 1
	SessionIPv6         uint8 = 2
	SessionIPv4v6       uint8 = 3
	SessionUnstructured uint8 = 4
	SessionEthernet     uint8 = 5

	SSCMode1 uint8 = 1
	SSCMode2 uint8 = 2
	SSCMode3 uint8 = 3
)

// FullDataRate is the integrity protection maximum data rate "full data
// rate" (TS 24.501 9.11.4.7).
const FullDataRate uint8 = 0xFF

// SessionHeader is what every 5GSM message starts with.
type SessionHeader struct {
	PDUSessionID uint8
	PTI          uint8 // procedure transaction identity
}

func (h SessionHeader) check() error {
	if h.PDUSessionID == 0 || h.PDUSessionID > 15 {
		return fmt.Errorf("nas5g: PDU session ID %d is not 1..15", h.PDUSessionID)
	}
	return nil
}

// PDUSessionEstablishmentRequest (TS 24.501 8.3.1). Zero PDUSessionType
// and SSCMode leave those IEs out.
type PDUSessionEstablishmentRequest struct {
	SessionHeader
	MaxIntegrityRateUL, MaxIntegrityRateDL uint8
	PDUSessionType                         uint8
	SSCMode                                uint8
}

func (*PDUSessionEstablishmentRequest) MessageType() MessageType {
	return MsgPDUSessionEstablishmentRequest
}

func (r *PDUSessionEstablishmentRequest) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.PDUSessionType > 7 || r.SSCMode > 7 {
		return nil, fmt.Errorf("nas5g: PDU session type %d or SSC mode %d over 3 bits", r.PDUSessionType, r.SSCMode)
	}
	m := &message.PDUSessEstReq{
		PDUSessId: r.PDUSessionID,
		PTI:       r.PTI,
		IntegrityProtectionMaxDataRate: &ie.IntegrityProtectionMaxDataRate{
			Uplink: r.MaxIntegrityRateUL, Downlink: r.MaxIntegrityRateDL,
		},
	}
	if r.PDUSessionType != 0 {
		m.PDUSessType = &ie.PDUSessType{Value: r.PDUSessionType}
	}
	if r.SSCMode != 0 {
		m.SSCMode = &ie.SSCMode{Mode: r.SSCMode}
	}
	return encode(m)
}

// ParsePDUSessionEstablishmentRequest decodes a plain PDU Session
// Establishment Request.
func ParsePDUSessionEstablishmentRequest(plain []byte) (*PDUSessionEstablishmentRequest, error) {
	return parseAs[*PDUSessionEstablishmentRequest](plain, MsgPDUSessionEstablishmentRequest)
}

func establishmentRequestFrom(m *message.PDUSessEstReq) (Message, error) {
	if m.IntegrityProtectionMaxDataRate == nil {
		return nil, fmt.Errorf("missing integrity protection maximum data rate")
	}
	r := &PDUSessionEstablishmentRequest{
		SessionHeader:      SessionHeader{PDUSessionID: m.PDUSessId, PTI: m.PTI},
		MaxIntegrityRateUL: m.IntegrityProtectionMaxDataRate.Uplink,
		MaxIntegrityRateDL: m.IntegrityProtectionMaxDataRate.Downlink,
	}
	if m.PDUSessType != nil {
		r.PDUSessionType = m.PDUSessType.Value
	}
	if m.SSCMode != nil {
		r.SSCMode = m.SSCMode.Mode
	}
	return r, nil
}

// QoSRule is a QoS rule with one match-all packet filter for both
// directions: the default rule of a session. Rules with other filters are
// not representable and make the parser fail with ErrUnsupported.
type QoSRule struct {
	ID         uint8
	Precedence uint8
	QFI        uint8
	Default    bool
}

func qosRulesToIE(rules []QoSRule) (*ie.QosRules, error) {
	if len(rules) == 0 {
		return nil, fmt.Errorf("nas5g: at least one QoS rule is required")
	}
	out := &ie.QosRules{}
	for _, r := range rules {
		if r.ID == 0 || r.QFI == 0 || r.QFI > 63 {
			return nil, fmt.Errorf("nas5g: QoS rule %d with QFI %d", r.ID, r.QFI)
		}
		out.Rules = append(out.Rules, ie.QosRule{
			RuleId:       r.ID,
			OpCode:       ie.OpCode_CreateNewQosRule,
			IsDefaultDQR: r.Default,
			PktFilterList: []ie.PacketFilter{{
				// free5gc writes match-all when no component is set, and
				// "any" is its spelling of "no remote address".
				Dir: ie.PFD_BiDir, Id: 1,
				Contents: ie.PacketFilterContents{MatchAll: true, RemoteAddr: "any", LocalAddr: "any"},
			}},
			Precedence: r.Precedence,
			QFI:        r.QFI,
		})
	}
	return out, nil
}

func qosRulesFromIE(q *ie.QosRules) ([]QoSRule, error) {
	if q == nil || len(q.Rules) == 0 {
		return nil, fmt.Errorf("no QoS rules")
	}
	var out []QoSRule
	for _, r := range q.Rules {
		f := r.PktFilterList
		if r.OpCode != ie.OpCode_CreateNewQosRule || len(f) != 1 || !f[0].Contents.MatchAll {
			return nil, fmt.Errorf("%w: QoS rule %d is not a single match-all rule", ErrUnsupported, r.RuleId)
		}
		out = append(out, QoSRule{ID: r.RuleId, Precedence: r.Precedence, QFI: r.QFI, Default: r.IsDefaultDQR})
	}
	return out, nil
}

// PDUSessionEstablishmentAccept (TS 24.501 8.3.2). Address is the UE's
// IPv4 address (PDU address IE), SNSSAI and DNN echo the request.
type PDUSessionEstablishmentAccept struct {
	SessionHeader
	PDUSessionType uint8
	SSCMode        uint8
	QoSRules       []QoSRule
	SessionAMBR    AMBR
	Address        netip.Addr
	SNSSAI         *SNSSAI
	DNN            string
}

func (*PDUSessionEstablishmentAccept) MessageType() MessageType {
	return MsgPDUSessionEstablishmentAccept
}

func (r *PDUSessionEstablishmentAccept) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.PDUSessionType == 0 || r.PDUSessionType > 7 || r.SSCMode == 0 || r.SSCMode > 7 {
		return nil, fmt.Errorf("nas5g: PDU session type %d, SSC mode %d", r.PDUSessionType, r.SSCMode)
	}
	rules, err := qosRulesToIE(r.QoSRules)
	if err != nil {
		return nil, err
	}
	ambr, err := ambrToIE(r.SessionAMBR)
	if err != nil {
		return nil, err
	}
	m := &message.PDUSessEstAccept{
		PDUSessId:           r.PDUSessionID,
		PTI:                 r.PTI,
		SelectedPDUSessType: &ie.PDUSessType{Value: r.PDUSessionType},
		SelectedSSCMode:     &ie.SSCMode{Mode: r.SSCMode},
		AuthoQosRules:       rules,
		SessAMBR:            ambr,
	}
	if r.Address.IsValid() {
		if !r.Address.Is4() {
			return nil, fmt.Errorf("nas5g: PDU address %v is not IPv4", r.Address)
		}
		a := r.Address.As4()
		m.PDUAddr = &ie.PDUAddr{IPv4: a[:]}
	}
	if r.SNSSAI != nil {
		s, err := snssaiToIE(*r.SNSSAI)
		if err != nil {
			return nil, err
		}
		m.SNSSAI = &s
	}
	if r.DNN != "" {
		if err := checkDNN(r.DNN); err != nil {
			return nil, err
		}
		m.DNN = &ie.DNN{Value: r.DNN}
	}
	return encode(m)
}

// ParsePDUSessionEstablishmentAccept decodes a plain PDU Session
// Establishment Accept.
func ParsePDUSessionEstablishmentAccept(plain []byte) (*PDUSessionEstablishmentAccept, error) {
	return parseAs[*PDUSessionEstablishmentAccept](plain, MsgPDUSessionEstablishmentAccept)
}

func establishmentAcceptFrom(m *message.PDUSessEstAccept) (Message, error) {
	if m.SelectedPDUSessType == nil || m.SelectedSSCMode == nil {
		return nil, fmt.Errorf("PDU session type or SSC mode missing")
	}
	rules, err := qosRulesFromIE(m.AuthoQosRules)
	if err != nil {
		return nil, err
	}
	ambr, err := ambrFromIE(m.SessAMBR)
	if err != nil {
		return nil, err
	}
	r := &PDUSessionEstablishmentAccept{
		SessionHeader:  SessionHeader{PDUSessionID: m.PDUSessId, PTI: m.PTI},
		PDUSessionType: m.SelectedPDUSessType.Value,
		SSCMode:        m.SelectedSSCMode.Mode,
		QoSRules:       rules,
		SessionAMBR:    ambr,
	}
	if m.PDUAddr != nil && m.PDUAddr.IPv4 != nil {
		a, ok := netip.AddrFromSlice(m.PDUAddr.IPv4)
		if !ok {
			return nil, fmt.Errorf("PDU address of %d octets", len(m.PDUAddr.IPv4))
		}
		r.Address = a
	}
	if m.SNSSAI != nil {
		s, err := snssaiFromIE(m.SNSSAI)
		if err != nil {
			return nil, err
		}
		r.SNSSAI = &s
	}
	if m.DNN != nil {
		r.DNN = m.DNN.Value
	}
	return r, nil
}

// PDUSessionEstablishmentReject (TS 24.501 8.3.3), e.g. cause
// SMCauseMissingOrUnknownDNN.
type PDUSessionEstablishmentReject struct {
	SessionHeader
	Cause uint8
}

func (*PDUSessionEstablishmentReject) MessageType() MessageType {
	return MsgPDUSessionEstablishmentReject
}

func (r *PDUSessionEstablishmentReject) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return encode(&message.PDUSessEstRej{PDUSessId: r.PDUSessionID, PTI: r.PTI, Cause5GSM: cause5GSM(r.Cause)})
}

// ParsePDUSessionEstablishmentReject decodes a plain PDU Session
// Establishment Reject.
func ParsePDUSessionEstablishmentReject(plain []byte) (*PDUSessionEstablishmentReject, error) {
	return parseAs[*PDUSessionEstablishmentReject](plain, MsgPDUSessionEstablishmentReject)
}

// PDUSessionReleaseRequest (TS 24.501 8.3.12); Cause zero leaves it out.
type PDUSessionReleaseRequest struct {
	SessionHeader
	Cause uint8
}

func (*PDUSessionReleaseRequest) MessageType() MessageType { return MsgPDUSessionReleaseRequest }

func (r *PDUSessionReleaseRequest) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return encode(&message.PDUSessRelReq{PDUSessId: r.PDUSessionID, PTI: r.PTI, Cause5GSM: optCause5GSM(r.Cause)})
}

// ParsePDUSessionReleaseRequest decodes a plain PDU Session Release Request.
func ParsePDUSessionReleaseRequest(plain []byte) (*PDUSessionReleaseRequest, error) {
	return parseAs[*PDUSessionReleaseRequest](plain, MsgPDUSessionReleaseRequest)
}

// PDUSessionReleaseCommand (TS 24.501 8.3.14).
type PDUSessionReleaseCommand struct {
	SessionHeader
	Cause uint8
}

func (*PDUSessionReleaseCommand) MessageType() MessageType { return MsgPDUSessionReleaseCommand }

func (r *PDUSessionReleaseCommand) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return encode(&message.PDUSessRelCmd{PDUSessId: r.PDUSessionID, PTI: r.PTI, Cause5GSM: cause5GSM(r.Cause)})
}

// ParsePDUSessionReleaseCommand decodes a plain PDU Session Release Command.
func ParsePDUSessionReleaseCommand(plain []byte) (*PDUSessionReleaseCommand, error) {
	return parseAs[*PDUSessionReleaseCommand](plain, MsgPDUSessionReleaseCommand)
}

// PDUSessionReleaseComplete (TS 24.501 8.3.15).
type PDUSessionReleaseComplete struct {
	SessionHeader
}

func (*PDUSessionReleaseComplete) MessageType() MessageType { return MsgPDUSessionReleaseComplete }

func (r *PDUSessionReleaseComplete) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return encode(&message.PDUSessRelComplete{PDUSessId: r.PDUSessionID, PTI: r.PTI})
}

// ParsePDUSessionReleaseComplete decodes a plain PDU Session Release
// Complete.
func ParsePDUSessionReleaseComplete(plain []byte) (*PDUSessionReleaseComplete, error) {
	return parseAs[*PDUSessionReleaseComplete](plain, MsgPDUSessionReleaseComplete)
}

func header(m message.GSMMessage) SessionHeader {
	return SessionHeader{PDUSessionID: m.PDUSessionID(), PTI: m.ProcedureTransactionID()}
}

func init() {
	register(MsgPDUSessionEstablishmentRequest, establishmentRequestFrom)
	register(MsgPDUSessionEstablishmentAccept, establishmentAcceptFrom)
	register(MsgPDUSessionEstablishmentReject, func(m *message.PDUSessEstRej) (Message, error) {
		if m.Cause5GSM == nil {
			return nil, fmt.Errorf("missing 5GSM cause")
		}
		return &PDUSessionEstablishmentReject{SessionHeader: header(m), Cause: m.Cause5GSM.Value}, nil
	})
	register(MsgPDUSessionReleaseRequest, func(m *message.PDUSessRelReq) (Message, error) {
		return &PDUSessionReleaseRequest{SessionHeader: header(m), Cause: smCauseOf(m.Cause5GSM)}, nil
	})
	register(MsgPDUSessionReleaseCommand, func(m *message.PDUSessRelCmd) (Message, error) {
		if m.Cause5GSM == nil {
			return nil, fmt.Errorf("missing 5GSM cause")
		}
		return &PDUSessionReleaseCommand{SessionHeader: header(m), Cause: m.Cause5GSM.Value}, nil
	})
	register(MsgPDUSessionReleaseComplete, func(m *message.PDUSessRelComplete) (Message, error) {
		return &PDUSessionReleaseComplete{SessionHeader: header(m)}, nil
	})
}
