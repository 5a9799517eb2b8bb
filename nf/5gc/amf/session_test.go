package amf

import (
	"context"
	"net/http"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// registered is a UE registered through a fresh environment.
func registered(t *testing.T, mod func(*Config)) (*env, *testUE) {
	t.Helper()
	e := newEnv(t, 1, mod)
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	_, err := u.register()
	must(t, err)
	waitMetric(t, e.amf, "corebox_amf_registered_ues", 1)
	return e, u
}

// PDU Session Establishment is relayed: CreateSMContext to the SMF, whose
// N1N2MessageTransfer becomes a PDU Session Resource Setup Request with
// the accept; the gNB's tunnel goes back in UpdateSMContext.
func TestPDUSessionEstablishment(t *testing.T) {
	e, u := registered(t, nil)
	acc, err := u.establish(5, "internet")
	must(t, err)
	if acc.PDUSessionID != 5 || acc.DNN != "internet" || acc.Address.String() != "10.45.0.2" {
		t.Errorf("accept %+v", acc)
	}
	if st := <-e.smf.n1n2; st != http.StatusOK {
		t.Errorf("N1N2MessageTransfer answered %d, want 200", st)
	}
	nfkittest.Eventually(t, waitFor, "gNB tunnel at the SMF", func() bool {
		_, c := e.smf.context(u.supi, 5)
		return c != nil && c.dl != nil && c.dl.TEID == 5
	})
	waitMetric(t, e.amf, `corebox_amf_pdu_session_requests_total{result="forwarded"}`, 1)
}

// The SMF rejects a DNN the UE is not subscribed to; the AMF relays its
// PDU Session Establishment Reject in a DL NAS Transport.
func TestPDUSessionRejectRelayed(t *testing.T) {
	e, u := registered(t, nil)
	_, err := u.establish(1, "ims")
	wantReject(t, err, nas5g.MsgPDUSessionEstablishmentReject, nas5g.SMCauseMissingOrUnknownDNN)
	waitMetric(t, e.amf, `corebox_amf_pdu_session_requests_total{result="rejected"}`, 1)
	if _, c := e.smf.context(u.supi, 1); c != nil {
		t.Error("rejected session has an SM context")
	}
}

// UE context release makes the UE CM-IDLE (still registered); downlink
// data makes the SMF send N1N2MessageTransfer, answered 202 while the AMF
// pages; the UE's Service Request brings an Initial Context Setup with
// the session's N2 transfer and the Service Accept.
func TestIdlePagingServiceRequest(t *testing.T) {
	nfkittest.NoLeaks(t)
	e, u := registered(t, nil)
	_, err := u.establish(1, "internet")
	must(t, err)
	<-e.smf.n1n2
	must(t, u.release())
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 0)
	if v := scrape(t, e.amf)["corebox_amf_registered_ues"]; v != 1 {
		t.Fatalf("registered UEs %v after release", v)
	}
	nfkittest.Eventually(t, waitFor, "user plane deactivated", func() bool {
		_, c := e.smf.context(u.supi, 1)
		return c != nil && c.dl == nil
	})

	res := e.smf.downlinkData(t, u.supi, 1)
	if res.Status != http.StatusAccepted || res.Data.Cause != models.Amf_Comm_N1N2MessageTransferCause_ATTEMPTING_TO_REACH_UE {
		t.Fatalf("N1N2 for an idle UE: %+v", res)
	}
	m, err := u.g.next(t)
	must(t, err)
	p, ok := m.(*n2.Paging)
	if !ok || p.STMSI != u.guti.STMSI() {
		t.Fatalf("got %T %+v, want Paging for %+v", m, m, u.guti.STMSI())
	}
	waitMetric(t, e.amf, "corebox_amf_paging_total", 1)

	ics, err := u.serviceRequest(nas5g.ServiceMobileTerminated, 0)
	must(t, err)
	if len(ics.Sessions) != 1 || ics.Sessions[0].PDUSessionID != 1 || ics.UEAMBR.Downlink == 0 {
		t.Fatalf("Initial Context Setup sessions %+v, UE-AMBR %+v", ics.Sessions, ics.UEAMBR)
	}
	nfkittest.Eventually(t, waitFor, "user plane active again", func() bool {
		_, c := e.smf.context(u.supi, 1)
		return c != nil && c.dl != nil
	})
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 1)

	// Connected again: a transfer is delivered at once (200).
	res = e.smf.downlinkData(t, u.supi, 1)
	if res.Status != http.StatusOK {
		t.Fatalf("N1N2 for a connected UE: %+v", res)
	}
	m, err = u.recv()
	must(t, err)
	if _, ok := m.(*n2.PDUSessionResourceSetupRequest); !ok {
		t.Fatalf("got %T, want PDU Session Resource Setup Request", m)
	}
}

