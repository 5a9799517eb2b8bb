package s1ap

// RRCEstablishmentCause (TS 36.413 9.2.1.3a); the last three are
// extension values.
type RRCEstablishmentCause uint8

const (
	RRCEmergency RRCEstablishmentCause = iota
	RRCHighPriorityAccess
	RRCMTAccess
	RRCMOSignalling
	RRCMOData
	RRCDelayTolerantAccess
	RRCMOVoiceCall
	RRCMOExceptionData
)

// InitialUEMessage (TS 36.413 9.1.7.1). STMSI is set when the UE gave its
// S-TMSI to the eNB, GUMMEI when it gave the GUMMEI of its registered MME.
type InitialUEMessage struct {
	ENBUES1APID uint32
	NASPDU      []byte
	TAI         TAI
	ECGI        ECGI
	RRCCause    RRCEstablishmentCause
	STMSI       *STMSI
	GUMMEI      *GUMMEI
}

func (*InitialUEMessage) ProcedureCode() ProcedureCode { return ProcInitialUEMessage }
func (*InitialUEMessage) Kind() PDUKind                { return InitiatingMessage }

func (m *InitialUEMessage) Encode() ([]byte, error) {
	var s ies
	s.add(idENBUES1APID, critReject, enbUEID(m.ENBUES1APID))
	s.add(idNASPDU, critReject, nasPDU(m.NASPDU))
	s.add(idTAI, critReject, func(w *writer) { w.tai(m.TAI) })
	s.add(idEUTRANCGI, critIgnore, func(w *writer) { w.ecgi(m.ECGI) })
	s.add(idRRCEstablishmentCause, critIgnore, func(w *writer) { w.enum(uint64(m.RRCCause), 5, 3, true) })
	if m.STMSI != nil {
		s.add(idSTMSI, critReject, func(w *writer) { w.stmsi(*m.STMSI) })
	}
	if m.GUMMEI != nil {
		s.add(idGUMMEIID, critReject, func(w *writer) { w.gummei(*m.GUMMEI) })
	}
	return encodePDU(m, s)
}

// ParseInitialUEMessage decodes an Initial UE Message.
func ParseInitialUEMessage(b []byte) (*InitialUEMessage, error) {
	return parseAs[*InitialUEMessage](b)
}

// DownlinkNASTransport (TS 36.413 9.1.7.2).
type DownlinkNASTransport struct {
	UEIDs
	NASPDU []byte
}

func (*DownlinkNASTransport) ProcedureCode() ProcedureCode { return ProcDownlinkNASTransport }
func (*DownlinkNASTransport) Kind() PDUKind                { return InitiatingMessage }

func (m *DownlinkNASTransport) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critReject)
	s.add(idNASPDU, critReject, nasPDU(m.NASPDU))
	return encodePDU(m, s)
}

// ParseDownlinkNASTransport decodes a Downlink NAS Transport.
func ParseDownlinkNASTransport(b []byte) (*DownlinkNASTransport, error) {
	return parseAs[*DownlinkNASTransport](b)
}

// UplinkNASTransport (TS 36.413 9.1.7.3).
type UplinkNASTransport struct {
	UEIDs
	NASPDU []byte
	ECGI   ECGI
	TAI    TAI
}

func (*UplinkNASTransport) ProcedureCode() ProcedureCode { return ProcUplinkNASTransport }
func (*UplinkNASTransport) Kind() PDUKind                { return InitiatingMessage }

func (m *UplinkNASTransport) Encode() ([]byte, error) {
	var s ies
	s.addIDs(m.UEIDs, critReject)
	s.add(idNASPDU, critReject, nasPDU(m.NASPDU))
	s.add(idEUTRANCGI, critIgnore, func(w *writer) { w.ecgi(m.ECGI) })
	s.add(idTAI, critIgnore, func(w *writer) { w.tai(m.TAI) })
	return encodePDU(m, s)
}

// ParseUplinkNASTransport decodes an Uplink NAS Transport.
func ParseUplinkNASTransport(b []byte) (*UplinkNASTransport, error) {
	return parseAs[*UplinkNASTransport](b)
}

func init() {
	register(ProcInitialUEMessage, InitiatingMessage, ueIDsENB, func(s *ieSet) Message {
		m := &InitialUEMessage{}
		s.need(idENBUES1APID, func(r *reader) { m.ENBUES1APID = r.enbUEID() })
		s.need(idNASPDU, func(r *reader) { m.NASPDU = r.nasPDU() })
		s.need(idTAI, func(r *reader) { m.TAI = r.tai() })
		s.need(idEUTRANCGI, func(r *reader) { m.ECGI = r.ecgi() })
		s.need(idRRCEstablishmentCause, func(r *reader) {
			v := r.enum(5, true)
			if r.err == nil && v > uint64(RRCMOExceptionData) {
				r.fail("RRC establishment cause %d", v)
			}
			m.RRCCause = RRCEstablishmentCause(v)
		})
		s.opt(idSTMSI, func(r *reader) { v := r.stmsi(); m.STMSI = &v })
		s.opt(idGUMMEIID, func(r *reader) { v := r.gummei(); m.GUMMEI = &v })
		return m
	})
	register(ProcDownlinkNASTransport, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &DownlinkNASTransport{UEIDs: s.ids()}
		s.need(idNASPDU, func(r *reader) { m.NASPDU = r.nasPDU() })
		return m
	})
	register(ProcUplinkNASTransport, InitiatingMessage, ueIDsPair, func(s *ieSet) Message {
		m := &UplinkNASTransport{UEIDs: s.ids()}
		s.need(idNASPDU, func(r *reader) { m.NASPDU = r.nasPDU() })
		s.need(idEUTRANCGI, func(r *reader) { m.ECGI = r.ecgi() })
		s.need(idTAI, func(r *reader) { m.TAI = r.tai() })
		return m
	})
}
