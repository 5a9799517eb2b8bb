package naseps

import "fmt"

func init() {
	register(MsgServiceReject, "Service Reject", PDEMM, func() *ServiceReject { return &ServiceReject{} })
}

// serviceRequestLen: header, KSI and sequence number, short MAC.
const serviceRequestLen = 4

// ServiceRequest is the 4-octet SERVICE REQUEST (TS 24.301 8.2.25): the
// security header type 12, the KSI and the 5 low bits of the uplink NAS
// COUNT (9.9.3.19), and the short MAC (9.9.3.28). Build one with
// SecurityContext.NewServiceRequest and check one with
// SecurityContext.VerifyServiceRequest; Marshal and Parse only frame it.
type ServiceRequest struct {
	KSI      uint8 // 0..7
	SeqNum   uint8 // 0..31
	ShortMAC [2]byte
}

func (*ServiceRequest) MessageType() MessageType { return MsgServiceRequest }

func (m *ServiceRequest) Marshal() ([]byte, error) {
	if m.KSI > 7 || m.SeqNum > 31 {
		return nil, &EncodeError{Message: "Service Request", Field: "KSI and sequence number",
			Err: fmt.Errorf("%w: KSI %d, sequence number %d", errValue, m.KSI, m.SeqNum)}
	}
	return []byte{byte(ServiceRequestHeader)<<4 | PDEMM, m.KSI<<5 | m.SeqNum, m.ShortMAC[0], m.ShortMAC[1]}, nil
}

func (m *ServiceRequest) decode(r *reader) {
	o := r.u8("KSI and sequence number")
	m.KSI, m.SeqNum = o>>5, o&0x1F
	copy(m.ShortMAC[:], r.take("short MAC", 2))
	if r.err == nil && len(r.b) > 0 {
		r.fail("end", fmt.Errorf("%w: %d octets after the short MAC", ErrTrailing, len(r.b)))
	}
}

func parseServiceRequest(plain []byte) (*ServiceRequest, error) {
	m := &ServiceRequest{}
	r := &reader{msg: "Service Request", b: plain[1:]}
	m.decode(r)
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

const ieiT3442 = 0x5B

// ServiceReject (TS 24.301 8.2.24).
type ServiceReject struct {
	Cause EMMCause
	T3442 *GPRSTimer // with cause #39 (CS domain temporarily not available)
}

func (*ServiceReject) MessageType() MessageType { return MsgServiceReject }

func (m *ServiceReject) Marshal() ([]byte, error) {
	return marshalEMM(MsgServiceReject, func(w *writer) {
		w.u8(byte(m.Cause))
		if m.T3442 != nil {
			t, err := m.T3442.encode()
			if w.check("T3442 value", err) {
				w.tv(ieiT3442, []byte{t})
			}
		}
	})
}

func (m *ServiceReject) decode(r *reader) {
	m.Cause = EMMCause(r.u8("EMM cause"))
	for _, e := range r.optionals(map[byte]int{ieiT3442: 2}) {
		if e.iei == ieiT3442 {
			t := decodeGPRSTimer(e.v[0])
			m.T3442 = &t
		}
	}
}
