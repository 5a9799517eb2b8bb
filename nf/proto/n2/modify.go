package n2

import (
	"fmt"

	"github.com/free5gc/ngap/ie"
	"github.com/free5gc/ngap/message"
)

// SessionModifyItem is one PDU session to modify: its encoded
// ModifyRequestTransfer and, optionally, the NAS PDU for the UE (a PDU
// Session Modification Command).
type SessionModifyItem struct {
	PDUSessionID uint8
	NASPDU       []byte
	Transfer     []byte
}

// PDUSessionResourceModifyRequest (TS 38.413 9.2.1.3).
type PDUSessionResourceModifyRequest struct {
	UEIDs
	Sessions []SessionModifyItem
}

func (*PDUSessionResourceModifyRequest) ProcedureCode() int64 {
	return ProcPDUSessionResourceModify
}
func (*PDUSessionResourceModifyRequest) MessageType() MessageType { return InitiatingMessage }

func (r *PDUSessionResourceModifyRequest) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if len(r.Sessions) == 0 {
		return nil, fmt.Errorf("n2: PDU Session Resource Modify Request without sessions")
	}
	m := &message.PDUSessionResourceModifyRequest{AMFUENGAPID: amf, RANUENGAPID: ran,
		PDUSessionResourceModifyListModReq: &ie.PDUSessionResourceModifyListModReq{}}
	for _, s := range r.Sessions {
		if len(s.Transfer) == 0 {
			return nil, fmt.Errorf("n2: PDU session %d without modify request transfer", s.PDUSessionID)
		}
		m.PDUSessionResourceModifyListModReq.List = append(m.PDUSessionResourceModifyListModReq.List,
			ie.PDUSessionResourceModifyItemModReq{PDUSessionID: psiToIE(s.PDUSessionID), NASPDU: nasPDU(s.NASPDU),
				PDUSessionResourceModifyRequestTransfer: octets(s.Transfer)})
	}
	return encode(m)
}

// ParsePDUSessionResourceModifyRequest decodes a PDU Session Resource
// Modify Request.
func ParsePDUSessionResourceModifyRequest(pdu []byte) (*PDUSessionResourceModifyRequest, error) {
	return parseAs[*PDUSessionResourceModifyRequest](pdu)
}

func modifyRequestFrom(m *message.PDUSessionResourceModifyRequest) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	if m.PDUSessionResourceModifyListModReq == nil {
		return nil, fmt.Errorf("missing PDU session resource modify list")
	}
	r := &PDUSessionResourceModifyRequest{UEIDs: ids}
	for _, it := range m.PDUSessionResourceModifyListModReq.List {
		st, err := transferItem(it.PDUSessionID, it.PDUSessionResourceModifyRequestTransfer)
		if err != nil {
			return nil, err
		}
		r.Sessions = append(r.Sessions, SessionModifyItem{PDUSessionID: st.PDUSessionID, NASPDU: nasBytes(it.NASPDU),
			Transfer: st.Transfer})
	}
	return r, nil
}

// PDUSessionResourceModifyResponse (TS 38.413 9.2.1.4). Sessions carry
// ModifyResponseTransfers, Failed carry ModifyUnsuccessfulTransfers.
type PDUSessionResourceModifyResponse struct {
	UEIDs
	Sessions []SessionTransfer
	Failed   []SessionTransfer
}

func (*PDUSessionResourceModifyResponse) ProcedureCode() int64 {
	return ProcPDUSessionResourceModify
}
func (*PDUSessionResourceModifyResponse) MessageType() MessageType { return SuccessfulOutcome }

func (r *PDUSessionResourceModifyResponse) Encode() ([]byte, error) {
	amf, ran, err := r.toIE()
	if err != nil {
		return nil, err
	}
	if err := firstErr(checkTransfers(r.Sessions), checkTransfers(r.Failed)); err != nil {
		return nil, err
	}
	m := &message.PDUSessionResourceModifyResponse{AMFUENGAPID: amf, RANUENGAPID: ran}
	if len(r.Sessions) > 0 {
		m.PDUSessionResourceModifyListModRes = &ie.PDUSessionResourceModifyListModRes{}
		for _, s := range r.Sessions {
			m.PDUSessionResourceModifyListModRes.List = append(m.PDUSessionResourceModifyListModRes.List,
				ie.PDUSessionResourceModifyItemModRes{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceModifyResponseTransfer: octets(s.Transfer)})
		}
	}
	if len(r.Failed) > 0 {
		m.PDUSessionResourceFailedToModifyListModRes = &ie.PDUSessionResourceFailedToModifyListModRes{}
		for _, s := range r.Failed {
			m.PDUSessionResourceFailedToModifyListModRes.List = append(m.PDUSessionResourceFailedToModifyListModRes.List,
				ie.PDUSessionResourceFailedToModifyItemModRes{PDUSessionID: psiToIE(s.PDUSessionID),
					PDUSessionResourceModifyUnsuccessfulTransfer: octets(s.Transfer)})
		}
	}
	return encode(m)
}

// ParsePDUSessionResourceModifyResponse decodes a PDU Session Resource
// Modify Response.
func ParsePDUSessionResourceModifyResponse(pdu []byte) (*PDUSessionResourceModifyResponse, error) {
	return parseAs[*PDUSessionResourceModifyResponse](pdu)
}

func modifyResponseFrom(m *message.PDUSessionResourceModifyResponse) (Message, error) {
	ids, err := uePair(m.AMFUENGAPID, m.RANUENGAPID)
	if err != nil {
		return nil, err
	}
	r := &PDUSessionResourceModifyResponse{UEIDs: ids}
	if l := m.PDUSessionResourceModifyListModRes; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceModifyResponseTransfer)
			if err != nil {
				return nil, err
			}
			r.Sessions = append(r.Sessions, s)
		}
	}
	if l := m.PDUSessionResourceFailedToModifyListModRes; l != nil {
		for _, it := range l.List {
			s, err := transferItem(it.PDUSessionID, it.PDUSessionResourceModifyUnsuccessfulTransfer)
			if err != nil {
				return nil, err
			}
			r.Failed = append(r.Failed, s)
		}
	}
	return r, nil
}

func init() {
	register(&message.PDUSessionResourceModifyRequest{}, modifyRequestFrom)
	register(&message.PDUSessionResourceModifyResponse{}, modifyResponseFrom)
}
