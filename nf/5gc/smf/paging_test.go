package smf

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// report makes the UP node send a Downlink Data Report for upSEID.
func (u *fakeUP) report(t *testing.T, upSEID uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := u.node.SendSessionReport(ctx, upSEID, &pfcp.SessionReport{Type: pfcp.ReportDownlinkData,
		DownlinkData: &pfcp.DownlinkDataReport{PDRIDs: []uint16{pdrDL}}})
	if err != nil {
		t.Fatalf("session report: %v", err)
	}
}

// TestPagingOncePerIdlePeriod: repeated reports page once; the AMF's
// failure notification lets the next report page again; a report while
// the UE is connected pages nobody.
func TestPagingOncePerIdlePeriod(t *testing.T) {
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 1)
	upSEID, _ := e.up.only(t)
	gnb := n2.GTPTunnel{Addr: fakeN3, TEID: gnbTEID}
	e.update(t, s.ref, setupResponse(t, gnb))

	e.up.report(t, upSEID) // connected: nothing to do
	e.update(t, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_DEACTIVATED))
	e.amf.setAnswer(http.StatusAccepted)
	e.up.report(t, upSEID)
	p := e.amf.next(t)
	if p.NgapIEType() != models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ || len(p.N1) != 0 || p.Data.Var5qi != 9 {
		t.Fatalf("paging transfer %s", dump(p.Data))
	}
	e.up.report(t, upSEID)
	e.up.report(t, upSEID)
	nfkittest.Eventually(t, wait, "reports counted", func() bool {
		return metric(t, e.smf, "corebox_smf_pfcp_session_reports_total", "type", "downlink_data") == 4
	})
	select {
	case m := <-e.amf.n1n2:
		t.Fatalf("paged twice in one idle period: %s", dump(m.Data))
	case <-time.After(100 * time.Millisecond):
	}

	// The AMF could not reach the UE.
	fail := models.Amf_Comm_N1N2MsgTxfrFailureNotification{Cause: models.Amf_Comm_N1N2MessageTransferCause_UE_NOT_RESPONDING}
	if _, err := e.client.Do(t.Context(), http.MethodPost, p.Data.N1n2FailureTxfNotifURI, fail, nil); err != nil {
		t.Fatalf("failure notification to %s: %v", p.Data.N1n2FailureTxfNotifURI, err)
	}
	e.up.report(t, upSEID)
	e.amf.next(t)

	// Service request, then the gNB's tunnel: forwarding again.
	e.update(t, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_ACTIVATING))
	e.update(t, s.ref, setupResponse(t, gnb))
	checkFARUpdate(t, e.up.lastMod(t), upSEID, pfcp.UpdateFAR{ID: farDL, ApplyAction: pfcp.ActionForward,
		Forwarding: &pfcp.ForwardingParameters{DestinationInterface: pfcp.InterfaceAccess,
			OuterHeaderCreation: &pfcp.OuterHeaderCreation{TEID: gnbTEID, IPv4: fakeN3}}})
}

// TestAcceptNotDelivered: an AMF refusing the transfer means the UE never
// hears of the session, so it is released.
func TestAcceptNotDelivered(t *testing.T) {
	e := startEnv(t, envOpts{})
	e.amf.setAnswer(http.StatusNotFound)
	res, err := e.create(t, e.createRequest(t, testSUPI, 1, testDNN))
	if err != nil || res.Status != http.StatusCreated {
		t.Fatalf("create: %+v %v", res, err)
	}
	nfkittest.Eventually(t, wait, "session released", func() bool { return e.smf.Sessions() == 0 && e.up.count() == 0 })
	if got := metric(t, e.smf, "corebox_smf_session_releases_total", "reason", "n1n2_failed"); got != 1 {
		t.Errorf("n1n2_failed releases %v", got)
	}
}

// TestRANSetupFailure: the gNB refusing a new session releases it.
func TestRANSetupFailure(t *testing.T) {
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 1)
	b, err := (&n2.SetupUnsuccessfulTransfer{Cause: n2.CauseMiscUnspecified}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	res := e.update(t, s.ref, &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_FAIL}, N2SM: b})
	if res.Status != http.StatusNoContent || e.smf.Sessions() != 0 || e.up.count() != 0 {
		t.Errorf("setup failure: %d, %d sessions, UP %d", res.Status, e.smf.Sessions(), e.up.count())
	}
}

// TestPCFTerminates: the PCF ending the policy releases the session and
// tells the AMF.
func TestPCFTerminates(t *testing.T) {
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 1)
	uri := e.smf.callbackURI(s.ref, suffixPolicy) + "/terminate"
	if _, err := e.client.Do(t.Context(), http.MethodPost, uri, models.Pcf_SMPolCtrl_TerminationNotification{}, nil); err != nil {
		t.Fatal(err)
	}
	recv(t, e.amf.status, "status notification")
	nfkittest.Eventually(t, wait, "released", func() bool { return e.smf.Sessions() == 0 && e.up.count() == 0 })
}

// TestUpdateErrors: unknown contexts and undecodable N2 get errors.
func TestUpdateErrors(t *testing.T) {
	e := startEnv(t, envOpts{})
	s := e.establish(t, testSUPI, 1)
	ctx := t.Context()
	bad := &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP}, N2SM: []byte{1, 2, 3}}
	if res, err := smcontext.Update(ctx, e.client, e.url, s.ref, bad); err == nil || res.Status != http.StatusBadRequest {
		t.Errorf("garbage N2: %+v %v", res, err)
	}
	if res, err := smcontext.Update(ctx, e.client, e.url, "nosuch", upCnx(models.Smf_PDUSess_UpCnxState_DEACTIVATED)); err == nil ||
		res.Status != http.StatusNotFound || res.Error.Data.Error.Cause != "CONTEXT_NOT_FOUND" {
		t.Errorf("unknown context: %+v %v", res, err)
	}
	if res, err := smcontext.Update(ctx, e.client, e.url, s.ref, upCnx(models.Smf_PDUSess_UpCnxState_ACTIVATED)); err == nil ||
		res.Status != http.StatusBadRequest {
		t.Errorf("upCnxState ACTIVATED from the AMF: %+v %v", res, err)
	}
	if got := metric(t, e.smf, "corebox_smf_malformed_messages_total"); got != 1 {
		t.Errorf("malformed messages %v", got)
	}
}
