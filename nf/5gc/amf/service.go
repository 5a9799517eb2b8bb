package amf

import (
	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// onServiceRequest brings a registered UE back to CM-CONNECTED: the user
// planes it asks for (and those the network holds data for) are
// reactivated through their SMFs and set up with the UE context in one
// Initial Context Setup, which also carries the Service Accept.
func (u *ue) onServiceRequest(r *ranUE, plain []byte, verified bool) {
	sr, err := nas5g.ParseServiceRequest(plain)
	if err != nil {
		u.n.m.nasMalformed.Inc()
		return
	}
	u.mu.Lock()
	switch {
	case !verified:
		u.serviceRejectLocked(r, nas5g.CauseUEIdentityCannotBeDerived)
		u.mu.Unlock()
		return
	case u.state != mmRegistered:
		u.serviceRejectLocked(r, nas5g.CauseImplicitlyDeregistered)
		u.mu.Unlock()
		return
	}
	held := u.pending
	u.pending = nil
	var wanted []session
	for psi, s := range u.sessions {
		if s.ref != "" && (sr.UplinkDataStatus&(1<<psi) != 0 || held[psi] != nil) {
			wanted = append(wanted, *s)
		}
	}
	u.mu.Unlock()

	items := u.reactivate(wanted, held)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ran != r {
		return
	}
	for psi, req := range held { // N1 parts go after the context is up
		if len(req.N1) > 0 {
			req.N2 = nil
			if u.pending == nil {
				u.pending = map[uint8]*smcontext.N1N2Request{}
			}
			u.pending[psi] = req
		}
	}
	accept := &nas5g.ServiceAccept{PDUSessionStatus: u.sessionStatusLocked()}
	if r.ctxSetup {
		err = u.sendMsgLocked(accept)
		for _, it := range items {
			if err == nil {
				err = r.g.send(&n2.PDUSessionResourceSetupRequest{UEIDs: r.ids(), UEAMBR: u.ambr,
					Sessions: []n2.SessionSetupItem{it}}, true)
			}
		}
	} else {
		err = u.initialContextSetupLocked(accept, items, u.ambr)
	}
	if err != nil {
		u.loggerLocked().Warn("send Service Accept", "err", err)
	}
}

// reactivate gets each session's PDU Session Resource Setup Request
// Transfer: the one the SMF sent while the UE was idle, else a fresh one
// from UpdateSMContext (upCnxState ACTIVATING).
func (u *ue) reactivate(wanted []session, held map[uint8]*smcontext.N1N2Request) []n2.SessionSetupItem {
	var items []n2.SessionSetupItem
	for _, s := range wanted {
		item := n2.SessionSetupItem{PDUSessionID: s.id, SNSSAI: s.snssai}
		if h := held[s.id]; h != nil && len(h.N2) > 0 && h.NgapIEType() == models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ {
			item.Transfer = h.N2
		} else {
			res, err := smcontext.Update(u.n.ctx(), u.n.client, s.smfRoot, s.ref, &smcontext.UpdateRequest{
				Data: models.Smf_PDUSess_SmContextUpdateData{UpCnxState: models.Smf_PDUSess_UpCnxState_ACTIVATING}})
			if err != nil || res.Updated == nil || len(res.Updated.N2SM) == 0 {
				u.logger().Info("SMF gave no N2 setup information to reactivate", "pdu_session_id", s.id, "err", err)
				continue
			}
			item.Transfer = res.Updated.N2SM
		}
		items = append(items, item)
	}
	return items
}

// sessionStatusLocked is the PDU session status bitmap (bit i: session i).
func (u *ue) sessionStatusLocked() uint16 {
	var v uint16
	for psi, s := range u.sessions {
		if s.ref != "" && psi < 16 {
			v |= 1 << psi
		}
	}
	return v
}

// serviceRejectLocked refuses a Service Request (plain: the UE's context
// did not verify or is gone) and releases the connection.
func (u *ue) serviceRejectLocked(r *ranUE, cause uint8) {
	if u.ran != r {
		return
	}
	plain, err := (&nas5g.ServiceReject{Cause: cause}).Encode()
	if err == nil {
		err = r.g.send(&n2.DownlinkNASTransport{UEIDs: r.ids(), NASPDU: plain}, true)
	}
	if err != nil {
		u.loggerLocked().Warn("send Service Reject", "err", err)
	}
	u.loggerLocked().Info("service request rejected", "cause", cause)
	u.sendReleaseLocked(r, n2.CauseNormalRelease)
	if u.state != mmRegistered {
		u.forgetLocked()
	}
}
