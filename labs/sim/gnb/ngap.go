package gnb

import (
	"errors"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// handleNGAP handles one NGAP PDU from the AMF of link l. Malformed PDUs
// are counted, logged and answered with an Error Indication; nothing here
// panics on any input.
func (n *NF) handleNGAP(l *amfLink, pdu []byte) {
	m, err := n2.Decode(pdu)
	if err != nil {
		n.badNGAP(l, pdu, err)
		return
	}
	n.m.ngap.WithLabelValues("rx", ngapName(m.ProcedureCode())).Inc()
	switch r := m.(type) {
	case *n2.DownlinkNASTransport:
		if ue := n.ueFor(l, r.UEIDs); ue != nil {
			n.toUE(ue.key, radio.DownlinkNAS, 0, r.NASPDU)
		}
	case *n2.InitialContextSetupRequest:
		n.initialContextSetup(l, r)
	case *n2.PDUSessionResourceSetupRequest:
		n.sessionSetup(l, r)
	case *n2.PDUSessionResourceReleaseCommand:
		n.sessionRelease(l, r)
	case *n2.PDUSessionResourceModifyRequest:
		n.sessionModify(l, r)
	case *n2.UEContextReleaseCommand:
		n.contextRelease(l, r)
	case *n2.Paging:
		n.page(r)
	case *n2.ErrorIndication:
		n.errorIndication(l, r)
	default:
		n.log.Debug("ngap message ignored", "message", ngapName(m.ProcedureCode()), "type", m.MessageType())
	}
}

// badNGAP counts a PDU we cannot use and tells the AMF (TS 38.413 10.3:
// transfer syntax error), naming the UE when the header gives it away.
func (n *NF) badNGAP(l *amfLink, pdu []byte, err error) {
	if errors.Is(err, n2.ErrUnsupported) {
		n.log.Debug("ngap message without a handler", "err", err)
		return
	}
	n.m.malformed.WithLabelValues("ngap").Inc()
	n.log.Warn("malformed ngap pdu", "err", err, "len", len(pdu))
	ei := &n2.ErrorIndication{Cause: &n2.CauseTransferSyntaxError}
	// Classify may read the header and IDs of a PDU whose body is bad.
	h, _ := n2.Classify(pdu)
	if h.HasAMFUENGAPID {
		ei.AMFUENGAPID = &h.AMFUENGAPID
	}
	if h.HasRANUENGAPID {
		ei.RANUENGAPID = &h.RANUENGAPID
	}
	n.sendErrorIndication(l, ei)
}

func (n *NF) sendErrorIndication(l *amfLink, ei *n2.ErrorIndication) {
	n.m.errorInds.WithLabelValues("tx", "ngap").Inc()
	n.sendNonUE(l, ei)
}

// ueFor finds the UE an AMF message names, answering an Error Indication
// (unknown local UE NGAP ID) when there is none.
func (n *NF) ueFor(l *amfLink, ids n2.UEIDs) *ueCtx {
	if ue := n.ues.forAMF(l, ids); ue != nil {
		return ue
	}
	n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
	amf, ran := ids.AMFUENGAPID, ids.RANUENGAPID
	n.sendErrorIndication(l, &n2.ErrorIndication{AMFUENGAPID: &amf, RANUENGAPID: &ran, Cause: &n2.CauseUnknownLocalUENGAPID})
	return nil
}

// initialContextSetup stores the security key, sets up the sessions the
// request carries, relays its NAS PDU and answers.
func (n *NF) initialContextSetup(l *amfLink, r *n2.InitialContextSetupRequest) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	n.ues.setKey(ue, r.SecurityKey)
	if len(r.NASPDU) > 0 {
		n.toUE(ue.key, radio.DownlinkNAS, 0, r.NASPDU)
	}
	ok, failed, ready := n.setupSessions(ue, r.Sessions)
	n.sendUE(l, ue.ranID, &n2.InitialContextSetupResponse{UEIDs: r.UEIDs, Sessions: ok, Failed: failed})
	n.sessionsReady(ue.key, ready)
}

// sessionSetup sets up the requested sessions' user plane, relays the NAS
// PDUs (PDU Session Establishment Accept) and answers.
func (n *NF) sessionSetup(l *amfLink, r *n2.PDUSessionResourceSetupRequest) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	if len(r.NASPDU) > 0 {
		n.toUE(ue.key, radio.DownlinkNAS, 0, r.NASPDU)
	}
	for _, s := range r.Sessions {
		if len(s.NASPDU) > 0 {
			n.toUE(ue.key, radio.DownlinkNAS, 0, s.NASPDU)
		}
	}
	ok, failed, ready := n.setupSessions(ue, r.Sessions)
	n.sendUE(l, ue.ranID, &n2.PDUSessionResourceSetupResponse{UEIDs: r.UEIDs, Sessions: ok, Failed: failed})
	n.sessionsReady(ue.key, ready)
}

