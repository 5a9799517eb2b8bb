package amf

import (
	"errors"
	"fmt"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// smContextStatusPath is where SMFs notify SM context status changes.
const smContextStatusPath = "/namf-callback/v1/smContextStatus"

// onULNASTransport relays a 5GSM message: a new PDU session goes to a
// selected SMF as CreateSMContext, anything else to its session's SMF as
// UpdateSMContext.
func (u *ue) onULNASTransport(r *ranUE, plain []byte) {
	t, err := nas5g.ParseULNASTransport(plain)
	if err != nil {
		u.n.m.nasMalformed.Inc()
		u.logger().Info("malformed UL NAS Transport", "err", err)
		return
	}
	if t.PayloadType != nas5g.PayloadN1SM {
		u.n.m.nasDiscarded.Inc()
		u.logger().Info("UL NAS Transport payload type not handled", "type", t.PayloadType)
		return
	}
	u.mu.Lock()
	registered := u.state == mmRegistered
	s := u.sessions[t.PDUSessionID]
	u.mu.Unlock()
	switch {
	case !registered:
		u.n.m.nasDiscarded.Inc()
	case t.RequestType == nas5g.RequestInitial:
		if s != nil {
			u.dropSession(s) // the UE reuses the ID: the old session is gone on its side
		}
		u.createSession(r, t)
	case s == nil || s.ref == "":
		u.bounceSM(t, nas5g.CausePayloadNotForwarded)
	default:
		u.forwardSM(s, t.Payload)
	}
}

// bounceSM returns a 5GSM message the AMF could not forward (TS 24.501
// 5.4.5.2.5).
func (u *ue) bounceSM(t *nas5g.ULNASTransport, cause uint8) {
	u.sendMsg(&nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: t.Payload, PDUSessionID: t.PDUSessionID, Cause: cause})
}

// createSession selects an SMF for the slice and DNN and creates the SM
// context; the SMF answers through N1N2MessageTransfer.
func (u *ue) createSession(r *ranUE, t *nas5g.ULNASTransport) {
	n := u.n
	ctx := n.ctx()
	u.mu.Lock()
	slice, ok := u.pickSliceLocked(t.SNSSAI)
	supi := u.supi
	loc := r.loc
	u.mu.Unlock()
	if !ok {
		n.m.pduRequests.WithLabelValues(pduRejected).Inc()
		u.bounceSM(t, nas5g.CausePayloadNotForwarded)
		return
	}
	dnn := t.DNN
	if dnn == "" {
		dnn = n.cfg.DefaultDNN
	}
	ms := toModelSlice(slice)
	root, err := n.peers.smf(ctx, &ms, dnn)
	if err != nil {
		n.m.pduRequests.WithLabelValues(pduFailed).Inc()
		u.logger().Warn("no SMF for the session", "dnn", dnn, "slice", slice, "err", err)
		u.bounceSM(t, nas5g.CausePayloadNotForwarded)
		return
	}
	s := &session{id: t.PDUSessionID, snssai: slice, dnn: dnn, smfRoot: root}
	u.mu.Lock()
	u.sessions[s.id] = s
	u.mu.Unlock()
	req := &smcontext.CreateRequest{N1SM: t.Payload, Data: models.Smf_PDUSess_SmContextCreateData{
		Supi: supi, PduSessionId: int32(s.id), Dnn: dnn, SNssai: &ms, ServingNfId: n.id,
		Guami: n.modelGUAMI(), ServingNetwork: &models.PlmnIdNid{Mcc: n.plmn.MCC, Mnc: n.plmn.MNC},
		AnType: models.AccessType_3_GPP_ACCESS, RatType: models.RatType_NR, UeLocation: modelLocation(loc),
		RequestType:        models.Smf_PDUSess_RequestType_INITIAL_REQUEST,
		SmContextStatusUri: fmt.Sprintf("%s%s/%s/%d", n.self(), smContextStatusPath, supi, s.id)}}
	res, err := smcontext.Create(ctx, n.client, root, req)
	if err != nil {
		u.createFailed(t, s, res, err)
		return
	}
	u.mu.Lock()
	s.ref = res.Ref
	u.mu.Unlock()
	n.m.pduRequests.WithLabelValues(pduForwarded).Inc()
}

