package amf

import (
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// ueIDs returns the UE NGAP ID pair of a UE-associated message we handle.
func ueIDs(m n2.Message) (n2.UEIDs, bool) {
	switch v := m.(type) {
	case *n2.UplinkNASTransport:
		return v.UEIDs, true
	case *n2.InitialContextSetupResponse:
		return v.UEIDs, true
	case *n2.InitialContextSetupFailure:
		return v.UEIDs, true
	case *n2.PDUSessionResourceSetupResponse:
		return v.UEIDs, true
	case *n2.PDUSessionResourceReleaseResponse:
		return v.UEIDs, true
	case *n2.PDUSessionResourceModifyResponse:
		return v.UEIDs, true
	case *n2.UEContextReleaseRequest:
		return v.UEIDs, true
	case *n2.UEContextReleaseComplete:
		return v.UEIDs, true
	}
	return n2.UEIDs{}, false
}

// headerOf is the dispatch header of a typed message, for Error Indications.
func headerOf(m n2.Message) n2.Header {
	h := n2.Header{ProcedureCode: m.ProcedureCode(), Type: m.MessageType()}
	if ids, ok := ueIDs(m); ok {
		h.AMFUENGAPID, h.HasAMFUENGAPID = ids.AMFUENGAPID, true
		h.RANUENGAPID, h.HasRANUENGAPID = ids.RANUENGAPID, true
	}
	if im, ok := m.(*n2.InitialUEMessage); ok {
		h.RANUENGAPID, h.HasRANUENGAPID = im.RANUENGAPID, true
	}
	return h
}

// ueMessage routes a UE-associated message to its UE's executor, or
// answers an Error Indication when the IDs name no UE of this gNB.
func (g *gnb) ueMessage(msg n2.Message) {
	if im, ok := msg.(*n2.InitialUEMessage); ok {
		g.initialUE(im)
		return
	}
	ids, ok := ueIDs(msg)
	if !ok {
		g.n.m.ngapUnexpected.Inc()
		g.log.Warn("unexpected NGAP message from a gNB", "procedure", msg.ProcedureCode(), "type", msg.MessageType())
		g.errorIndication(headerOf(msg), n2.CauseSemanticError)
		return
	}
	v, found := g.n.ues.byAMFID.Load(ids.AMFUENGAPID)
	if !found || v.(*ranUE).g != g || v.(*ranUE).ranID != ids.RANUENGAPID {
		g.n.m.ngapUnexpected.Inc()
		g.log.Info("NGAP message for an unknown UE", "procedure", msg.ProcedureCode(),
			"amf_ue_ngap_id", ids.AMFUENGAPID, "ran_ue_ngap_id", ids.RANUENGAPID)
		g.errorIndication(headerOf(msg), n2.CauseUnknownLocalUENGAPID)
		return
	}
	r := v.(*ranUE)
	r.u.do(func() { r.u.onNGAP(r, msg) })
}

// initialUE starts a UE-associated connection: the UE context is the one
// its 5G-S-TMSI or 5G-GUTI names, else a new one.
func (g *gnb) initialUE(im *n2.InitialUEMessage) {
	n := g.n
	var u *ue
	if im.STMSI != nil {
		u = n.bySTMSI(*im.STMSI)
	}
	if u == nil {
		u = n.byNASIdentity(im.NASPDU)
	}
	if u == nil {
		u = n.newUE()
	}
	r := n.newRAN(g, im.RANUENGAPID, im.Location, u)
	u.do(func() {
		u.attach(r)
		u.onUplinkNAS(r, im.NASPDU)
	})
}

// byNASIdentity finds the UE an initial NAS message names by 5G-GUTI or
// 5G-S-TMSI, reading it without verification (the procedure checks the
// integrity later).
func (n *NF) byNASIdentity(pdu []byte) *ue {
	plain := pdu
	if ht, err := nas5g.HeaderTypeOf(pdu); err != nil {
		return nil
	} else if ht != nas5g.Plain {
		if ht != nas5g.IntegrityProtected {
			return nil // ciphered: an initial message never is
		}
		if _, plain, err = nas5g.ParseSecurityHeader(pdu); err != nil {
			return nil
		}
	}
	mt, _, err := nas5g.PeekType(plain)
	if err != nil {
		return nil
	}
	switch mt {
	case nas5g.MsgRegistrationRequest:
		if rr, err := nas5g.ParseRegistrationRequest(plain); err == nil && rr.Identity.GUTI != nil {
			return n.byGUTI(*rr.Identity.GUTI)
		}
	case nas5g.MsgServiceRequest:
		if sr, err := nas5g.ParseServiceRequest(plain); err == nil {
			return n.bySTMSI(sr.STMSI)
		}
	case nas5g.MsgDeregistrationRequestUEOriginating:
		if dr, err := nas5g.ParseDeregistrationRequest(plain); err == nil && dr.Identity.GUTI != nil {
			return n.byGUTI(*dr.Identity.GUTI)
		}
	}
	return nil
}

// attach makes r the UE's connection; a previous one is released.
func (u *ue) attach(r *ranUE) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.gone {
		u.resetLocked()
	}
	old := u.ran
	u.setRAN(r)
	if old != nil && old != r {
		u.sendReleaseLocked(old, n2.CauseRelease5GCReason)
	}
}

// resetLocked turns a forgotten context object into a blank one.
func (u *ue) resetLocked() {
	u.state, u.ran, u.supi, u.suci, u.guti = mmDeregistered, nil, "", "", nil
	u.sec, u.ngKSI, u.kamf, u.secCap, u.lastUL = nil, nas5g.NoKey, aka.Key256{}, nas5g.UESecurityCapability{}, 0
	u.allowed, u.reg, u.timer, u.pending, u.gone = nil, nil, nil, nil, false
	u.sessions, u.ambr = map[uint8]*session{}, defaultUEAMBR
}

// current reports whether r is still the UE's connection.
func (u *ue) current(r *ranUE) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ran == r
}

// onNGAP handles a UE-associated message on the UE's executor.
func (u *ue) onNGAP(r *ranUE, msg n2.Message) {
	switch m := msg.(type) {
	case *n2.UplinkNASTransport:
		u.mu.Lock()
		r.loc = m.Location
		u.mu.Unlock()
		u.onUplinkNAS(r, m.NASPDU)
	case *n2.InitialContextSetupResponse:
		u.onICSResponse(r, m)
	case *n2.InitialContextSetupFailure:
		u.onICSFailure(r, m)
	case *n2.PDUSessionResourceSetupResponse:
		u.onSetupResponse(r, m.Sessions, m.Failed)
	case *n2.PDUSessionResourceReleaseResponse:
		u.onReleaseResponse(r, m)
	case *n2.PDUSessionResourceModifyResponse:
		u.onModifyResponse(m)
	case *n2.UEContextReleaseRequest:
		u.onReleaseRequest(r, m)
	case *n2.UEContextReleaseComplete:
		u.onReleaseComplete(r)
	}
}
