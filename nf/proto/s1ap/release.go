package s1ap

import "fmt"

// UEContextReleaseRequest (TS 36.413 9.1.4), eNB to MME.
type UEContextReleaseRequest struct {
	UEIDs
	Cause Cause
}

func (*UEContextReleaseRequest) ProcedureCode() ProcedureCode { return ProcUEContextReleaseRequest }
func (*UEContextReleaseRequest) Kind() PDUKind                { return InitiatingMessage }

func (m *UEContextReleaseRequest) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critReject)
	s.add(idCause, critIgnore, causeIE(m.Cause))
	return encodePDU(m, s)
}

// ParseUEContextReleaseRequest decodes a UE Context Release Request.
func ParseUEContextReleaseRequest(b []byte) (*UEContextReleaseRequest, error) {
	return parseAs[*UEContextReleaseRequest](b)
}

// UEContextReleaseCommand (TS 36.413 9.1.4). Its UE-S1AP-IDs is a choice:
// the ID pair, or with MMEIDOnly the MME UE S1AP ID alone (ENBUES1APID is
// then zero).
type UEContextReleaseCommand struct {
	UEIDs
	MMEIDOnly bool
	Cause     Cause
}

func (*UEContextReleaseCommand) ProcedureCode() ProcedureCode { return ProcUEContextRelease }
func (*UEContextReleaseCommand) Kind() PDUKind                { return InitiatingMessage }

func (m *UEContextReleaseCommand) Encode() ([]byte, error) {
	if m.MMEIDOnly && m.ENBUES1APID != 0 {
		return nil, fmt.Errorf("s1ap: UE Context Release Command: eNB UE S1AP ID %d with MMEIDOnly", m.ENBUES1APID)
	}
	var s ies
	s.add(idUES1APIDs, critReject, func(w *writer) {
		if m.MMEIDOnly {
			w.choice(1, 2, true)
			mmeUEID(m.MMEUES1APID)(w)
			return
		}
		w.choice(0, 2, true)
		w.seq(true, false)
		mmeUEID(m.MMEUES1APID)(w)
		enbUEID(m.ENBUES1APID)(w)
	})
	s.add(idCause, critIgnore, causeIE(m.Cause))
	return encodePDU(m, s)
}

// ueS1APIDs reads the UE-S1AP-IDs choice.
func (r *reader) ueS1APIDs() (u UEIDs, mmeOnly bool) {
	switch c := r.choice(2, true); {
	case r.err != nil:
	case c == 0:
		h := r.seq(true, 1)
		u.MMEUES1APID = r.mmeUEID()
		u.ENBUES1APID = r.enbUEID()
		r.tail(h)
	case c == 1:
		u.MMEUES1APID, mmeOnly = r.mmeUEID(), true
	default:
		r.fail("unknown UE-S1AP-IDs choice %d", c)
	}
	return u, mmeOnly
}

// ParseUEContextReleaseCommand decodes a UE Context Release Command.
func ParseUEContextReleaseCommand(b []byte) (*UEContextReleaseCommand, error) {
	return parseAs[*UEContextReleaseCommand](b)
}

// UEContextReleaseComplete (TS 36.413 9.1.4).
type UEContextReleaseComplete struct {
	UEIDs
}

func (*UEContextReleaseComplete) ProcedureCode() ProcedureCode { return ProcUEContextRelease }
func (*UEContextReleaseComplete) Kind() PDUKind                { return SuccessfulOutcome }

func (m *UEContextReleaseComplete) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critIgnore)
	return encodePDU(m, s)
}

// ParseUEContextReleaseComplete decodes a UE Context Release Complete.
func ParseUEContextReleaseComplete(b []byte) (*UEContextReleaseComplete, error) {
	return parseAs[*UEContextReleaseComplete](b)
}

func init() {
	register(ProcUEContextReleaseRequest, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &UEContextReleaseRequest{UEIDs: s.ids()}
		s.need(idCause, func(r *reader) { m.Cause = r.cause() })
		return m
	})
	register(ProcUEContextRelease, InitiatingMessage, ueIDsChoice, func(s *ieSet) Message {
		m := &UEContextReleaseCommand{}
		s.need(idUES1APIDs, func(r *reader) { m.UEIDs, m.MMEIDOnly = r.ueS1APIDs() })
		s.need(idCause, func(r *reader) { m.Cause = r.cause() })
		return m
	})
	register(ProcUEContextRelease, SuccessfulOutcome, ueIDsPair, func(s *ieSet) Message {
		return &UEContextReleaseComplete{UEIDs: s.ids()}
	})
}
