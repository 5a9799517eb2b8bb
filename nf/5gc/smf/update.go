package smf

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// updateError is a failed UpdateSMContext.
type updateError struct {
	status int
	cause  string
	detail string
}

func (e *updateError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.cause, e.detail) }

func badUpdate(cause, format string, a ...any) *updateError {
	return &updateError{status: http.StatusBadRequest, cause: cause, detail: fmt.Sprintf(format, a...)}
}

// pfcpFailure turns a failed PFCP modification into an answer.
func pfcpFailure(err error) *updateError {
	if errors.Is(err, pfcp.ErrTimeout) || errors.Is(err, pfcp.ErrNotAssociated) {
		return &updateError{status: http.StatusGatewayTimeout, cause: "UPF_NOT_RESPONDING", detail: err.Error()}
	}
	return &updateError{status: http.StatusInternalServerError, cause: sbi.CauseSystemFailure, detail: err.Error()}
}

// postModify is UpdateSMContext (TS 29.502 §5.2.2.3): the N2 answers of
// the RAN, the UE's N1 messages, and user plane (de)activation.
func (n *NF) postModify(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	body, err := readBody(w, r)
	if err != nil {
		n.writeUpdateError(w, r, "body", &updateError{status: http.StatusRequestEntityTooLarge,
			cause: sbi.CauseInvalidMsgFormat, detail: err.Error()})
		return
	}
	req, err := smcontext.ParseUpdateRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		n.writeUpdateError(w, r, "body", badUpdate(sbi.CauseInvalidMsgFormat, "%v", err))
		return
	}
	kind := updateKind(req)
	c := n.store.get(ref)
	if c == nil {
		n.writeUpdateError(w, r, kind, &updateError{status: http.StatusNotFound, cause: "CONTEXT_NOT_FOUND",
			detail: "no SM context " + ref})
		return
	}
	c.mu.Lock()
	res, uerr := n.update(r.Context(), c, req, kind)
	c.mu.Unlock()
	if uerr != nil {
		n.writeUpdateError(w, r, kind, uerr)
		return
	}
	n.metrics.updates.WithLabelValues(kindLabel(kind), "ok").Inc()
	if res == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	smcontext.Write(w, http.StatusOK, res)
}

// updateKind names what an update carries, for metrics and dispatch.
func updateKind(req *smcontext.UpdateRequest) string {
	switch {
	case len(req.N1SM) > 0:
		return "n1"
	case req.Data.N2SmInfoType != "":
		return string(req.Data.N2SmInfoType)
	case req.Data.UpCnxState != "":
		return string(req.Data.UpCnxState)
	case req.Data.Release:
		return "release"
	}
	return "other"
}

// kindLabel keeps the metric's labels bounded whatever the AMF sends.
func kindLabel(kind string) string {
	switch models.Smf_PDUSess_N2SmInfoType(kind) {
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP, models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_FAIL,
		models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP, models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP,
		models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_FAIL:
		return kind
	}
	switch models.Smf_PDUSess_UpCnxState(kind) {
	case models.Smf_PDUSess_UpCnxState_DEACTIVATED, models.Smf_PDUSess_UpCnxState_ACTIVATING:
		return kind
	}
	switch kind {
	case "n1", "release", "other", "body":
		return kind
	}
	return "unsupported"
}

func (n *NF) writeUpdateError(w http.ResponseWriter, r *http.Request, kind string, e *updateError) {
	n.metrics.updates.WithLabelValues(kindLabel(kind), "error").Inc()
	if e.status == http.StatusBadRequest || e.status == http.StatusRequestEntityTooLarge {
		sbi.Malformed(r, e)
	} else {
		n.log.Info("SM context update failed", "kind", kind, "status", e.status, "cause", e.cause, "detail", e.detail)
	}
	smcontext.Write(w, e.status, &smcontext.UpdateError{Data: models.Smf_PDUSess_SmContextUpdateError{
		Error: &models.Smf_PDUSess_ExtProblemDetails{Title: http.StatusText(e.status), Status: int32(e.status),
			Cause: e.cause, Detail: e.detail}}})
}

