package nas5g

import (
	"fmt"
	"strings"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// Payload container types (TS 24.501 9.11.3.40).
const (
	PayloadN1SM uint8 = 1
	PayloadSMS  uint8 = 2
)

// Request types of a UL NAS Transport (TS 24.501 9.11.3.47).
const (
	RequestInitial         uint8 = 1
	RequestExistingSession uint8 = 2
)

// ULNASTransport (TS 24.501 8.2.10). For 5GSM: PayloadType PayloadN1SM, the
// 5GSM message as Payload, its PDU session ID; RequestType, SNSSAI and DNN
// go with a PDU Session Establishment Request. Zero values leave optional
// IEs out.
type ULNASTransport struct {
	PayloadType  uint8
	Payload      []byte
	PDUSessionID uint8
	RequestType  uint8
	SNSSAI       *SNSSAI
	DNN          string
}

func (*ULNASTransport) MessageType() MessageType { return MsgULNASTransport }

func (r *ULNASTransport) Encode() ([]byte, error) {
	if err := checkPayload(r.PayloadType, r.Payload); err != nil {
		return nil, err
	}
	m := &message.ULNASTransport{
		PayloadCntrType: &ie.PayloadCntrType{Value: r.PayloadType},
		PayloadCntr:     &ie.PayloadCntr{Pct: r.PayloadType, Contents: cloneBytes(r.Payload)},
	}
	if r.PDUSessionID != 0 {
		m.PDUSessID = &ie.PDUSessId2{Value: r.PDUSessionID}
	}
	if r.RequestType != 0 {
		m.ReqType = &ie.ReqType{Value: ie.ConstReqType(r.RequestType)}
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

func checkPayload(pt uint8, payload []byte) error {
	if pt == 0 || pt > 0xF {
		return fmt.Errorf("nas5g: payload container type %d", pt)
	}
	if len(payload) == 0 || len(payload) > 0xFFFF {
		return fmt.Errorf("nas5g: payload of %d octets", len(payload))
	}
	return nil
}

// checkDNN checks a DNN fits the IE (TS 24.501 9.11.2.1B): labels of 1 to
// 63 octets, at most 100 octets once encoded. free5gc lower-cases DNNs both
// ways (they are case-insensitive, TS 23.003 9.1), so "Internet" comes back
// as "internet".
func checkDNN(dnn string) error {
	if len(dnn) > 99 {
		return fmt.Errorf("nas5g: DNN of %d characters", len(dnn))
	}
	for _, label := range strings.Split(dnn, ".") {
		if len(label) == 0 || len(label) > 63 {
			return fmt.Errorf("nas5g: DNN %q has a label of %d octets", dnn, len(label))
		}
	}
	return nil
}

// ParseULNASTransport decodes a plain UL NAS Transport.
func ParseULNASTransport(plain []byte) (*ULNASTransport, error) {
	return parseAs[*ULNASTransport](plain, MsgULNASTransport)
}

func ulNASTransportFrom(m *message.ULNASTransport) (Message, error) {
	if m.PayloadCntrType == nil || m.PayloadCntr == nil {
		return nil, fmt.Errorf("payload container missing")
	}
	r := &ULNASTransport{PayloadType: m.PayloadCntrType.Value, Payload: cloneBytes(m.PayloadCntr.Contents)}
	if m.PDUSessID != nil {
		r.PDUSessionID = m.PDUSessID.Value
	}
	if m.ReqType != nil {
		r.RequestType = uint8(m.ReqType.Value)
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

// DLNASTransport (TS 24.501 8.2.11). Cause is a 5GMM cause, zero for none.
type DLNASTransport struct {
	PayloadType  uint8
	Payload      []byte
	PDUSessionID uint8
	Cause        uint8
}

func (*DLNASTransport) MessageType() MessageType { return MsgDLNASTransport }

func (r *DLNASTransport) Encode() ([]byte, error) {
	if err := checkPayload(r.PayloadType, r.Payload); err != nil {
		return nil, err
	}
	m := &message.DLNASTransport{
		PayloadCntrType: &ie.PayloadCntrType{Value: r.PayloadType},
		PayloadCntr:     &ie.PayloadCntr{Pct: r.PayloadType, Contents: cloneBytes(r.Payload)},
		Cause5GMM:       optCause5GMM(r.Cause),
	}
	if r.PDUSessionID != 0 {
		m.PDUSessID = &ie.PDUSessId2{Value: r.PDUSessionID}
	}
	return encode(m)
}

// ParseDLNASTransport decodes a plain DL NAS Transport.
func ParseDLNASTransport(plain []byte) (*DLNASTransport, error) {
	return parseAs[*DLNASTransport](plain, MsgDLNASTransport)
}

func dlNASTransportFrom(m *message.DLNASTransport) (Message, error) {
	if m.PayloadCntrType == nil || m.PayloadCntr == nil {
		return nil, fmt.Errorf("payload container missing")
	}
	r := &DLNASTransport{
		PayloadType: m.PayloadCntrType.Value,
		Payload:     cloneBytes(m.PayloadCntr.Contents),
		Cause:       optCauseOf(m.Cause5GMM),
	}
	if m.PDUSessID != nil {
		r.PDUSessionID = m.PDUSessID.Value
	}
	return r, nil
}

func init() {
	register(MsgULNASTransport, ulNASTransportFrom)
	register(MsgDLNASTransport, dlNASTransportFrom)
}