// A Service Request with uplink data for a session reactivates it through
// UpdateSMContext (ACTIVATING) without paging.
func TestServiceRequestUplinkData(t *testing.T) {
	e, u := registered(t, nil)
	_, err := u.establish(2, "internet")
	must(t, err)
	<-e.smf.n1n2
	must(t, u.release())
	ics, err := u.serviceRequest(nas5g.ServiceData, 1<<2)
	must(t, err)
	if len(ics.Sessions) != 1 || ics.Sessions[0].PDUSessionID != 2 {
		t.Fatalf("sessions %+v", ics.Sessions)
	}
	tr, err := n2.DecodeSetupRequestTransfer(ics.Sessions[0].Transfer)
	must(t, err)
	if tr.ULTunnel != upfTunnel {
		t.Errorf("UL tunnel %+v", tr.ULTunnel)
	}
}

// A Service Request that does not verify gets Service Reject #9.
func TestServiceRequestBadMAC(t *testing.T) {
	_, u := registered(t, nil)
	must(t, u.release())
	u.sec.KNASint[0] ^= 1 // the UE's key no longer matches
	_, err := u.serviceRequest(nas5g.ServiceData, 0)
	wantReject(t, err, nas5g.MsgServiceReject, nas5g.CauseUEIdentityCannotBeDerived)
}

// Deregistration: normal gets Deregistration Accept then release;
// switch-off only the release. Either way the UE context is gone.
func TestDeregistration(t *testing.T) {
	nfkittest.NoLeaks(t)
	for _, switchOff := range []bool{false, true} {
		e, u := registered(t, nil)
		_, err := u.establish(1, "internet")
		must(t, err)
		<-e.smf.n1n2
		must(t, u.deregister(switchOff))
		waitMetric(t, e.amf, "corebox_amf_registered_ues", 0)
		nfkittest.Eventually(t, waitFor, "SM context released", func() bool {
			_, c := e.smf.context(u.supi, 1)
			return c == nil
		})
		if _, ok := e.amf.ues.bySUPI.Load(u.supi); ok {
			t.Errorf("switch-off %v: the UE context outlived deregistration", switchOff)
		}
		_, err = smcontext.TransferN1N2(context.Background(), e.smf.client, e.amf.SBIURL(), u.supi,
			smcontext.NewN1N2Request(1, &models.Snssai{Sst: 1}, nil, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, setupTransfer()))
		if sbi.StatusOf(err) != http.StatusNotFound {
			t.Errorf("switch-off %v: N1N2 for a deregistered UE: %v, want 404", switchOff, err)
		}
	}
}

// A lost gNB association: its UEs go CM-IDLE (registered ones keep their
// registration), half-registered ones are forgotten.
func TestGNBLossCleansUp(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 2, nil)
	g := newGNB(t, e.amf)
	u := newTestUE(t, g, 1, testK, 0)
	_, err := u.register()
	must(t, err)
	// UE 2 stops after the Registration Request.
	u2 := newTestUE(t, g, 2, testK, 0)
	must(t, u2.sendInitial(&nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationInitial, NgKSI: nas5g.NoKey,
		Identity: nas5g.UEIdentity{SUCI: u2.suci()}, SecurityCapability: &u2.secCap}, false, nil))
	_, _, _, err = u2.recvNAS()
	must(t, err)
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 1)

	g.close()
	waitMetric(t, e.amf, "corebox_amf_connected_gnbs", 0)
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 0)
	waitMetric(t, e.amf, `corebox_amf_registrations_total{result="failed"}`, 1)
	if v := scrape(t, e.amf)["corebox_amf_registered_ues"]; v != 1 {
		t.Errorf("registered UEs %v, want 1", v)
	}
	nfkittest.Eventually(t, waitFor, "no NG connections left", func() bool {
		left := 0
		e.amf.ues.byAMFID.Range(func(_, _ any) bool { left++; return true })
		return left == 0
	})
	// The registered UE comes back through another gNB.
	g2 := newGNB(t, e.amf)
	u.g = g2
	_, err = u.serviceRequest(nas5g.ServiceSignalling, 0)
	must(t, err)
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 1)
}

