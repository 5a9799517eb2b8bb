package enb

import (
	"errors"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// handleS1AP handles one S1AP PDU from the MME of link l. Malformed PDUs
// are counted, logged and answered with an Error Indication; nothing here
// panics on any input.
func (n *ENB) handleS1AP(l *mmeLink, pdu []byte) {
	m, err := s1ap.Decode(pdu)
	if err != nil {
		n.badS1AP(l, pdu, err)
		return
	}
	n.m.s1ap.WithLabelValues("rx", s1apName(m.ProcedureCode())).Inc()
	switch r := m.(type) {
	case *s1ap.DownlinkNASTransport:
		if ue := n.ueFor(l, r.UEIDs); ue != nil {
			n.touch(ue)
			n.toUE(ue.key, radio.DownlinkNAS, 0, r.NASPDU)
		}
	case *s1ap.InitialContextSetupRequest:
		n.initialContextSetup(l, r)
	case *s1ap.ERABSetupRequest:
		n.erabSetup(l, r)
	case *s1ap.ERABReleaseCommand:
		n.erabRelease(l, r)
	case *s1ap.UEContextReleaseCommand:
		n.contextRelease(l, r)
	case *s1ap.Paging:
		n.page(r)
	case *s1ap.ErrorIndication:
		n.errorIndication(l, r)
	default:
		n.log.Debug("s1ap message ignored", "message", s1apName(m.ProcedureCode()), "kind", m.Kind().String())
	}
}

// badS1AP counts a PDU we cannot use and tells the MME (TS 36.413 10.3:
// transfer syntax error), naming the UE when the PDU gives it away. A
// well-formed message we have no handler for is only logged.
func (n *ENB) badS1AP(l *mmeLink, pdu []byte, err error) {
	info, cerr := s1ap.Classify(pdu)
	if errors.Is(err, s1ap.ErrUnsupported) {
		n.m.s1ap.WithLabelValues("rx", s1apName(info.ProcedureCode)).Inc()
		n.log.Debug("s1ap message without a handler", "message", info.Name)
		return
	}
	n.m.malformed.WithLabelValues(srcS1AP).Inc()
	n.log.Warn("malformed s1ap pdu", "err", err, "len", len(pdu))
	ei := &s1ap.ErrorIndication{Cause: &s1ap.CauseTransferSyntaxError}
	if cerr == nil && info.HasMMEUES1APID {
		ei.MMEUES1APID = &info.MMEUES1APID
	}
	if cerr == nil && info.HasENBUES1APID {
		ei.ENBUES1APID = &info.ENBUES1APID
	}
	n.sendErrorIndication(l, ei)
}

func (n *ENB) sendErrorIndication(l *mmeLink, ei *s1ap.ErrorIndication) {
	n.m.errorInds.WithLabelValues("tx", protoS1AP).Inc()
	n.sendNonUE(l, ei)
}

// ueFor finds the UE an MME message names, answering an Error Indication
// (unknown eNB UE S1AP ID, or unknown pair) when there is none.
func (n *ENB) ueFor(l *mmeLink, ids s1ap.UEIDs) *ueCtx {
	ue, cause := n.ues.forMME(l, ids)
	if ue != nil {
		return ue
	}
	n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
	mme, enb := ids.MMEUES1APID, ids.ENBUES1APID
	n.sendErrorIndication(l, &s1ap.ErrorIndication{MMEUES1APID: &mme, ENBUES1APID: &enb, Cause: &cause})
	return nil
}

// initialContextSetup stores KeNB, sets up the E-RABs the request
// carries, relays their NAS PDUs (Attach Accept) and answers: a Response
// when at least one E-RAB is up, else a Failure.
func (n *ENB) initialContextSetup(l *mmeLink, r *s1ap.InitialContextSetupRequest) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	n.touch(ue)
	n.ues.setKey(ue, r.SecurityKey)
	ok, nas, failed := n.setupERABs(ue, r.ERABs, true)
	if len(ok) == 0 {
		cause := s1ap.CauseRadioResourcesNotAvailable
		if len(failed) > 0 {
			cause = failed[0].Cause
		}
		n.sendUE(l, ue.enbID, &s1ap.InitialContextSetupFailure{UEIDs: r.UEIDs, Cause: cause})
		return
	}
	n.relayNAS(ue, nas)
	n.sendUE(l, ue.enbID, &s1ap.InitialContextSetupResponse{UEIDs: r.UEIDs, ERABs: ok, Failed: failed})
	n.erabsReady(ue, ok)
}

// erabSetup sets up dedicated bearers: the user plane of each E-RAB, its
// NAS PDU (Activate Dedicated EPS Bearer Context Request) to the UE, and
// the Response.
func (n *ENB) erabSetup(l *mmeLink, r *s1ap.ERABSetupRequest) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	n.touch(ue)
	ok, nas, failed := n.setupERABs(ue, r.ERABs, false)
	n.relayNAS(ue, nas)
	n.sendUE(l, ue.enbID, &s1ap.ERABSetupResponse{UEIDs: r.UEIDs, ERABs: ok, Failed: failed})
	n.erabsReady(ue, ok)
}