// update dispatches under c's lock; a nil response is 204.
func (n *NF) update(ctx context.Context, c *smContext, req *smcontext.UpdateRequest, kind string) (
	*smcontext.UpdateResponse, *updateError) {
	if c.phase.Load() == phaseReleased {
		return nil, &updateError{status: http.StatusNotFound, cause: "CONTEXT_NOT_FOUND", detail: "released"}
	}
	if req.Data.SmContextStatusUri != "" {
		c.statusURI = req.Data.SmContextStatusUri
	}
	if req.Data.ServingNfId != "" {
		c.servingNfID = req.Data.ServingNfId
	}
	switch kind {
	case "n1":
		return n.updateN1(ctx, c, req.N1SM)
	case "release":
		n.teardown(ctx, c, "amf_release")
		return nil, nil
	case "other":
		return nil, nil
	}
	if req.Data.N2SmInfoType != "" {
		return n.updateN2(ctx, c, req.Data.N2SmInfoType, req.N2SM)
	}
	return n.updateUpCnx(ctx, c, req.Data.UpCnxState)
}

func upState(s models.Smf_PDUSess_UpCnxState) *smcontext.UpdateResponse {
	return &smcontext.UpdateResponse{Data: models.Smf_PDUSess_SmContextUpdatedData{UpCnxState: s}}
}

// updateN2 takes the RAN's answers.
func (n *NF) updateN2(ctx context.Context, c *smContext, t models.Smf_PDUSess_N2SmInfoType, info []byte) (
	*smcontext.UpdateResponse, *updateError) {
	if c.phase.Load() == phaseReleasing && t != models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP {
		return nil, &updateError{status: http.StatusConflict, cause: "CONTEXT_IN_RELEASE", detail: "the session is being released"}
	}
	switch t {
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP:
		return n.setupResponse(ctx, c, info)
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_FAIL:
		return n.setupFailure(ctx, c, info)
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP:
		c.relRsp = true
		return nil, nil
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP:
		return n.moveAnswered(c, true, info)
	case models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_FAIL:
		return n.moveAnswered(c, false, info)
	}
	return nil, badUpdate(sbi.CauseMandatoryIEIncorrect, "n2SmInfoType %s is not handled", t)
}

// setupResponse: the gNB set the session up; downlink goes to its tunnel
// (and the UPF sends what it buffered).
func (n *NF) setupResponse(ctx context.Context, c *smContext, info []byte) (*smcontext.UpdateResponse, *updateError) {
	t, err := n2.DecodeSetupResponseTransfer(info)
	if err != nil {
		n.metrics.malformed.Inc()
		return nil, badUpdate("N2_SM_ERROR", "PDU_RES_SETUP_RSP: %v", err)
	}
	if !t.DLTunnel.Addr.Is4() {
		return nil, badUpdate("N2_SM_ERROR", "PDU_RES_SETUP_RSP: DL tunnel address %v is not IPv4", t.DLTunnel.Addr)
	}
	if err := n.modify(ctx, c, forwardDownlink(t.DLTunnel)); err != nil {
		return nil, pfcpFailure(err)
	}
	tun := t.DLTunnel
	c.dlTunnel, c.upState, c.paging, c.initial = &tun, models.Smf_PDUSess_UpCnxState_ACTIVATED, false, false
	return upState(c.upState), nil
}

// setupFailure: the gNB could not set the session up. A new session is
// released (the UE never got it); an idle one stays idle.
func (n *NF) setupFailure(ctx context.Context, c *smContext, info []byte) (*smcontext.UpdateResponse, *updateError) {
	f, err := n2.DecodeSetupUnsuccessfulTransfer(info)
	if err != nil {
		n.metrics.malformed.Inc()
		return nil, badUpdate("N2_SM_ERROR", "PDU_RES_SETUP_FAIL: %v", err)
	}
	n.log.Info("RAN did not set the session up", "supi", c.supi, "psi", c.psi, "cause", f.Cause, "initial", c.initial)
	c.paging = false
	if c.initial {
		n.teardown(ctx, c, "ran_setup_failed")
		return nil, nil
	}
	c.upState = models.Smf_PDUSess_UpCnxState_DEACTIVATED
	return upState(c.upState), nil
}