// createFailed relays the SMF's reject (its N1 SM message), or bounces the
// request when the SMF gave none.
func (u *ue) createFailed(t *nas5g.ULNASTransport, s *session, res *smcontext.CreateResult, err error) {
	u.dropSession(s)
	if unreachable(err) {
		u.n.peers.forget(models.Nrf_NFMgmt_NFType_SMF)
	}
	if res != nil && res.Error != nil && len(res.Error.N1SM) > 0 {
		u.n.m.pduRequests.WithLabelValues(pduRejected).Inc()
		u.logger().Info("SMF rejected the PDU session", "pdu_session_id", s.id, "dnn", s.dnn, "err", err)
		u.sendMsg(&nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: res.Error.N1SM, PDUSessionID: s.id})
		return
	}
	u.n.m.pduRequests.WithLabelValues(pduFailed).Inc()
	u.logger().Warn("CreateSMContext failed", "pdu_session_id", s.id, "err", err)
	u.bounceSM(t, nas5g.CausePayloadNotForwarded)
}

// pickSliceLocked is the requested slice if allowed, else the first
// allowed one when the UE named none.
func (u *ue) pickSliceLocked(req *nas5g.SNSSAI) (nas5g.SNSSAI, bool) {
	if req == nil {
		if len(u.allowed) == 0 {
			return nas5g.SNSSAI{}, false
		}
		return u.allowed[0], true
	}
	for _, a := range u.allowed {
		if a == *req {
			return a, true
		}
	}
	return nas5g.SNSSAI{}, false
}

// dropSession forgets s (if it is still the session under its ID).
func (u *ue) dropSession(s *session) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sessions[s.id] == s {
		delete(u.sessions, s.id)
		delete(u.pending, s.id)
	}
}

// forwardSM sends a 5GSM message of an existing session to its SMF and
// delivers what comes back.
func (u *ue) forwardSM(s *session, n1 []byte) {
	res, err := smcontext.Update(u.n.ctx(), u.n.client, s.smfRoot, s.ref, &smcontext.UpdateRequest{N1SM: n1})
	if err != nil {
		u.logger().Info("UpdateSMContext with N1 SM failed", "pdu_session_id", s.id, "err", err)
		if res != nil && res.Error != nil && len(res.Error.N1SM) > 0 {
			u.sendMsg(&nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: res.Error.N1SM, PDUSessionID: s.id})
		}
		return
	}
	if mt, _, err := nas5g.PeekType(n1); err == nil && mt == nas5g.MsgPDUSessionReleaseComplete {
		u.dropSession(s)
	}
	if res.Updated == nil {
		return
	}
	ie := ngapIEOf(res.Updated.Data.N2SmInfoType)
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.deliverSMLocked(s.id, toModelSlice(s.snssai), res.Updated.N1SM, ie, res.Updated.N2SM); err != nil {
		u.loggerLocked().Info("deliver SMF answer", "pdu_session_id", s.id, "err", err)
	}
}

// ngapIEOf maps an Nsmf N2 SM info type onto the Namf NGAP IE type.
func ngapIEOf(t models.Smf_PDUSess_N2SmInfoType) models.Amf_Comm_NgapIeType {
	switch t {
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_REQ:
		return models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_CMD:
		return models.Amf_Comm_NgapIeType_PDU_RES_REL_CMD
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_REQ:
		return models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ
	}
	return models.Amf_Comm_NgapIeType(t)
}

// errUnsupportedN2 is N2 SM information of a kind the AMF cannot send.
var errUnsupportedN2 = errors.New("unsupported NGAP IE type")