// UE-requested release: the SMF's Release Command and Release Command
// Transfer go out as PDU Session Resource Release Command; the gNB's
// response and the UE's Release Complete go back to the SMF, and the AMF
// forgets the session.
func TestPDUSessionRelease(t *testing.T) {
	nfkittest.NoLeaks(t)
	e, u := registered(t, nil)
	_, err := u.establish(3, "internet")
	must(t, err)
	<-e.smf.n1n2
	req, err := (&nas5g.PDUSessionReleaseRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: 3, PTI: 2}}).Encode()
	must(t, err)
	must(t, u.sendUL(&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: req, PDUSessionID: 3}))
	m, plain, mt, err := u.recvNAS()
	must(t, err)
	rc, ok := m.(*n2.PDUSessionResourceReleaseCommand)
	if !ok || mt != nas5g.MsgDLNASTransport || len(rc.Sessions) != 1 || rc.Sessions[0].PDUSessionID != 3 {
		t.Fatalf("got %T (%s), want PDU Session Resource Release Command for session 3", m, mt)
	}
	dl, err := nas5g.ParseDLNASTransport(plain)
	must(t, err)
	if _, err := nas5g.ParsePDUSessionReleaseCommand(dl.Payload); err != nil {
		t.Fatalf("N1 in the release: %v", err)
	}
	must(t, u.g.send(&n2.PDUSessionResourceReleaseResponse{UEIDs: u.ids(), Sessions: []n2.SessionTransfer{{PDUSessionID: 3,
		Transfer: mustEncode(t, &n2.ReleaseResponseTransfer{})}}}))
	done, err := (&nas5g.PDUSessionReleaseComplete{SessionHeader: nas5g.SessionHeader{PDUSessionID: 3, PTI: 2}}).Encode()
	must(t, err)
	must(t, u.sendUL(&nas5g.ULNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: done, PDUSessionID: 3}))
	seen := map[models.Smf_PDUSess_N2SmInfoType]bool{}
	nfkittest.Eventually(t, waitFor, "release response and complete at the SMF", func() bool {
		for {
			select {
			case up := <-e.smf.updates:
				seen[up.Data.N2SmInfoType] = true
				if mt, _, _ := nas5g.PeekType(up.N1SM); mt == nas5g.MsgPDUSessionReleaseComplete {
					seen["complete"] = true
				}
			default:
				return seen[models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP] && seen["complete"]
			}
		}
	})
	nfkittest.Eventually(t, waitFor, "session forgotten", func() bool {
		v, _ := e.amf.ues.bySUPI.Load(u.supi)
		x := v.(*ue)
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.sessions[3] == nil
	})
}

// Initial Context Setup Failure on a Service Request: the UE is released
// and stays registered (CM-IDLE).
func TestInitialContextSetupFailure(t *testing.T) {
	e, u := registered(t, nil)
	must(t, u.release())
	st := u.guti.STMSI()
	must(t, u.sendInitial(&nas5g.ServiceRequest{NgKSI: nas5g.KSI{Value: 1}, ServiceType: nas5g.ServiceSignalling, STMSI: st}, true, &st))
	m, err := u.recv()
	must(t, err)
	if _, ok := m.(*n2.InitialContextSetupRequest); !ok {
		t.Fatalf("got %T", m)
	}
	must(t, u.g.send(&n2.InitialContextSetupFailure{UEIDs: u.ids(), Cause: n2.CauseUnspecified}))
	must(t, u.expectRelease())
	waitMetric(t, e.amf, "corebox_amf_connected_ues", 0)
	if v := scrape(t, e.amf)["corebox_amf_registered_ues"]; v != 1 {
		t.Errorf("registered UEs %v, want 1", v)
	}
}

func mustEncode(t *testing.T, m interface{ Encode() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Encode()
	must(t, err)
	return b
}
