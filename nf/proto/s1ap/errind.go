package s1ap

// ErrorIndication (TS 36.413 9.1.8.3). Every IE is optional; the UE S1AP
// IDs are there when the error concerns a UE-associated signalling
// connection.
type ErrorIndication struct {
	MMEUES1APID *uint32
	ENBUES1APID *uint32
	Cause       *Cause
	STMSI       *STMSI
}

func (*ErrorIndication) ProcedureCode() ProcedureCode { return ProcErrorIndication }
func (*ErrorIndication) Kind() PDUKind                { return InitiatingMessage }

func (m *ErrorIndication) Encode() ([]byte, error) {
	var s ies
	if m.MMEUES1APID != nil {
		s.add(idMMEUES1APID, critIgnore, mmeUEID(*m.MMEUES1APID))
	}
	if m.ENBUES1APID != nil {
		s.add(idENBUES1APID, critIgnore, enbUEID(*m.ENBUES1APID))
	}
	if m.Cause != nil {
		s.add(idCause, critIgnore, causeIE(*m.Cause))
	}
	if m.STMSI != nil {
		s.add(idSTMSI, critIgnore, func(w *writer) { w.stmsi(*m.STMSI) })
	}
	return encodePDU(m, s)
}

// ParseErrorIndication decodes an Error Indication.
func ParseErrorIndication(b []byte) (*ErrorIndication, error) {
	return parseAs[*ErrorIndication](b)
}

func init() {
	register(ProcErrorIndication, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &ErrorIndication{}
		s.opt(idMMEUES1APID, func(r *reader) { v := r.mmeUEID(); m.MMEUES1APID = &v })
		s.opt(idENBUES1APID, func(r *reader) { v := r.enbUEID(); m.ENBUES1APID = &v })
		s.opt(idCause, func(r *reader) { v := r.cause(); m.Cause = &v })
		s.opt(idSTMSI, func(r *reader) { v := r.stmsi(); m.STMSI = &v })
		return m
	})
}
