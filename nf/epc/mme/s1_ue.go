package mme

import (
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// ueIDs returns the UE S1AP ID pair of a UE-associated message we handle.
func ueIDs(msg s1ap.Message) (s1ap.UEIDs, bool) {
	switch v := msg.(type) {
	case *s1ap.UplinkNASTransport:
		return v.UEIDs, true
	case *s1ap.InitialContextSetupResponse:
		return v.UEIDs, true
	case *s1ap.InitialContextSetupFailure:
		return v.UEIDs, true
	case *s1ap.ERABSetupResponse:
		return v.UEIDs, true
	case *s1ap.ERABReleaseResponse:
		return v.UEIDs, true
	case *s1ap.UEContextReleaseRequest:
		return v.UEIDs, true
	case *s1ap.UEContextReleaseComplete:
		return v.UEIDs, true
	}
	return s1ap.UEIDs{}, false
}

// infoOf is the dispatch view of a typed message, for Error Indications.
func infoOf(msg s1ap.Message) s1ap.Info {
	info := s1ap.Info{ProcedureCode: msg.ProcedureCode(), Kind: msg.Kind(), Name: msgName(msg)}
	if ids, ok := ueIDs(msg); ok {
		info.MMEUES1APID, info.HasMMEUES1APID = ids.MMEUES1APID, true
		info.ENBUES1APID, info.HasENBUES1APID = ids.ENBUES1APID, true
	}
	if im, ok := msg.(*s1ap.InitialUEMessage); ok {
		info.ENBUES1APID, info.HasENBUES1APID = im.ENBUES1APID, true
	}
	return info
}

// ueMessage routes a UE-associated message to its UE's executor, or
// answers an Error Indication when the IDs name no UE of this eNB.
func (e *enb) ueMessage(msg s1ap.Message) {
	if im, ok := msg.(*s1ap.InitialUEMessage); ok {
		e.initialUE(im)
		return
	}
	ids, ok := ueIDs(msg)
	if !ok {
		e.log.Warn("unexpected S1AP message from an eNB", "message", msgName(msg))
		e.errorIndication(infoOf(msg), s1ap.CauseSemanticError)
		return
	}
	v, found := e.m.ues.byMMEID.Load(ids.MMEUES1APID)
	if !found || v.(*enbUE).e != e || v.(*enbUE).enbID != ids.ENBUES1APID {
		e.log.Info("S1AP message for an unknown UE", "message", msgName(msg),
			"mme_ue_s1ap_id", ids.MMEUES1APID, "enb_ue_s1ap_id", ids.ENBUES1APID)
		e.errorIndication(infoOf(msg), s1ap.CauseUnknownPairUES1APID)
		return
	}
	c := v.(*enbUE)
	c.u.do(func() { c.u.onS1AP(c, msg) })
}

// initialUE starts a UE-associated connection: the UE context is the one
// its S-TMSI or GUTI names, else a new one.
func (e *enb) initialUE(im *s1ap.InitialUEMessage) {
	m := e.m
	var u *ue
	if im.STMSI != nil {
		u = m.bySTMSI(*im.STMSI)
	}
	if u == nil {
		u = m.byNASIdentity(im.NASPDU)
	}
	if u == nil {
		u = m.newUE()
	}
	c := m.newConn(e, im.ENBUES1APID, u)
	tai := naseps.TAI{PLMN: naseps.PLMN(im.TAI.PLMN), TAC: im.TAI.TAC}
	u.do(func() {
		u.bind(c, tai)
		u.onUplinkNAS(c, im.NASPDU)
	})
}

// byNASIdentity finds the UE an initial NAS message names by GUTI,
// reading it without verification (the procedure checks integrity later).
func (m *MME) byNASIdentity(pdu []byte) *ue {
	plain := pdu
	ht, err := naseps.HeaderTypeOf(pdu)
	switch {
	case err != nil:
		return nil
	case ht == naseps.IntegrityProtected:
		if _, plain, err = naseps.ParseSecurityHeader(pdu); err != nil {
			return nil
		}
	case ht != naseps.Plain:
		return nil // ciphered, or a Service Request (named by S-TMSI)
	}
	msg, err := naseps.Parse(plain)
	if err != nil {
		return nil
	}
	var id naseps.EPSMobileIdentity
	switch v := msg.(type) {
	case *naseps.AttachRequest:
		id = v.Identity
	case *naseps.TAURequest:
		id = v.OldGUTI
	case *naseps.DetachRequest:
		id = v.Identity
	}
	if id.Type != naseps.EPSIdentityGUTI {
		return nil
	}
	return m.byGUTI(id.GUTI)
}

// bind makes c the UE's connection; a previous one is released.
func (u *ue) bind(c *enbUE, tai naseps.TAI) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.gone {
		u.reviveLocked()
	}
	old := u.conn
	u.setConnLocked(c)
	u.tai = tai
	if old != nil && old != c {
		u.sendReleaseLocked(old, s1ap.CauseReleaseEUTRANReason)
	}
}

// reviveLocked turns a forgotten context object back into a blank one
// (an initial message raced with its removal).
func (u *ue) reviveLocked() {
	u.state, u.conn, u.imsi, u.guti, u.sec, u.ksi = emmDeregistered, nil, "", nil, nil, naseps.KSINoKey
	u.sub, u.teid, u.pdns, u.attach, u.timer, u.paging = nil, 0, map[uint8]*pdn{}, nil, nil, false
	u.changeLocked(func() { u.gone = false })
}

// onS1AP handles a UE-associated message on the UE's executor.
func (u *ue) onS1AP(c *enbUE, msg s1ap.Message) {
	switch v := msg.(type) {
	case *s1ap.UplinkNASTransport:
		u.mu.Lock()
		if u.conn == c {
			u.tai = naseps.TAI{PLMN: naseps.PLMN(v.TAI.PLMN), TAC: v.TAI.TAC}
		}
		u.mu.Unlock()
		u.onUplinkNAS(c, v.NASPDU)
	case *s1ap.InitialContextSetupResponse:
		u.onICSResponse(c, v)
	case *s1ap.InitialContextSetupFailure:
		u.onICSFailure(c, v)
	case *s1ap.ERABSetupResponse:
		u.onERABSetupResponse(c, v)
	case *s1ap.ERABReleaseResponse:
		u.onERABReleaseResponse(c, v)
	case *s1ap.UEContextReleaseRequest:
		u.onReleaseRequest(c, v)
	case *s1ap.UEContextReleaseComplete:
		u.onReleaseComplete(c)
	}
}