func (n *NF) sessionsReady(key ueKey, ids []uint8) {
	for _, id := range ids {
		n.toUE(key, radio.SessionReady, uint16(id), nil)
	}
}

// sessionRelease tears down sessions' user plane, relays the NAS PDU (PDU
// Session Release Command) and answers.
func (n *NF) sessionRelease(l *amfLink, r *n2.PDUSessionResourceReleaseCommand) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	if len(r.NASPDU) > 0 {
		n.toUE(ue.key, radio.DownlinkNAS, 0, r.NASPDU)
	}
	empty, err := (&n2.ReleaseResponseTransfer{}).Encode()
	if err != nil {
		n.log.Error("encode release response transfer", "err", err)
		return
	}
	resp := &n2.PDUSessionResourceReleaseResponse{UEIDs: r.UEIDs}
	for _, s := range r.Sessions {
		if old := n.ues.removeSession(ue, s.PDUSessionID); old != nil {
			n.removeTunnel(old)
		}
		resp.Sessions = append(resp.Sessions, n2.SessionTransfer{PDUSessionID: s.PDUSessionID, Transfer: empty})
	}
	n.sendUE(l, ue.ranID, resp)
}

// contextRelease releases a UE (RRC release over the radio) and confirms.
// An unknown UE is confirmed too: the AMF wants its context gone.
func (n *NF) contextRelease(l *amfLink, r *n2.UEContextReleaseCommand) {
	var ue *ueCtx
	if r.AMFIDOnly {
		ue = n.ues.byAMFID(l, r.AMFUENGAPID)
	} else {
		ue = n.ues.forAMF(l, r.UEIDs)
	}
	ids := r.UEIDs
	if ue != nil {
		ids, _ = n.ues.ids(ue)
		n.releaseLocal(ue)
	} else {
		n.m.dropped.WithLabelValues(dropUnknownUE).Inc()
	}
	n.sendUE(l, ids.RANUENGAPID, &n2.UEContextReleaseComplete{UEIDs: ids})
}

// releaseLocal drops a UE context and its user plane and tells the UE.
func (n *NF) releaseLocal(ue *ueCtx) {
	if n.ues.remove(ue) {
		n.releaseUserPlane(ue)
		n.sendRelease(ue.key)
	}
}

// page sends a radio Paging to every UE simulator seen, when the paging
// covers our tracking area.
func (n *NF) page(r *n2.Paging) {
	ours := len(r.TAIs) == 0
	for _, t := range r.TAIs {
		ours = ours || (t.TAC == n.cfg.TAC && t.PLMN == n.cfg.PLMN.nas())
	}
	if !ours {
		return
	}
	body := stmsiBytes(r.STMSI)
	for _, sim := range n.simAddrs() {
		n.sendRadio(sim, radio.Message{Type: radio.Paging, Body: body[:]})
	}
}

// stmsiBytes is the radio Paging body: AMF set ID (10 bits) and pointer
// (6 bits) in two octets, then the 5G-TMSI.
func stmsiBytes(s nas5g.STMSI) [6]byte {
	v := s.AMFSetID<<6 | uint16(s.AMFPointer&0x3F)
	return [6]byte{byte(v >> 8), byte(v), byte(s.TMSI >> 24), byte(s.TMSI >> 16), byte(s.TMSI >> 8), byte(s.TMSI)}
}

// errorIndication from the AMF: a UE it names is released locally, since
// the AMF no longer agrees about it.
func (n *NF) errorIndication(l *amfLink, r *n2.ErrorIndication) {
	n.m.errorInds.WithLabelValues("rx", "ngap").Inc()
	n.log.Warn("error indication from amf", "amf", l.addr, "cause", causeString(r.Cause))
	var ue *ueCtx
	switch {
	case r.RANUENGAPID != nil && r.AMFUENGAPID != nil:
		ue = n.ues.forAMF(l, n2.UEIDs{AMFUENGAPID: *r.AMFUENGAPID, RANUENGAPID: *r.RANUENGAPID})
	case r.AMFUENGAPID != nil:
		ue = n.ues.byAMFID(l, *r.AMFUENGAPID)
	case r.RANUENGAPID != nil:
		ue = n.ues.byRANOf(l, *r.RANUENGAPID)
	}
	if ue != nil {
		n.releaseLocal(ue)
	}
}

func causeString(c *n2.Cause) string {
	if c == nil {
		return "none"
	}
	return c.String()
}
