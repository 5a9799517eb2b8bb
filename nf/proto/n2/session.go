package n2

import (
	"fmt"

	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// PDUSessionResourceSetupRequest (TS 38.413 9.2.1.1). Each session's
// NASPDU normally holds the PDU Session Establishment Accept; NASPDU at
// message level is optional. UEAMBR zero leaves it out.
type PDUSessionResourceSetupRequest struct {
	UEIDs
	NASPDU   []byte
	Sessions []SessionSetupItem
	UEAMBR   AMBR
}

func (*PDUSessionResourceSetupRequest) ProcedureCode() int64     { return ProcPDUSessionResourceSetup }
func (*PDUSessionResourceSetupRequest) MessageType() MessageType { return InitiatingMessage }

func (r *PDUSessionResourceSetupRequest) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if len(r.Sessions) == 0 {
		return nil, fmt.Errorf("n2: PDU Session Resource Setup Request without sessions")
	}
	m := &message.PDUSessionResourceSetupRequest{
		AMFUENGAPID:                      amf,
		RANUENGAPID:                      ran,
		NASPDU:                           nasPDU(r.NASPDU),
		PDUSessionResourceSetupListSUReq: &ie.PDUSessionResourceSetupListSUReq{},
	}
	for _, s := range r.Sessions {
		sn, tr, err := setupParts(s)
		if err != nil {
			return nil, err
		}
		m.PDUSessionResourceSetupListSUReq.List = append(m.PDUSessionResourceSetupListSUReq.List,
			ie.PDUSessionResourceSetupItemSUReq{PDUSessionID: psiToIE(s.PDUSessionID), PDUSessionNASPDU: nasPDU(s.NASPDU),
				SNSSAI: sn, PDUSessionResourceSetupRequestTransfer: tr})
	}
	if m.UEAggregateMaximumBitRate, err = ueAMBRToIE(r.UEAMBR); err != nil {
		return nil, err
	}
	return encode(m)
}

// ParsePDUSessionResourceSetupRequest decodes a PDU Session Resource Setup
// Request.
func ParsePDUSessionResourceSetupRequest(pdu []byte) (*PDUSessionResourceSetupRequest, error) {
	return parseAs[*PDUSessionResourceSetupRequest](pdu)
}

func setupRequestFrom(m *message.PDUSessionResourceSetupRequest) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	if m.PDUSessionResourceSetupListSUReq == nil {
		return nil, fmt.Errorf("missing PDU session resource setup list")
	}
	r := &PDUSessionResourceSetupRequest{UEIDs: ids, NASPDU: nasBytes(m.NASPDU)}
	for _, it := range m.PDUSessionResourceSetupListSUReq.List {
		s, err := setupItem(it.PDUSessionID, it.PDUSessionNASPDU, it.SNSSAI, it.PDUSessionResourceSetupRequestTransfer)
		if err != nil {
			return nil, err
		}
		r.Sessions = append(r.Sessions, s)
	}
	if r.UEAMBR, err = ueAMBRFromIE(m.UEAggregateMaximumBitRate); err != nil {
		return nil, err
	}
	return r, nil
}

// PDUSessionResourceSetupResponse (TS 38.413 9.2.1.2). Sessions carry
// SetupResponseTransfers, Failed carry SetupUnsuccessfulTransfers.
type PDUSessionResourceSetupResponse struct {
	UEIDs
	Sessions []SessionTransfer
	Failed   []SessionTransfer
}

func (*PDUSessionResourceSetupResponse) ProcedureCode() int64     { return ProcPDUSessionResourceSetup }
func (*PDUSessionResourceSetupResponse) MessageType() MessageType { return SuccessfulOutcome }

func (r *PDUSessionResourceSetupResponse) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if err := firstErr(checkTransfers(r.Sessions), checkTransfers(r.Failed)); err != nil {
		return nil, err
	}
	m := &message.PDUSessionResourceSetupResponse{AMFUENGAPID: amf, RANUENGAPID: ran}
	if len(r.Sessions) > 0 {
		m.PDUSessionResourceSetupListSURes = &ie.PDUSessionResourceSetupListSURes{}
		for _, s := range r.Sessions {
			m.PDUSessionResourceSetupListSURes.List = append(m.PDUSessionResourceSetupListSURes.List,
				ie.PDUSessionResourceSetupItemSURes{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceSetupResponseTransfer: octets(s.Transfer)})
		}
	}
	if len(r.Failed) > 0 {
		m.PDUSessionResourceFailedToSetupListSURes = &ie.PDUSessionResourceFailedToSetupListSURes{}
		for _, s := range r.Failed {
			m.PDUSessionResourceFailedToSetupListSURes.List = append(m.PDUSessionResourceFailedToSetupListSURes.List,
				ie.PDUSessionResourceFailedToSetupItemSURes{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceSetupUnsuccessfulTransfer: octets(s.Transfer)})
		}
	}
	return encode(m)
}

// ParsePDUSessionResourceSetupResponse decodes a PDU Session Resource Setup
// Response.
func ParsePDUSessionResourceSetupResponse(pdu []byte) (*PDUSessionResourceSetupResponse, error) {
	return parseAs[*PDUSessionResourceSetupResponse](pdu)
}

