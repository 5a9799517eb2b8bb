package smcontext

import (
	"github.com/free5gc/openapi/models"
)

// N1N2Request is the body of Namf_Communication N1N2MessageTransfer: the
// N1N2MessageTransferReqData, the N1 message (class SM: a 5GSM message)
// and the N2 SM information (an NGAP transfer IE).
type N1N2Request struct {
	Data models.Amf_Comm_N1N2MessageTransferReqData
	N1   []byte
	N2   []byte
}

// NewN1N2Request builds a session's transfer: n1 (nil: none) and n2 (nil:
// none) of NGAP IE type ngapIEType, e.g. PDU_RES_SETUP_REQ.
func NewN1N2Request(pduSessionID uint8, snssai *models.Snssai, n1 []byte,
	ngapIEType models.Amf_Comm_NgapIeType, n2 []byte) *N1N2Request {
	m := &N1N2Request{N1: n1, N2: n2}
	m.Data.PduSessionId = int32(pduSessionID)
	if len(n1) > 0 {
		m.Data.N1MessageContainer = &models.Amf_Comm_N1MessageContainer{
			N1MessageClass: models.Amf_Comm_N1MessageClass_SM}
	}
	if len(n2) > 0 {
		m.Data.N2InfoContainer = &models.Amf_Comm_N2InfoContainer{
			N2InformationClass: models.Amf_Comm_N2InformationClass_SM,
			SmInfo: &models.Amf_Comm_N2SmInformation{PduSessionId: int32(pduSessionID), SNssai: snssai,
				N2InfoContent: &models.Amf_Comm_N2InfoContent{NgapIeType: ngapIEType}},
		}
	}
	return m
}

// SessionID is the PDU session the transfer is about: the smInfo's, else
// the request's pduSessionId.
func (m *N1N2Request) SessionID() uint8 {
	if c := m.Data.N2InfoContainer; c != nil && c.SmInfo != nil && c.SmInfo.PduSessionId != 0 {
		return uint8(c.SmInfo.PduSessionId)
	}
	return uint8(m.Data.PduSessionId)
}

// NgapIEType is the NGAP IE type of the N2 part, "" without one.
func (m *N1N2Request) NgapIEType() models.Amf_Comm_NgapIeType {
	if c := m.Data.N2InfoContainer; c != nil && c.SmInfo != nil && c.SmInfo.N2InfoContent != nil {
		return c.SmInfo.N2InfoContent.NgapIeType
	}
	return ""
}

// SNSSAI is the smInfo's S-NSSAI, nil without one.
func (m *N1N2Request) SNSSAI() *models.Snssai {
	if c := m.Data.N2InfoContainer; c != nil && c.SmInfo != nil {
		return c.SmInfo.SNssai
	}
	return nil
}

// containers makes sure the JSON has a place for each part that is set.
func (m *N1N2Request) containers() {
	if len(m.N1) > 0 && m.Data.N1MessageContainer == nil {
		m.Data.N1MessageContainer = &models.Amf_Comm_N1MessageContainer{N1MessageClass: models.Amf_Comm_N1MessageClass_SM}
	}
	if len(m.N2) == 0 {
		return
	}
	c := m.Data.N2InfoContainer
	if c == nil {
		c = &models.Amf_Comm_N2InfoContainer{N2InformationClass: models.Amf_Comm_N2InformationClass_SM}
		m.Data.N2InfoContainer = c
	}
	if c.SmInfo == nil {
		c.SmInfo = &models.Amf_Comm_N2SmInformation{PduSessionId: m.Data.PduSessionId}
	}
	if c.SmInfo.N2InfoContent == nil {
		c.SmInfo.N2InfoContent = &models.Amf_Comm_N2InfoContent{}
	}
}

func (m *N1N2Request) refs() []binRef {
	var refs []binRef
	if c := m.Data.N1MessageContainer; c != nil {
		refs = append(refs, binRef{slot: &c.N1MessageContent, data: &m.N1, id: IDN1, media: MediaNAS})
	}
	if c := m.Data.N2InfoContainer; c != nil && c.SmInfo != nil && c.SmInfo.N2InfoContent != nil {
		refs = append(refs, binRef{slot: &c.SmInfo.N2InfoContent.NgapData, data: &m.N2, id: IDN2, media: MediaNGAP})
	}
	return refs
}

// Encode returns the body and its Content-Type.
func (m *N1N2Request) Encode() ([]byte, string, error) {
	m.containers()
	return encodeWith(&m.Data, m.refs())
}

// ParseN1N2Request decodes an N1N2MessageTransfer request body.
func ParseN1N2Request(contentType string, body []byte) (*N1N2Request, error) {
	m := &N1N2Request{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}
