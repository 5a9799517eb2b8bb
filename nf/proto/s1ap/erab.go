package s1ap

// ERABSetupRequest (TS 36.413 9.1.3.1) sets up dedicated bearers; each
// E-RAB carries the NAS PDU for the UE. UEAMBR is optional.
type ERABSetupRequest struct {
	UEIDs
	UEAMBR *AMBR
	ERABs  []ERABToSetup
}

func (*ERABSetupRequest) ProcedureCode() ProcedureCode { return ProcERABSetup }
func (*ERABSetupRequest) Kind() PDUKind                { return InitiatingMessage }

func (m *ERABSetupRequest) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critReject)
	if m.UEAMBR != nil {
		s.add(idUEAMBR, critReject, func(w *writer) { w.ambr(*m.UEAMBR) })
	}
	s.add(idERABToBeSetupListBearerSUReq, critReject, listOf(m.ERABs, idERABToBeSetupItemBearerSUReq, critReject,
		func(w *writer, e ERABToSetup) { writeToSetup(w, e, false) }))
	return encodePDU(m, s)
}

// ParseERABSetupRequest decodes an E-RAB Setup Request.
func ParseERABSetupRequest(b []byte) (*ERABSetupRequest, error) {
	return parseAs[*ERABSetupRequest](b)
}

// ERABSetupResponse (TS 36.413 9.1.3.2): the E-RABs set up and those that
// failed; either list may be empty.
type ERABSetupResponse struct {
	UEIDs
	ERABs  []ERABSetupItem
	Failed []ERABItem
}

func (*ERABSetupResponse) ProcedureCode() ProcedureCode { return ProcERABSetup }
func (*ERABSetupResponse) Kind() PDUKind                { return SuccessfulOutcome }

func (m *ERABSetupResponse) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critIgnore)
	if len(m.ERABs) > 0 {
		s.add(idERABSetupListBearerSURes, critIgnore, listOf(m.ERABs, idERABSetupItemBearerSURes, critIgnore, writeSetupItem))
	}
	if len(m.Failed) > 0 {
		s.add(idERABFailedToSetupListBearer, critIgnore, erabList(m.Failed))
	}
	return encodePDU(m, s)
}

// ParseERABSetupResponse decodes an E-RAB Setup Response.
func ParseERABSetupResponse(b []byte) (*ERABSetupResponse, error) {
	return parseAs[*ERABSetupResponse](b)
}

// ERABReleaseCommand (TS 36.413 9.1.3.5): the E-RABs to release with their
// causes, and optionally the NAS PDU for the UE and a new UE-AMBR.
type ERABReleaseCommand struct {
	UEIDs
	UEAMBR *AMBR
	ERABs  []ERABItem
	NASPDU []byte
}

func (*ERABReleaseCommand) ProcedureCode() ProcedureCode { return ProcERABRelease }
func (*ERABReleaseCommand) Kind() PDUKind                { return InitiatingMessage }

func (m *ERABReleaseCommand) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critReject)
	if m.UEAMBR != nil {
		s.add(idUEAMBR, critReject, func(w *writer) { w.ambr(*m.UEAMBR) })
	}
	s.add(idERABToBeReleasedList, critIgnore, erabList(m.ERABs))
	if len(m.NASPDU) > 0 {
		s.add(idNASPDU, critIgnore, nasPDU(m.NASPDU))
	}
	return encodePDU(m, s)
}

// ParseERABReleaseCommand decodes an E-RAB Release Command.
func ParseERABReleaseCommand(b []byte) (*ERABReleaseCommand, error) {
	return parseAs[*ERABReleaseCommand](b)
}

// ERABReleaseResponse (TS 36.413 9.1.3.6): the E-RAB IDs released and
// those that could not be.
type ERABReleaseResponse struct {
	UEIDs
	Released []uint8
	Failed   []ERABItem
}

func (*ERABReleaseResponse) ProcedureCode() ProcedureCode { return ProcERABRelease }
func (*ERABReleaseResponse) Kind() PDUKind                { return SuccessfulOutcome }

func (m *ERABReleaseResponse) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critIgnore)
	if len(m.Released) > 0 {
		s.add(idERABReleaseListBearerRelComp, critIgnore, listOf(m.Released, idERABReleaseItemBearerRelComp, critIgnore,
			func(w *writer, id uint8) {
				w.seq(true, false)
				w.erabID(id)
			}))
	}
	if len(m.Failed) > 0 {
		s.add(idERABFailedToReleaseList, critIgnore, erabList(m.Failed))
	}
	return encodePDU(m, s)
}

// ParseERABReleaseResponse decodes an E-RAB Release Response.
func ParseERABReleaseResponse(b []byte) (*ERABReleaseResponse, error) {
	return parseAs[*ERABReleaseResponse](b)
}

func init() {
	register(ProcERABSetup, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &ERABSetupRequest{UEIDs: s.ids()}
		s.opt(idUEAMBR, func(r *reader) { a := r.ambr(); m.UEAMBR = &a })
		s.need(idERABToBeSetupListBearerSUReq, func(r *reader) {
			m.ERABs = readList(r, idERABToBeSetupItemBearerSUReq, func(v *reader) ERABToSetup { return readToSetup(v, false) })
		})
		return m
	})
	register(ProcERABSetup, SuccessfulOutcome, ueIDsPair, func(s *ieSet) Message {
		m := &ERABSetupResponse{UEIDs: s.ids()}
		s.opt(idERABSetupListBearerSURes, func(r *reader) {
			m.ERABs = readList(r, idERABSetupItemBearerSURes, readSetupItem)
		})
		s.opt(idERABFailedToSetupListBearer, func(r *reader) { m.Failed = r.erabList() })
		return m
	})
	register(ProcERABRelease, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &ERABReleaseCommand{UEIDs: s.ids()}
		s.opt(idUEAMBR, func(r *reader) { a := r.ambr(); m.UEAMBR = &a })
		s.need(idERABToBeReleasedList, func(r *reader) { m.ERABs = r.erabList() })
		s.opt(idNASPDU, func(r *reader) { m.NASPDU = r.nasPDU() })
		return m
	})
	register(ProcERABRelease, SuccessfulOutcome, ueIDsPair, func(s *ieSet) Message {
		m := &ERABReleaseResponse{UEIDs: s.ids()}
		s.opt(idERABReleaseListBearerRelComp, func(r *reader) {
			m.Released = readList(r, idERABReleaseItemBearerRelComp, func(v *reader) uint8 {
				h := v.seq(true, 1)
				id := v.erabID()
				v.tail(h)
				return id
			})
		})
		s.opt(idERABFailedToReleaseList, func(r *reader) { m.Failed = r.erabList() })
		return m
	})
}