// updateUpCnx: the UE went idle, or comes back (service request).
func (n *NF) updateUpCnx(ctx context.Context, c *smContext, s models.Smf_PDUSess_UpCnxState) (
	*smcontext.UpdateResponse, *updateError) {
	switch s {
	case models.Smf_PDUSess_UpCnxState_DEACTIVATED:
		if c.upState != models.Smf_PDUSess_UpCnxState_DEACTIVATED {
			if err := n.modify(ctx, c, bufferDownlink()); err != nil {
				return nil, pfcpFailure(err)
			}
		}
		c.upState, c.dlTunnel = models.Smf_PDUSess_UpCnxState_DEACTIVATED, nil
		return upState(c.upState), nil
	case models.Smf_PDUSess_UpCnxState_ACTIVATING:
		setup, err := setupTransfer(c)
		if err != nil {
			return nil, &updateError{status: http.StatusInternalServerError, cause: sbi.CauseSystemFailure, detail: err.Error()}
		}
		c.upState = models.Smf_PDUSess_UpCnxState_ACTIVATING
		res := upState(c.upState)
		res.Data.N2SmInfoType, res.N2SM = models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_REQ, setup
		return res, nil
	}
	return nil, badUpdate(sbi.CauseMandatoryIEIncorrect, "upCnxState %q: want DEACTIVATED or ACTIVATING", s)
}

// modify sends a PFCP modification for c.
func (n *NF) modify(ctx context.Context, c *smContext, m *pfcp.Modification) error {
	node := n.node.Load()
	if node == nil || c.cpSEID == 0 {
		return fmt.Errorf("modify session of %s/%d: %w", c.supi, c.psi, pfcp.ErrUnknownSession)
	}
	if !c.upf.associated.Load() {
		// Do not wait out the retransmissions on a UPF known to be away.
		return fmt.Errorf("modify session of %s/%d on UPF %s: %w", c.supi, c.psi, c.upf.key, pfcp.ErrNotAssociated)
	}
	res, err := node.ModifySession(ctx, c.cpSEID, m)
	if err != nil {
		return err
	}
	n.recordUsage(c, res.UsageReports)
	return nil
}

// updateN1 takes the UE's 5GSM messages of the release procedure
// (TS 23.502 §4.3.4.2): a Release Request deletes the user plane and is
// answered with the Release Command and the N2 release transfer; the
// Release Complete ends the session and tells the AMF.
func (n *NF) updateN1(ctx context.Context, c *smContext, n1 []byte) (*smcontext.UpdateResponse, *updateError) {
	m, err := nas5g.Decode(n1)
	if err != nil {
		n.metrics.malformed.Inc()
		return nil, badUpdate("N1_SM_ERROR", "n1SmMsg: %v", err)
	}
	switch m := m.(type) {
	case *nas5g.PDUSessionReleaseRequest:
		if m.PDUSessionID != c.psi {
			return nil, badUpdate("N1_SM_ERROR", "release request for PDU session %d in context of %d", m.PDUSessionID, c.psi)
		}
		n.deleteSession(ctx, c)
		c.phase.Store(phaseReleasing)
		cmd, rel, err := releaseCommand(c, m.PTI, nas5g.SMCauseRegularDeactivation)
		if err != nil {
			return nil, &updateError{status: http.StatusInternalServerError, cause: sbi.CauseSystemFailure, detail: err.Error()}
		}
		res := upState(models.Smf_PDUSess_UpCnxState_DEACTIVATED)
		res.N1SM, res.N2SM = cmd, rel
		res.Data.N2SmInfoType = models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_CMD
		return res, nil
	case *nas5g.PDUSessionReleaseComplete:
		if c.phase.Load() != phaseReleasing {
			return nil, &updateError{status: http.StatusConflict, cause: "CONTEXT_NOT_IN_RELEASE",
				detail: "release complete without a release in progress"}
		}
		uri := c.statusURI
		n.teardown(ctx, c, "ue_release")
		if uri != "" {
			n.goBG(func(ctx context.Context) {
				if err := n.peers.notifyStatus(ctx, uri, models.Smf_PDUSess_Cause_REL_DUE_TO_UNSPECIFIED_REASON); err != nil {
					n.log.Warn("AMF not told of a released session", "supi", c.supi, "psi", c.psi, "err", err)
				}
			})
		}
		return nil, nil
	}
	return nil, badUpdate("N1_SM_ERROR", "n1SmMsg %v is not handled in an update", m.MessageType())
}
