package s1ap

// InitialContextSetupRequest (TS 36.413 9.1.4.1). SecurityKey is KeNB.
type InitialContextSetupRequest struct {
	UEIDs
	UEAMBR               AMBR
	ERABs                []ERABToSetup
	SecurityCapabilities UESecurityCapabilities
	SecurityKey          [32]byte
}

func (*InitialContextSetupRequest) ProcedureCode() ProcedureCode { return ProcInitialContextSetup }
func (*InitialContextSetupRequest) Kind() PDUKind                { return InitiatingMessage }

func (m *InitialContextSetupRequest) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critReject)
	s.add(idUEAMBR, critReject, func(w *writer) { w.ambr(m.UEAMBR) })
	s.add(idERABToBeSetupListCtxtSUReq, critReject, listOf(m.ERABs, idERABToBeSetupItemCtxtSUReq, critReject,
		func(w *writer, e ERABToSetup) { writeToSetup(w, e, true) }))
	s.add(idUESecurityCapabilities, critReject, func(w *writer) { w.securityCapabilities(m.SecurityCapabilities) })
	s.add(idSecurityKey, critReject, func(w *writer) { w.bits(m.SecurityKey[:], 256, 256, 256, false) })
	return encodePDU(m, s)
}

// ParseInitialContextSetupRequest decodes an Initial Context Setup Request.
func ParseInitialContextSetupRequest(b []byte) (*InitialContextSetupRequest, error) {
	return parseAs[*InitialContextSetupRequest](b)
}

// InitialContextSetupResponse (TS 36.413 9.1.4.2): the E-RABs set up (at
// least one) and those that failed.
type InitialContextSetupResponse struct {
	UEIDs
	ERABs  []ERABSetupItem
	Failed []ERABItem
}

func (*InitialContextSetupResponse) ProcedureCode() ProcedureCode { return ProcInitialContextSetup }
func (*InitialContextSetupResponse) Kind() PDUKind                { return SuccessfulOutcome }

func (m *InitialContextSetupResponse) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critIgnore)
	s.add(idERABSetupListCtxtSURes, critIgnore, listOf(m.ERABs, idERABSetupItemCtxtSURes, critIgnore, writeSetupItem))
	if len(m.Failed) > 0 {
		s.add(idERABFailedToSetupListCtxt, critIgnore, erabList(m.Failed))
	}
	return encodePDU(m, s)
}

// ParseInitialContextSetupResponse decodes an Initial Context Setup Response.
func ParseInitialContextSetupResponse(b []byte) (*InitialContextSetupResponse, error) {
	return parseAs[*InitialContextSetupResponse](b)
}

// InitialContextSetupFailure (TS 36.413 9.1.4.3).
type InitialContextSetupFailure struct {
	UEIDs
	Cause Cause
}

func (*InitialContextSetupFailure) ProcedureCode() ProcedureCode { return ProcInitialContextSetup }
func (*InitialContextSetupFailure) Kind() PDUKind                { return UnsuccessfulOutcome }

func (m *InitialContextSetupFailure) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critIgnore)
	s.add(idCause, critIgnore, causeIE(m.Cause))
	return encodePDU(m, s)
}

// ParseInitialContextSetupFailure decodes an Initial Context Setup Failure.
func ParseInitialContextSetupFailure(b []byte) (*InitialContextSetupFailure, error) {
	return parseAs[*InitialContextSetupFailure](b)
}

func init() {
	register(ProcInitialContextSetup, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &InitialContextSetupRequest{UEIDs: s.ids()}
		s.need(idUEAMBR, func(r *reader) { m.UEAMBR = r.ambr() })
		s.need(idERABToBeSetupListCtxtSUReq, func(r *reader) {
			m.ERABs = readList(r, idERABToBeSetupItemCtxtSUReq, func(v *reader) ERABToSetup { return readToSetup(v, true) })
		})
		s.need(idUESecurityCapabilities, func(r *reader) { m.SecurityCapabilities = r.securityCapabilities() })
		s.need(idSecurityKey, func(r *reader) {
			if b, _ := r.bits(256, 256, false); r.err == nil {
				copy(m.SecurityKey[:], b)
			}
		})
		return m
	})
	register(ProcInitialContextSetup, SuccessfulOutcome, ueIDsPair, func(s *ieSet) Message {
		m := &InitialContextSetupResponse{UEIDs: s.ids()}
		s.need(idERABSetupListCtxtSURes, func(r *reader) {
			m.ERABs = readList(r, idERABSetupItemCtxtSURes, readSetupItem)
		})
		s.opt(idERABFailedToSetupListCtxt, func(r *reader) { m.Failed = r.erabList() })
		return m
	})
	register(ProcInitialContextSetup, UnsuccessfulOutcome, ueIDsPair, func(s *ieSet) Message {
		m := &InitialContextSetupFailure{UEIDs: s.ids()}
		s.need(idCause, func(r *reader) { m.Cause = r.cause() })
		return m
	})
}
