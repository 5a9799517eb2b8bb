package naseps

func init() {
	register(MsgPDNConnectivityRequest, "PDN Connectivity Request", PDESM, func() *PDNConnectivityRequest { return &PDNConnectivityRequest{} })
	register(MsgPDNConnectivityReject, "PDN Connectivity Reject", PDESM, func() *PDNConnectivityReject { return &PDNConnectivityReject{} })
	register(MsgPDNDisconnectRequest, "PDN Disconnect Request", PDESM, func() *PDNDisconnectRequest { return &PDNDisconnectRequest{} })
}

const ieiAPN = 0x28

// PDNConnectivityRequest (TS 24.301 8.3.20).
type PDNConnectivityRequest struct {
	ESMHeader
	RequestType RequestType
	PDNType     PDNType
	// ESMInfoTransfer asks the MME to fetch the APN and PCO with ESM
	// Information Request after security is set up.
	ESMInfoTransfer bool
	APN             APN // "" when absent
	PCO             *PCO
}

func (*PDNConnectivityRequest) MessageType() MessageType { return MsgPDNConnectivityRequest }

func (m *PDNConnectivityRequest) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgPDNConnectivityRequest, func(w *writer) {
		pt, err := threeBits("PDN type", uint8(m.PDNType))
		if !w.check("PDN type", err) {
			return
		}
		rt, err := threeBits("request type", uint8(m.RequestType))
		if !w.check("request type", err) {
			return
		}
		w.half(pt, rt)
		if m.ESMInfoTransfer {
			w.tv1(ieiESMInfoTransferFlag, 1)
		}
		writeAPN(w, m.APN)
		writePCO(w, m.PCO)
	})
}

func (m *PDNConnectivityRequest) decode(r *reader) {
	o := r.u8("request type")
	m.PDNType, m.RequestType = PDNType(o>>4&0x07), RequestType(o&0x07)
	for _, e := range r.optionals(nil) {
		switch e.iei {
		case ieiESMInfoTransferFlag:
			m.ESMInfoTransfer = e.v[0]&0x01 != 0
		case ieiAPN:
			m.APN = readAPN(r, e.v)
		case ieiPCO:
			m.PCO = readPCO(r, e.v)
		}
	}
}

// PDNConnectivityReject (TS 24.301 8.3.19).
type PDNConnectivityReject struct {
	ESMHeader
	Cause ESMCause
	PCO   *PCO
}

func (*PDNConnectivityReject) MessageType() MessageType { return MsgPDNConnectivityReject }

func (m *PDNConnectivityReject) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgPDNConnectivityReject, func(w *writer) {
		w.u8(byte(m.Cause))
		writePCO(w, m.PCO)
	})
}

func (m *PDNConnectivityReject) decode(r *reader) {
	m.Cause = ESMCause(r.u8("ESM cause"))
	m.PCO = readOnlyPCO(r)
}

// PDNDisconnectRequest (TS 24.301 8.3.22).
type PDNDisconnectRequest struct {
	ESMHeader
	LinkedEBI uint8
	PCO       *PCO
}

func (*PDNDisconnectRequest) MessageType() MessageType { return MsgPDNDisconnectRequest }

func (m *PDNDisconnectRequest) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgPDNDisconnectRequest, func(w *writer) {
		if m.LinkedEBI > 15 {
			w.fail("linked EPS bearer identity", rangeErr("EBI", int(m.LinkedEBI), 15))
			return
		}
		w.half(0, m.LinkedEBI)
		writePCO(w, m.PCO)
	})
}

func (m *PDNDisconnectRequest) decode(r *reader) {
	m.LinkedEBI = r.u8("linked EPS bearer identity") & 0x0F
	m.PCO = readOnlyPCO(r)
}

func writeAPN(w *writer, a APN) {
	if a == "" {
		return
	}
	if v, ok := encodeIE(w, "access point name", a.encode); ok {
		w.tlv("access point name", ieiAPN, v, 1, maxAPNLen)
	}
}

func readAPN(r *reader, v []byte) APN {
	a, err := decodeAPN(v)
	if !r.check("access point name", err) {
		return ""
	}
	return a
}

// readOnlyPCO reads a non-imperative part whose only IE we use is the PCO.
func readOnlyPCO(r *reader) *PCO {
	var p *PCO
	for _, e := range r.optionals(nil) {
		if e.iei == ieiPCO {
			p = readPCO(r, e.v)
		}
	}
	return p
}
