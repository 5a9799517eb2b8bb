package amf

import (
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// causeUEInCMIdle is the Namf_Communication cause (TS 29.518) for N2
// information the AMF does not page for.
const causeUEInCMIdle = "UE_IN_CM_IDLE_STATE"

// Labels of corebox_amf_pdu_session_modifications_total.
const (
	modRequested = "requested" // PDU Session Resource Modify Request sent
	modModified  = "modified"  // a session the gNB reported modified
	modFailed    = "failed"    // a session the gNB failed to modify
	modIdle      = "idle"      // refused: the UE is CM-IDLE
)

// checkModifyLocked vets an SMF's PDU Session Resource Modify Request
// Transfer. The session must be one the AMF relays. For a CM-IDLE UE an
// N2-only modification is refused with 409 UE_IN_CM_IDLE_STATE and no
// paging: the session's user plane is deactivated, so the RAN holds
// nothing to modify, and the UE's next Service Request reactivates the
// session with a setup transfer fresh from the SMF (UpdateSMContext,
// upCnxState ACTIVATING), which carries the SMF's current tunnel. TS
// 29.518 (N1N2MessageTransfer) has the AMF answer so for an N2-only
// Release Command;
// TS 23.502 4.3.3.2 pages only to deliver an N1 Modification Command, and
// then the N2 part is superseded by that reactivation. A setup transfer
// held for the session while paging is stale now, so it is dropped too.
func (u *ue) checkModifyLocked(psi uint8, req *smcontext.N1N2Request) error {
	if s := u.sessions[psi]; s == nil || s.ref == "" {
		return sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, fmt.Sprintf("no PDU session %d", psi))
	}
	if u.ran != nil || len(req.N1) > 0 {
		return nil
	}
	if h := u.pending[psi]; h != nil && h.NgapIEType() == models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ {
		h.N2 = nil // reactivation asks the SMF instead; an N1 part stays held
	}
	u.n.m.modifications.WithLabelValues(modIdle).Inc()
	return sbi.NewProblem(http.StatusConflict, causeUEInCMIdle, fmt.Sprintf("PDU session %d has no user plane in the RAN", psi))
}

// sendModifyLocked sends one session's PDU Session Resource Modify Request.
func (u *ue) sendModifyLocked(r *ranUE, psi uint8, nasPDU, transfer []byte) error {
	err := r.g.send(&n2.PDUSessionResourceModifyRequest{UEIDs: r.ids(),
		Sessions: []n2.SessionModifyItem{{PDUSessionID: psi, NASPDU: nasPDU, Transfer: transfer}}}, true)
	if err == nil {
		u.n.m.modifications.WithLabelValues(modRequested).Inc()
	}
	return err
}

// onModifyResponse hands the gNB's modify response transfers, and the
// unsuccessful ones, to the sessions' SMFs.
func (u *ue) onModifyResponse(m *n2.PDUSessionResourceModifyResponse) {
	u.n.m.modifications.WithLabelValues(modModified).Add(float64(len(m.Sessions)))
	u.n.m.modifications.WithLabelValues(modFailed).Add(float64(len(m.Failed)))
	u.forwardN2(m.Sessions, models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP)
	u.forwardN2(m.Failed, models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_FAIL)
}
