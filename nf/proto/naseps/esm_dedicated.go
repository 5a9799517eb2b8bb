package naseps

func init() {
	register(MsgActivateDedicatedBearerRequest, "Activate Dedicated EPS Bearer Context Request", PDESM,
		func() *ActivateDedicatedBearerRequest { return &ActivateDedicatedBearerRequest{} })
	register(MsgActivateDedicatedBearerAccept, "Activate Dedicated EPS Bearer Context Accept", PDESM,
		func() *ActivateDedicatedBearerAccept { return &ActivateDedicatedBearerAccept{} })
	register(MsgActivateDedicatedBearerReject, "Activate Dedicated EPS Bearer Context Reject", PDESM,
		func() *ActivateDedicatedBearerReject { return &ActivateDedicatedBearerReject{} })
}

// ActivateDedicatedBearerRequest is the ACTIVATE DEDICATED EPS BEARER
// CONTEXT REQUEST (TS 24.301 8.3.3).
type ActivateDedicatedBearerRequest struct {
	ESMHeader
	LinkedEBI uint8
	QoS       EPSQoS
	TFT       TFT
	PCO       *PCO
}

func (*ActivateDedicatedBearerRequest) MessageType() MessageType {
	return MsgActivateDedicatedBearerRequest
}

func (m *ActivateDedicatedBearerRequest) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgActivateDedicatedBearerRequest, func(w *writer) {
		if m.LinkedEBI > 15 {
			w.fail("linked EPS bearer identity", rangeErr("EBI", int(m.LinkedEBI), 15))
			return
		}
		w.half(0, m.LinkedEBI)
		writeQoS(w, m.QoS)
		if v, ok := encodeIE(w, "TFT", m.TFT.encode); ok {
			w.lv("TFT", v, 1, maxTFTLen)
		}
		writePCO(w, m.PCO)
	})
}

func (m *ActivateDedicatedBearerRequest) decode(r *reader) {
	m.LinkedEBI = r.u8("linked EPS bearer identity") & 0x0F
	m.QoS = readQoS(r)
	if v := r.lv("TFT", 1, maxTFTLen); v != nil {
		t, err := decodeTFT(v)
		if r.check("TFT", err) {
			m.TFT = t
		}
	}
	for _, e := range r.optionals(map[byte]int{0x32: 2}) {
		if e.iei == ieiPCO {
			m.PCO = readPCO(r, e.v)
		}
	}
}

// ActivateDedicatedBearerAccept (TS 24.301 8.3.1).
type ActivateDedicatedBearerAccept struct {
	ESMHeader
	PCO *PCO
}

func (*ActivateDedicatedBearerAccept) MessageType() MessageType {
	return MsgActivateDedicatedBearerAccept
}

func (m *ActivateDedicatedBearerAccept) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgActivateDedicatedBearerAccept, func(w *writer) { writePCO(w, m.PCO) })
}

func (m *ActivateDedicatedBearerAccept) decode(r *reader) { m.PCO = readOnlyPCO(r) }

// ActivateDedicatedBearerReject (TS 24.301 8.3.2).
type ActivateDedicatedBearerReject struct {
	ESMHeader
	Cause ESMCause
	PCO   *PCO
}

func (*ActivateDedicatedBearerReject) MessageType() MessageType {
	return MsgActivateDedicatedBearerReject
}

func (m *ActivateDedicatedBearerReject) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgActivateDedicatedBearerReject, func(w *writer) {
		w.u8(byte(m.Cause))
		writePCO(w, m.PCO)
	})
}

func (m *ActivateDedicatedBearerReject) decode(r *reader) {
	m.Cause = ESMCause(r.u8("ESM cause"))
	m.PCO = readOnlyPCO(r)
}