// deliverSMLocked sends an SMF's N1 and N2 SM information to the UE's
// gNB: a PDU Session Resource Setup, Modify or Release Command carrying
// the N1 in a DL NAS Transport, or the N1 alone.
func (u *ue) deliverSMLocked(psi uint8, slice models.Snssai, n1 []byte, ie models.Amf_Comm_NgapIeType, n2sm []byte) error {
	r := u.ran
	if r == nil {
		return errNoConnection
	}
	var nasPDU []byte
	if len(n1) > 0 {
		plain, err := (&nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: n1, PDUSessionID: psi}).Encode()
		if err != nil {
			return err
		}
		if len(n2sm) == 0 {
			return u.sendNASLocked(plain)
		}
		if nasPDU, err = u.protectLocked(plain); err != nil {
			return err
		}
	}
	if len(n2sm) == 0 {
		return nil
	}
	sl, err := fromModelSlice(slice)
	if err != nil {
		return fmt.Errorf("slice of session %d: %w", psi, err)
	}
	switch ie {
	case models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ:
		return r.g.send(&n2.PDUSessionResourceSetupRequest{UEIDs: r.ids(), UEAMBR: u.ambr,
			Sessions: []n2.SessionSetupItem{{PDUSessionID: psi, NASPDU: nasPDU, SNSSAI: sl, Transfer: n2sm}}}, true)
	case models.Amf_Comm_NgapIeType_PDU_RES_REL_CMD:
		return r.g.send(&n2.PDUSessionResourceReleaseCommand{UEIDs: r.ids(), NASPDU: nasPDU,
			Sessions: []n2.SessionTransfer{{PDUSessionID: psi, Transfer: n2sm}}}, true)
	case models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ:
		return u.sendModifyLocked(r, psi, nasPDU, n2sm)
	}
	return fmt.Errorf("%w %q", errUnsupportedN2, ie)
}

// onSetupResponse hands the gNB's tunnel of each set-up session (or its
// failure) to the session's SMF.
func (u *ue) onSetupResponse(r *ranUE, ok, failed []n2.SessionTransfer) {
	u.forwardN2(ok, models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP)
	u.forwardN2(failed, models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_FAIL)
}

// forwardN2 hands each session's transfer from the gNB to the session's
// SMF in UpdateSMContext, as N2 SM information of type typ.
func (u *ue) forwardN2(list []n2.SessionTransfer, typ models.Smf_PDUSess_N2SmInfoType) {
	for _, st := range list {
		u.mu.Lock()
		s := u.sessions[st.PDUSessionID]
		u.mu.Unlock()
		if s == nil || s.ref == "" {
			u.logger().Info("N2 SM information for an unknown PDU session", "pdu_session_id", st.PDUSessionID, "type", typ)
			continue
		}
		req := &smcontext.UpdateRequest{N2SM: st.Transfer, Data: models.Smf_PDUSess_SmContextUpdateData{
			N2SmInfoType: typ, AnType: models.AccessType_3_GPP_ACCESS}}
		if _, err := smcontext.Update(u.n.ctx(), u.n.client, s.smfRoot, s.ref, req); err != nil {
			u.logger().Info("UpdateSMContext with N2 SM failed", "pdu_session_id", s.id, "type", typ, "err", err)
		}
	}
}

// onReleaseResponse hands the gNB's release transfers to the SMFs.
func (u *ue) onReleaseResponse(r *ranUE, m *n2.PDUSessionResourceReleaseResponse) {
	for _, st := range m.Sessions {
		u.mu.Lock()
		s := u.sessions[st.PDUSessionID]
		u.mu.Unlock()
		if s == nil || s.ref == "" {
			continue
		}
		req := &smcontext.UpdateRequest{N2SM: st.Transfer, Data: models.Smf_PDUSess_SmContextUpdateData{
			N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP}}
		if _, err := smcontext.Update(u.n.ctx(), u.n.client, s.smfRoot, s.ref, req); err != nil {
			u.logger().Info("UpdateSMContext with release response failed", "pdu_session_id", s.id, "err", err)
		}
	}
}

// modelLocation is the NR location of r for the SMF.
func modelLocation(l n2.UserLocation) *models.UserLocation {
	return &models.UserLocation{NrLocation: &models.NrLocation{
		Tai:  &models.Tai{PlmnId: &models.PlmnId{Mcc: l.TAI.PLMN.MCC, Mnc: l.TAI.PLMN.MNC}, Tac: fmt.Sprintf("%06x", l.TAI.TAC)},
		Ncgi: &models.Ncgi{PlmnId: &models.PlmnId{Mcc: l.NRCGI.PLMN.MCC, Mnc: l.NRCGI.PLMN.MNC}, NrCellId: fmt.Sprintf("%09x", l.NRCGI.CellID)},
	}}
}
