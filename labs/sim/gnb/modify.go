package gnb

import (
	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/n2"
)

// Labels of corebox_gnb_pdu_session_modifications_total.
const (
	modModified = "modified"
	modFailed   = "failed"
)

// sessionModify applies each session's Modify Request Transfer, relays
// the NAS PDUs of the sessions modified (a PDU Session Modification
// Command) and answers: a Modify Response Transfer per session modified,
// a Modify Unsuccessful Transfer per session not.
func (n *NF) sessionModify(l *amfLink, r *n2.PDUSessionResourceModifyRequest) {
	ue := n.ueFor(l, r.UEIDs)
	if ue == nil {
		return
	}
	resp := &n2.PDUSessionResourceModifyResponse{UEIDs: r.UEIDs}
	for _, it := range r.Sessions {
		ok, cause := n.modifySession(ue, it)
		if cause == nil {
			n.m.modifications.WithLabelValues(modModified).Inc()
			resp.Sessions = append(resp.Sessions, n2.SessionTransfer{PDUSessionID: it.PDUSessionID, Transfer: ok})
			if len(it.NASPDU) > 0 {
				n.toUE(ue.key, radio.DownlinkNAS, 0, it.NASPDU)
			}
			continue
		}
		n.m.modifications.WithLabelValues(modFailed).Inc()
		b, err := (&n2.ModifyUnsuccessfulTransfer{Cause: *cause}).Encode()
		if err != nil {
			n.log.Error("encode modify unsuccessful transfer", "err", err)
			continue
		}
		resp.Failed = append(resp.Failed, n2.SessionTransfer{PDUSessionID: it.PDUSessionID, Transfer: b})
	}
	n.sendUE(l, ue.ranID, resp)
}

// modifySession applies one session's UL NG-U UP TNL Modify: the item
// naming our downlink tunnel gives the session's new uplink tunnel.
// Nothing else of a Modify Request Transfer is modelled; a transfer
// without tunnel moves changes nothing and succeeds.
func (n *NF) modifySession(ue *ueCtx, it n2.SessionModifyItem) ([]byte, *n2.Cause) {
	_, s := n.ues.session(ue.key, it.PDUSessionID)
	if s == nil {
		return nil, &n2.CauseUnknownPDUSessionID
	}
	tr, err := n2.DecodeModifyRequestTransfer(it.Transfer)
	if err != nil {
		n.m.malformed.WithLabelValues("ngap").Inc()
		n.log.Warn("pdu session modify request transfer", "session", it.PDUSessionID, "err", err)
		return nil, &n2.CauseTransferSyntaxError
	}
	dl := n2.GTPTunnel{Addr: n.n3Addr, TEID: s.dlTEID}
	if len(tr.ULTunnelModify) > 0 {
		ul, found := ulFor(tr.ULTunnelModify, dl)
		if !found || !ul.Addr.Is4() || ul.Addr.IsUnspecified() {
			n.log.Warn("pdu session modify names no usable uplink for our downlink tunnel",
				"session", it.PDUSessionID, "dl", dl, "items", tr.ULTunnelModify)
			return nil, &n2.CauseSemanticError
		}
		if s, err = n.ues.moveUplink(ue, it.PDUSessionID, ul); err != nil {
			return nil, &n2.CauseUnknownPDUSessionID // released meanwhile
		}
		n.log.Debug("uplink moved", "ue", ue.key.String(), "session", s.id, "ul", s.ul)
	}
	b, err := (&n2.ModifyResponseTransfer{DLTunnel: &dl}).Encode()
	if err != nil {
		n.log.Error("encode modify response transfer", "err", err)
		return nil, &n2.CauseUnspecified
	}
	return b, nil
}

// ulFor is the uplink tunnel the modify list pairs with our downlink one.
func ulFor(items []n2.ULTunnelModifyItem, dl n2.GTPTunnel) (n2.GTPTunnel, bool) {
	for _, m := range items {
		if m.DL == dl {
			return m.UL, true
		}
	}
	return n2.GTPTunnel{}, false
}
