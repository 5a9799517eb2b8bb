package amf

import (
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// transferN1N2 delivers an SMF's N1/N2 SM information: at once when the
// UE has its context in the RAN (200 N1_N2_TRANSFER_INITIATED), after the
// Initial Context Setup when one is under way (200 too), or after paging
// and the UE's Service Request when it is CM-IDLE (202
// ATTEMPTING_TO_REACH_UE). A modification without N1 for a CM-IDLE UE is
// refused instead (409, see checkModifyLocked).
func (u *ue) transferN1N2(req *smcontext.N1N2Request) (int, models.Amf_Comm_N1N2MessageTransferCause, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.gone || u.state == mmDeregistered:
		return 0, "", sbi.NewProblem(http.StatusNotFound, "CONTEXT_NOT_FOUND", "the UE deregistered")
	case u.state != mmRegistered:
		return 0, "", sbi.NewProblem(http.StatusConflict, "TEMPORARY_REJECT_REGISTRATION_ONGOING", "the UE is registering")
	}
	psi := req.SessionID()
	if req.SNSSAI() == nil && len(req.N2) > 0 {
		s := u.sessions[psi]
		if s == nil {
			return 0, "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "no sNssai and no such PDU session")
		}
		sl := toModelSlice(s.snssai)
		req.Data.N2InfoContainer.SmInfo.SNssai = &sl
	}
	ie := req.NgapIEType()
	if len(req.N2) > 0 && ie != models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ &&
		ie != models.Amf_Comm_NgapIeType_PDU_RES_REL_CMD && ie != models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ {
		return 0, "", sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, "ngapIeType "+string(ie)+" is not handled")
	}
	if len(req.N2) > 0 && ie == models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ {
		if err := u.checkModifyLocked(psi, req); err != nil {
			return 0, "", err
		}
	}
	if r := u.ran; r != nil && r.ctxSetup {
		if err := u.deliverSMLocked(psi, *sliceOf(req), req.N1, req.NgapIEType(), req.N2); err != nil {
			return 0, "", sbi.NewProblem(http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
		}
		return http.StatusOK, models.Amf_Comm_N1N2MessageTransferCause_N1_N2_TRANSFER_INITIATED, nil
	}
	if u.pending == nil {
		u.pending = map[uint8]*smcontext.N1N2Request{}
	}
	first := len(u.pending) == 0
	u.pending[psi] = req
	if u.ran != nil {
		return http.StatusOK, models.Amf_Comm_N1N2MessageTransferCause_N1_N2_TRANSFER_INITIATED, nil
	}
	if first {
		u.pageLocked()
	}
	return http.StatusAccepted, models.Amf_Comm_N1N2MessageTransferCause_ATTEMPTING_TO_REACH_UE, nil
}

// sliceOf is the transfer's S-NSSAI, or an empty one for N1-only.
func sliceOf(req *smcontext.N1N2Request) *models.Snssai {
	if s := req.SNSSAI(); s != nil {
		return s
	}
	return &models.Snssai{}
}

// pageLocked sends Paging to every gNB that broadcasts a TAI of the UE's
// registration area.
func (u *ue) pageLocked() {
	if u.guti == nil {
		return
	}
	n := u.n
	p := &n2.Paging{STMSI: u.guti.STMSI(), TAIs: n.tais}
	sent := 0
	n.gnbs.Range(func(k, _ any) bool {
		g := k.(*gnb)
		if !g.setup.Load() || !g.broadcasts(n.tais) {
			return true
		}
		if err := g.send(p, false); err != nil {
			g.log.Warn("send Paging", "err", err)
			return true
		}
		sent++
		return true
	})
	n.m.paging.Inc()
	u.loggerLocked().Debug("paging", "gnbs", sent)
}

// deliverPending sends what waited for the UE's context in the RAN.
func (u *ue) deliverPending() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ran == nil || !u.ran.ctxSetup {
		return
	}
	for psi, req := range u.pending {
		delete(u.pending, psi)
		if err := u.deliverSMLocked(psi, *sliceOf(req), req.N1, req.NgapIEType(), req.N2); err != nil {
			u.loggerLocked().Info("deliver held N1/N2 information", "pdu_session_id", psi, "err", err)
		}
	}
}
