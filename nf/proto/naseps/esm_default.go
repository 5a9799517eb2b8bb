package naseps

func init() {
	register(MsgActivateDefaultBearerRequest, "Activate Default EPS Bearer Context Request", PDESM,
		func() *ActivateDefaultBearerRequest { return &ActivateDefaultBearerRequest{} })
	register(MsgActivateDefaultBearerAccept, "Activate Default EPS Bearer Context Accept", PDESM,
		func() *ActivateDefaultBearerAccept { return &ActivateDefaultBearerAccept{} })
	register(MsgActivateDefaultBearerReject, "Activate Default EPS Bearer Context Reject", PDESM,
		func() *ActivateDefaultBearerReject { return &ActivateDefaultBearerReject{} })
}

const (
	ieiAPNAMBR  = 0x5E
	ieiESMCause = 0x58
)

// ActivateDefaultBearerRequest is the ACTIVATE DEFAULT EPS BEARER CONTEXT
// REQUEST (TS 24.301 8.3.6).
type ActivateDefaultBearerRequest struct {
	ESMHeader
	QoS        EPSQoS
	APN        APN
	PDNAddress PDNAddress
	APNAMBR    *AMBR
	ESMCause   *ESMCause // e.g. #50 when only IPv4 was granted
	PCO        *PCO
}

func (*ActivateDefaultBearerRequest) MessageType() MessageType {
	return MsgActivateDefaultBearerRequest
}

func (m *ActivateDefaultBearerRequest) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgActivateDefaultBearerRequest, func(w *writer) {
		writeQoS(w, m.QoS)
		if v, ok := encodeIE(w, "access point name", m.APN.encode); ok {
			w.lv("access point name", v, 1, maxAPNLen)
		}
		if v, ok := encodeIE(w, "PDN address", m.PDNAddress.encode); ok {
			w.lv("PDN address", v, 5, 13)
		}
		if m.APNAMBR != nil {
			if v, ok := encodeIE(w, "APN-AMBR", m.APNAMBR.encode); ok {
				w.tlv("APN-AMBR", ieiAPNAMBR, v, 2, 6)
			}
		}
		if m.ESMCause != nil {
			w.tv(ieiESMCause, []byte{byte(*m.ESMCause)})
		}
		writePCO(w, m.PCO)
	})
}

func (m *ActivateDefaultBearerRequest) decode(r *reader) {
	m.QoS = readQoS(r)
	if v := r.lv("access point name", 1, maxAPNLen); v != nil {
		m.APN = readAPN(r, v)
	}
	if v := r.lv("PDN address", 5, 13); v != nil {
		a, err := decodePDNAddress(v)
		if r.check("PDN address", err) {
			m.PDNAddress = a
		}
	}
	for _, e := range r.optionals(map[byte]int{0x32: 2, ieiESMCause: 2}) {
		switch e.iei {
		case ieiAPNAMBR:
			a, err := decodeAMBR(e.v)
			if r.check("APN-AMBR", err) {
				m.APNAMBR = &a
			}
		case ieiESMCause:
			c := ESMCause(e.v[0])
			m.ESMCause = &c
		case ieiPCO:
			m.PCO = readPCO(r, e.v)
		}
	}
}

// ActivateDefaultBearerAccept (TS 24.301 8.3.5).
type ActivateDefaultBearerAccept struct {
	ESMHeader
	PCO *PCO
}

func (*ActivateDefaultBearerAccept) MessageType() MessageType { return MsgActivateDefaultBearerAccept }

func (m *ActivateDefaultBearerAccept) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgActivateDefaultBearerAccept, func(w *writer) { writePCO(w, m.PCO) })
}

func (m *ActivateDefaultBearerAccept) decode(r *reader) { m.PCO = readOnlyPCO(r) }

// ActivateDefaultBearerReject (TS 24.301 8.3.4).
type ActivateDefaultBearerReject struct {
	ESMHeader
	Cause ESMCause
	PCO   *PCO
}

func (*ActivateDefaultBearerReject) MessageType() MessageType { return MsgActivateDefaultBearerReject }

func (m *ActivateDefaultBearerReject) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgActivateDefaultBearerReject, func(w *writer) {
		w.u8(byte(m.Cause))
		writePCO(w, m.PCO)
	})
}

func (m *ActivateDefaultBearerReject) decode(r *reader) {
	m.Cause = ESMCause(r.u8("ESM cause"))
	m.PCO = readOnlyPCO(r)
}

func writeQoS(w *writer, q EPSQoS) {
	if v, ok := encodeIE(w, "EPS QoS", q.encode); ok {
		w.lv("EPS QoS", v, 1, 13)
	}
}

func readQoS(r *reader) EPSQoS {
	v := r.lv("EPS QoS", 1, 13)
	if v == nil {
		return EPSQoS{}
	}
	q, err := decodeEPSQoS(v)
	r.check("EPS QoS", err)
	return q
}