func (n *ENB) relayNAS(ue *ueCtx, pdus [][]byte) {
	for _, p := range pdus {
		n.toUE(ue.key, radio.DownlinkNAS, 0, p)
	}
}

// erabsReady tells the UE which bearers now carry data (radio
// SessionReady with the EPS bearer identity).
func (n *ENB) erabsReady(ue *ueCtx, items []s1ap.ERABSetupItem) {
	for _, it := range items {
		n.toUE(ue.key, radio.SessionReady, uint16(it.ID), nil)
	}
}

// erabRelease tears down E-RABs' user plane, relays the NAS PDU
// (Deactivate EPS Bearer Context Request) and answers; an E-RAB the UE
// does not have is listed as failed (unknown E-RAB ID).
func (n *ENB) erabRelease(l *mmeLink, r *s1ap.ERABReleaseCommand) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	n.touch(ue)
	resp := &s1ap.ERABReleaseResponse{UEIDs: r.UEIDs}
	for _, it := range r.ERABs {
		if old := n.ues.removeERAB(ue, it.ID); old != nil {
			n.removeTunnel(old)
			resp.Released = append(resp.Released, it.ID)
			continue
		}
		resp.Failed = append(resp.Failed, s1ap.ERABItem{ID: it.ID, Cause: s1ap.CauseUnknownERABID})
	}
	if len(r.NASPDU) > 0 {
		n.toUE(ue.key, radio.DownlinkNAS, 0, r.NASPDU)
	}
	n.sendUE(l, ue.enbID, resp)
}

// contextRelease releases a UE (RRC release over the radio) and confirms.
// An unknown UE is confirmed too: the MME wants its context gone.
func (n *ENB) contextRelease(l *mmeLink, r *s1ap.UEContextReleaseCommand) {
	var ue *ueCtx
	if r.MMEIDOnly {
		ue = n.ues.byMMEID(l, r.MMEUES1APID)
	} else {
		ue, _ = n.ues.forMME(l, r.UEIDs)
	}
	ids := r.UEIDs
	if ue != nil {
		ids, _ = n.ues.ids(ue)
		n.releaseLocal(ue)
	} else {
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
	}
	n.sendUE(l, ids.ENBUES1APID, &s1ap.UEContextReleaseComplete{UEIDs: ids})
}

// releaseLocal drops a UE context and its user plane and tells the UE.
func (n *ENB) releaseLocal(ue *ueCtx) {
	if n.ues.remove(ue) {
		n.releaseUserPlane(ue)
		n.sendRelease(ue.key)
	}
}

// page sends a radio Paging with the S-TMSI to every UE simulator seen,
// when the paging covers our tracking area. IMSI paging has no radio
// form here: it is counted and dropped.
func (n *ENB) page(r *s1ap.Paging) {
	ours := false
	for _, t := range r.TAIs {
		ours = ours || t == n.cfg.tai()
	}
	if !ours {
		n.m.dropped.WithLabelValues(dropOtherTA).Inc()
		return
	}
	if r.STMSI == nil {
		n.m.dropped.WithLabelValues(dropIMSIPaging).Inc()
		n.log.Debug("paging by IMSI not forwarded: the radio pages by S-TMSI only")
		return
	}
	if err := n.paged.add(*r.STMSI); err != nil {
		n.log.Debug("paged s-tmsi not remembered", "err", err)
	}
	body := stmsiBody(*r.STMSI)
	for _, sim := range n.simAddrs() {
		n.sendRadio(sim, radio.Message{Type: radio.Paging, Body: body[:]})
	}
}

// errorIndication from the MME is counted and logged. When it says the
// MME does not know a UE we hold, that UE is released locally: nothing
// more can be done for it.
func (n *ENB) errorIndication(l *mmeLink, r *s1ap.ErrorIndication) {
	n.m.errorInds.WithLabelValues("rx", protoS1AP).Inc()
	n.log.Warn("error indication from mme", "mme", l.addr, "cause", causeString(r.Cause))
	if r.Cause == nil || !unknownUECause(*r.Cause) {
		return
	}
	var ue *ueCtx
	switch {
	case r.ENBUES1APID != nil && r.MMEUES1APID != nil:
		ue, _ = n.ues.forMME(l, s1ap.UEIDs{MMEUES1APID: *r.MMEUES1APID, ENBUES1APID: *r.ENBUES1APID})
	case r.MMEUES1APID != nil:
		ue = n.ues.byMMEID(l, *r.MMEUES1APID)
	case r.ENBUES1APID != nil:
		ue = n.ues.byENBOf(l, *r.ENBUES1APID)
	}
	if ue != nil {
		n.releaseLocal(ue)
	}
}

func unknownUECause(c s1ap.Cause) bool {
	return c == s1ap.CauseUnknownMMEUES1APID || c == s1ap.CauseUnknownENBUES1APID || c == s1ap.CauseUnknownPairUES1APID
}

func causeString(c *s1ap.Cause) string {
	if c == nil {
		return "none"
	}
	return c.String()
}
