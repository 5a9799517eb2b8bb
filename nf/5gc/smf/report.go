package smf

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// onSessionReport answers a UPF's Session Report Request (TS 29.244
// §7.5.8). A Downlink Data Report for an idle UE starts paging; the work
// runs after the answer, as the node's callbacks must not block.
func (n *NF) onSessionReport(_ context.Context, peer netip.AddrPort, cpSEID uint64, r *pfcp.SessionReport) pfcp.Cause {
	c := n.store.bySeid(cpSEID)
	if c == nil || c.upf == nil || c.upf.addr != peer {
		n.metrics.reports.WithLabelValues("unknown_session").Inc()
		return pfcp.CauseSessionContextNotFound
	}
	if r.Type&pfcp.ReportUsage != 0 {
		n.metrics.reports.WithLabelValues("usage").Inc()
		n.recordUsage(c, r.UsageReports)
	}
	if r.Type&pfcp.ReportDownlinkData != 0 {
		n.metrics.reports.WithLabelValues("downlink_data").Inc()
		n.goBG(func(ctx context.Context) { n.page(ctx, c) })
	}
	if r.Type&(pfcp.ReportErrorInd|pfcp.ReportUPInactivity) != 0 {
		n.metrics.reports.WithLabelValues("other").Inc()
		n.log.Info("PFCP session report not acted on", "supi", c.supi, "psi", c.psi, "type", r.Type)
	}
	return pfcp.CauseRequestAccepted
}

// page asks the AMF to bring an idle UE back for downlink data: an
// N1N2MessageTransfer with only the N2 setup request. 202
// ATTEMPTING_TO_REACH_UE is the usual answer; the AMF then pages and,
// once the UE answers, sends the gNB's tunnel in an UpdateSMContext.
func (n *NF) page(ctx context.Context, c *smContext) {
	c.mu.Lock()
	if c.phase.Load() != phaseActive || c.upState != models.Smf_PDUSess_UpCnxState_DEACTIVATED || c.paging {
		c.mu.Unlock()
		return
	}
	setup, err := setupTransfer(c)
	if err != nil {
		c.mu.Unlock()
		n.log.Error("paging: setup transfer not encoded", "err", err)
		return
	}
	c.paging = true
	req := smcontext.NewN1N2Request(c.psi, &c.entry.snssai, nil, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, setup)
	req.Data.N1n2FailureTxfNotifURI = n.callbackURI(c.ref, suffixN1N2Fail)
	req.Data.Var5qi = int32(c.qos.fiveQI)
	req.Data.Arp = &models.Arp{PriorityLevel: int32(c.qos.arp),
		PreemptCap: models.PreemptionCapability_NOT_PREEMPT, PreemptVuln: models.PreemptionVulnerability_PREEMPTABLE}
	amf := c.amf()
	c.mu.Unlock()
	if err := n.transferN1N2(ctx, amf, "paging", req); err != nil {
		n.log.Warn("paging request not taken by the AMF", "supi", c.supi, "psi", c.psi, "err", err)
		c.mu.Lock()
		c.paging = false
		c.mu.Unlock()
	}
}

// postN1N2Failure is our n1n2FailureTxfNotifURI: the AMF could not reach
// the UE. The data stays buffered; the next report pages again.
func (n *NF) postN1N2Failure(w http.ResponseWriter, r *http.Request) {
	var f models.Amf_Comm_N1N2MsgTxfrFailureNotification
	if err := sbi.ReadJSON(w, r, &f); err != nil {
		return
	}
	c := n.store.get(r.PathValue("ref"))
	if c == nil {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "no SM context "+r.PathValue("ref"))
		return
	}
	c.mu.Lock()
	c.paging = false
	c.mu.Unlock()
	n.metrics.transfers.WithLabelValues("paging", "ue_not_reached").Inc()
	n.log.Info("AMF could not reach the UE", "supi", c.supi, "psi", c.psi, "cause", f.Cause)
	w.WriteHeader(http.StatusNoContent)
}

// postPolicyUpdate is the PCF's UpdateNotify: acknowledged; mid-session
// policy changes are not applied (the session keeps its first decision).
func (n *NF) postPolicyUpdate(w http.ResponseWriter, r *http.Request) {
	var d models.Pcf_SMPolCtrl_SmPolicyNotification
	if err := sbi.ReadJSON(w, r, &d); err != nil {
		return
	}
	if n.store.get(r.PathValue("ref")) == nil {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "no SM context "+r.PathValue("ref"))
		return
	}
	n.log.Info("PCF policy update received; not applied to the running session", "ref", r.PathValue("ref"))
	w.WriteHeader(http.StatusNoContent)
}

// postPolicyTerminate is the PCF's request to end the session.
func (n *NF) postPolicyTerminate(w http.ResponseWriter, r *http.Request) {
	var d models.Pcf_SMPolCtrl_TerminationNotification
	if err := sbi.ReadJSON(w, r, &d); err != nil {
		return
	}
	c := n.store.get(r.PathValue("ref"))
	if c == nil {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "no SM context "+r.PathValue("ref"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
	n.goBG(func(ctx context.Context) {
		n.releaseByNetwork(ctx, c, "pcf_terminate", models.Smf_PDUSess_Cause_REL_DUE_TO_UNSPECIFIED_REASON)
	})
}

// routes is the SBI handler: Nsmf_PDUSession and our callbacks.
func (n *NF) routes() http.Handler {
	mux := http.NewServeMux()
	wrap := func(service string, f http.HandlerFunc) http.Handler { return n.metrics.sbi.Wrap(service, f) }
	mux.Handle("POST "+smcontext.PathSMContexts, wrap("nsmf-pdusession", n.postSMContexts))
	mux.Handle("POST "+smcontext.PathSMContexts+"/{ref}/modify", wrap("nsmf-pdusession", n.postModify))
	mux.Handle("POST "+smcontext.PathSMContexts+"/{ref}/release", wrap("nsmf-pdusession", n.postRelease))
	mux.Handle("POST "+pathCallbacks+"{ref}"+suffixN1N2Fail, wrap("callback", n.postN1N2Failure))
	mux.Handle("POST "+pathCallbacks+"{ref}"+suffixPolicy+"/update", wrap("callback", n.postPolicyUpdate))
	mux.Handle("POST "+pathCallbacks+"{ref}"+suffixPolicy+"/terminate", wrap("callback", n.postPolicyTerminate))
	if n.nrf != nil {
		mux.Handle("POST "+pathNRFNotify, wrap("callback", n.nrf.NotificationHandler(n.onNRFNotify).ServeHTTP))
	}
	mux.Handle("/", wrap("other", func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, r.Method+" "+r.URL.Path)
	}))
	return mux
}
