package naseps

func init() {
	register(MsgDeactivateBearerRequest, "Deactivate EPS Bearer Context Request", PDESM,
		func() *DeactivateBearerRequest { return &DeactivateBearerRequest{} })
	register(MsgDeactivateBearerAccept, "Deactivate EPS Bearer Context Accept", PDESM,
		func() *DeactivateBearerAccept { return &DeactivateBearerAccept{} })
	register(MsgESMInformationRequest, "ESM Information Request", PDESM,
		func() *ESMInformationRequest { return &ESMInformationRequest{} })
	register(MsgESMInformationResponse, "ESM Information Response", PDESM,
		func() *ESMInformationResponse { return &ESMInformationResponse{} })
	register(MsgESMStatus, "ESM Status", PDESM, func() *ESMStatus { return &ESMStatus{} })
}

// DeactivateBearerRequest is the DEACTIVATE EPS BEARER CONTEXT REQUEST
// (TS 24.301 8.3.12).
type DeactivateBearerRequest struct {
	ESMHeader
	Cause ESMCause
	PCO   *PCO
}

func (*DeactivateBearerRequest) MessageType() MessageType { return MsgDeactivateBearerRequest }

func (m *DeactivateBearerRequest) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgDeactivateBearerRequest, func(w *writer) {
		w.u8(byte(m.Cause))
		writePCO(w, m.PCO)
	})
}

func (m *DeactivateBearerRequest) decode(r *reader) {
	m.Cause = ESMCause(r.u8("ESM cause"))
	m.PCO = readOnlyPCO(r)
}

// DeactivateBearerAccept is the DEACTIVATE EPS BEARER CONTEXT ACCEPT (TS
// 24.301 8.3.11).
type DeactivateBearerAccept struct {
	ESMHeader
	PCO *PCO
}

func (*DeactivateBearerAccept) MessageType() MessageType { return MsgDeactivateBearerAccept }

func (m *DeactivateBearerAccept) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgDeactivateBearerAccept, func(w *writer) { writePCO(w, m.PCO) })
}

func (m *DeactivateBearerAccept) decode(r *reader) { m.PCO = readOnlyPCO(r) }

// ESMInformationRequest (TS 24.301 8.3.13).
type ESMInformationRequest struct {
	ESMHeader
}

func (*ESMInformationRequest) MessageType() MessageType { return MsgESMInformationRequest }

func (m *ESMInformationRequest) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgESMInformationRequest, func(*writer) {})
}

func (m *ESMInformationRequest) decode(r *reader) { r.optionals(nil) }

// ESMInformationResponse (TS 24.301 8.3.14).
type ESMInformationResponse struct {
	ESMHeader
	APN APN // "" when absent
	PCO *PCO
}

func (*ESMInformationResponse) MessageType() MessageType { return MsgESMInformationResponse }

func (m *ESMInformationResponse) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgESMInformationResponse, func(w *writer) {
		writeAPN(w, m.APN)
		writePCO(w, m.PCO)
	})
}

func (m *ESMInformationResponse) decode(r *reader) {
	for _, e := range r.optionals(nil) {
		switch e.iei {
		case ieiAPN:
			m.APN = readAPN(r, e.v)
		case ieiPCO:
			m.PCO = readPCO(r, e.v)
		}
	}
}

// ESMStatus (TS 24.301 8.3.15).
type ESMStatus struct {
	ESMHeader
	Cause ESMCause
}

func (*ESMStatus) MessageType() MessageType { return MsgESMStatus }

func (m *ESMStatus) Marshal() ([]byte, error) {
	return marshalESM(m.ESMHeader, MsgESMStatus, func(w *writer) { w.u8(byte(m.Cause)) })
}

func (m *ESMStatus) decode(r *reader) {
	m.Cause = ESMCause(r.u8("ESM cause"))
	r.optionals(nil)
}