func setupResponseFrom(m *message.PDUSessionResourceSetupResponse) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	r := &PDUSessionResourceSetupResponse{UEIDs: ids}
	if l := m.PDUSessionResourceSetupListSURes; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceSetupResponseTransfer)
			if err != nil {
				return nil, err
			}
			r.Sessions = append(r.Sessions, s)
		}
	}
	if l := m.PDUSessionResourceFailedToSetupListSURes; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceSetupUnsuccessfulTransfer)
			if err != nil {
				return nil, err
			}
			r.Failed = append(r.Failed, s)
		}
	}
	return r, nil
}

// PDUSessionResourceReleaseCommand (TS 38.413 9.2.1.5): sessions with
// their ReleaseCommandTransfers; NASPDU (the PDU Session Release Command)
// is optional.
type PDUSessionResourceReleaseCommand struct {
	UEIDs
	NASPDU   []byte
	Sessions []SessionTransfer
}

func (*PDUSessionResourceReleaseCommand) ProcedureCode() int64 {
	return ProcPDUSessionResourceRelease
}
func (*PDUSessionResourceReleaseCommand) MessageType() MessageType { return InitiatingMessage }

func (r *PDUSessionResourceReleaseCommand) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if len(r.Sessions) == 0 {
		return nil, fmt.Errorf("n2: PDU Session Resource Release Command without sessions")
	}
	if err := checkTransfers(r.Sessions); err != nil {
		return nil, err
	}
	m := &message.PDUSessionResourceReleaseCommand{
		AMFUENGAPID: amf, RANUENGAPID: ran, NASPDU: nasPDU(r.NASPDU),
		PDUSessionResourceToReleaseListRelCmd: &ie.PDUSessionResourceToReleaseListRelCmd{},
	}
	for _, s := range r.Sessions {
		m.PDUSessionResourceToReleaseListRelCmd.List = append(m.PDUSessionResourceToReleaseListRelCmd.List,
			ie.PDUSessionResourceToReleaseItemRelCmd{PDUSessionID: psiToIE(s.PDUSessionID),
				PDUSessionResourceReleaseCommandTransfer: octets(s.Transfer)})
	}
	return encode(m)
}

// ParsePDUSessionResourceReleaseCommand decodes a PDU Session Resource
// Release Command.
func ParsePDUSessionResourceReleaseCommand(pdu []byte) (*PDUSessionResourceReleaseCommand, error) {
	return parseAs[*PDUSessionResourceReleaseCommand](pdu)
}

func releaseCommandListFrom(m *message.PDUSessionResourceReleaseCommand) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	if m.PDUSessionResourceToReleaseListRelCmd == nil {
		return nil, fmt.Errorf("missing PDU session resource to release list")
	}
	r := &PDUSessionResourceReleaseCommand{UEIDs: ids, NASPDU: nasBytes(m.NASPDU)}
	for _, it := range m.PDUSessionResourceToReleaseListRelCmd.List {
		s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceReleaseCommandTransfer)
		if err != nil {
			return nil, err
		}
		r.Sessions = append(r.Sessions, s)
	}
	return r, nil
}

// PDUSessionResourceReleaseResponse (TS 38.413 9.2.1.6): released sessions
// with their ReleaseResponseTransfers.
type PDUSessionResourceReleaseResponse struct {
	UEIDs
	Sessions []SessionTransfer
}

func (*PDUSessionResourceReleaseResponse) ProcedureCode() int64 {
	return ProcPDUSessionResourceRelease
}
func (*PDUSessionResourceReleaseResponse) MessageType() MessageType { return SuccessfulOutcome }

func (r *PDUSessionResourceReleaseResponse) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if len(r.Sessions) == 0 {
		return nil, fmt.Errorf("n2: PDU Session Resource Release Response without sessions")
	}
	if err := checkTransfers(r.Sessions); err != nil {
		return nil, err
	}
	m := &message.PDUSessionResourceReleaseResponse{
		AMFUENGAPID: amf, RANUENGAPID: ran,
		PDUSessionResourceReleasedListRelRes: &ie.PDUSessionResourceReleasedListRelRes{},
	}
	for _, s := range r.Sessions {
		m.PDUSessionResourceReleasedListRelRes.List = append(m.PDUSessionResourceReleasedListRelRes.List,
			ie.PDUSessionResourceReleasedItemRelRes{PDUSessionID: psiToIE(s.PDUSessionID),
				PDUSessionResourceReleaseResponseTransfer: octets(s.Transfer)})
	}
	return encode(m)
}

// ParsePDUSessionResourceReleaseResponse decodes a PDU Session Resource
// Release Response.
func ParsePDUSessionResourceReleaseResponse(pdu []byte) (*PDUSessionResourceReleaseResponse, error) {
	return parseAs[*PDUSessionResourceReleaseResponse](pdu)
}

func releaseResponseFrom(m *message.PDUSessionResourceReleaseResponse) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	if m.PDUSessionResourceReleasedListRelRes == nil {
		return nil, fmt.Errorf("missing PDU session resource released list")
	}
	r := &PDUSessionResourceReleaseResponse{UEIDs: ids}
	for _, it := range m.PDUSessionResourceReleasedListRelRes.List {
		s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceReleaseResponseTransfer)
		if err != nil {
			return nil, err
		}
		r.Sessions = append(r.Sessions, s)
	}
	return r, nil
}

func init() {
	register(&message.PDUSessionResourceSetupRequest{}, setupRequestFrom)
	register(&message.PDUSessionResourceSetupResponse{}, setupResponseFrom)
	register(&message.PDUSessionResourceReleaseCommand{}, releaseCommandListFrom)
	register(&message.PDUSessionResourceReleaseResponse{}, releaseResponseFrom)
}
