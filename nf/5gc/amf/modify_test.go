package amf

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

var movedUPF = n2.GTPTunnel{Addr: netip.MustParseAddr("10.100.0.2"), TEID: 0x200}

// gnbTunnel is the gNB's downlink tunnel of a session (as gnbTransfer).
func gnbTunnel(psi uint8) n2.GTPTunnel {
	return n2.GTPTunnel{Addr: netip.MustParseAddr("10.200.0.1"), TEID: uint32(psi)}
}

// modifyResponse is the gNB's answer for a session it moved to movedUPF.
func modifyResponse(psi uint8) n2.SessionTransfer {
	dl, ul := gnbTunnel(psi), movedUPF
	b, err := (&n2.ModifyResponseTransfer{DLTunnel: &dl, ULTunnel: &ul}).Encode()
	if err != nil {
		panic(err) // fixed input: a failure is a bug of the test
	}
	return n2.SessionTransfer{PDUSessionID: psi, Transfer: b}
}

func modifyFailure(psi uint8) n2.SessionTransfer {
	b, err := (&n2.ModifyUnsuccessfulTransfer{Cause: n2.CauseUnknownPDUSessionID}).Encode()
	if err != nil {
		panic(err)
	}
	return n2.SessionTransfer{PDUSessionID: psi, Transfer: b}
}

// establishActive sets up sessions and waits until the SMF holds the
// gNB's tunnel of each.
func establishActive(t *testing.T, e *env, u *testUE, psis ...uint8) {
	t.Helper()
	for _, psi := range psis {
		_, err := u.establish(psi, "internet")
		must(t, err)
		<-e.smf.n1n2
		nfkittest.Eventually(t, waitFor, "gNB tunnel at the SMF", func() bool {
			_, c := e.smf.context(u.supi, psi)
			return c != nil && c.dl != nil
		})
	}
}

// recvModify waits for the PDU Session Resource Modify Request of one
// session and decodes its transfer.
func recvModify(t *testing.T, u *testUE, psi uint8) (*n2.PDUSessionResourceModifyRequest, *n2.ModifyRequestTransfer) {
	t.Helper()
	m, err := u.recv()
	must(t, err)
	mr, ok := m.(*n2.PDUSessionResourceModifyRequest)
	if !ok || mr.UEIDs != u.ids() || len(mr.Sessions) != 1 || mr.Sessions[0].PDUSessionID != psi {
		t.Fatalf("got %T %+v, want a PDU Session Resource Modify Request for session %d", m, m, psi)
	}
	tr, err := n2.DecodeModifyRequestTransfer(mr.Sessions[0].Transfer)
	must(t, err)
	return mr, tr
}

// An SMF moves two sessions to another UPF: each N1N2MessageTransfer
// (PDU_RES_MOD_REQ) becomes a PDU Session Resource Modify Request; the
// gNB's modified and failed items go back to each session's SMF as
// PDU_RES_MOD_RSP and PDU_RES_MOD_FAIL with the gNB's transfer bytes.
func TestPDUSessionModify(t *testing.T) {
	nfkittest.NoLeaks(t)
	e, u := registered(t, nil)
	establishActive(t, e, u, 5, 6)

	res, err := e.smf.moveUplink(t, u.supi, 5, movedUPF, nil)
	must(t, err)
	if res.Status != http.StatusOK || res.Data.Cause != models.Amf_Comm_N1N2MessageTransferCause_N1_N2_TRANSFER_INITIATED {
		t.Fatalf("N1N2 modify for a connected UE: %+v", res)
	}
	mr, tr := recvModify(t, u, 5)
	want := []n2.ULTunnelModifyItem{{UL: movedUPF, DL: gnbTunnel(5)}}
	if mr.Sessions[0].NASPDU != nil || len(tr.ULTunnelModify) != 1 || tr.ULTunnelModify[0] != want[0] {
		t.Fatalf("modify item NAS %x, transfer %+v, want %+v", mr.Sessions[0].NASPDU, tr, want)
	}
	ok := modifyResponse(5)
	must(t, u.g.send(&n2.PDUSessionResourceModifyResponse{UEIDs: u.ids(), Sessions: []n2.SessionTransfer{ok}}))

	// With an N1 part (a PDU Session Modification Command), which rides
	// protected in the item's NAS-PDU.
	cmd := []byte{0x2e, 6, 3, 0xcb, 0x24}
	_, err = e.smf.moveUplink(t, u.supi, 6, movedUPF, cmd)
	must(t, err)
	mr, _ = recvModify(t, u, 6)
	plain, err := u.open(mr.Sessions[0].NASPDU)
	must(t, err)
	dl, err := nas5g.ParseDLNASTransport(plain)
	must(t, err)
	if dl.PDUSessionID != 6 || !bytes.Equal(dl.Payload, cmd) {
		t.Fatalf("NAS-PDU carries %+v", dl)
	}
	fail := modifyFailure(6)
	must(t, u.g.send(&n2.PDUSessionResourceModifyResponse{UEIDs: u.ids(), Failed: []n2.SessionTransfer{fail}}))

	for psi, want := range map[uint8]struct {
		typ      models.Smf_PDUSess_N2SmInfoType
		transfer []byte
	}{5: {models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP, ok.Transfer}, 6: {models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_FAIL, fail.Transfer}} {
		nfkittest.Eventually(t, waitFor, "modify outcome at the session's SMF", func() bool {
			_, c := e.smf.context(u.supi, psi)
			return c != nil && len(c.mods) == 1
		})
		_, c := e.smf.context(u.supi, psi)
		if got := c.mods[0]; got.Data.N2SmInfoType != want.typ || !bytes.Equal(got.N2SM, want.transfer) {
			t.Errorf("session %d: SMF got %s %x, want %s %x", psi, got.Data.N2SmInfoType, got.N2SM, want.typ, want.transfer)
		}
	}
	m := scrape(t, e.amf)
	for result, want := range map[string]float64{modRequested: 2, modModified: 1, modFailed: 1, modIdle: 0} {
		if got := m[`corebox_amf_pdu_session_modifications_total{result="`+result+`"}`]; got != want {
			t.Errorf("modifications %s = %v, want %v", result, got, want)
		}
	}
}

// A CM-IDLE UE: the N2-only modification is refused (409
// UE_IN_CM_IDLE_STATE) without paging, and the setup transfer held from
// the SMF's earlier downlink-data transfer is dropped as stale, so the
// Service Request sets the session up with the SMF's current tunnel.
func TestPDUSessionModifyIdle(t *testing.T) {
	e, u := registered(t, nil)
	establishActive(t, e, u, 1)
	must(t, u.release())
	nfkittest.Eventually(t, waitFor, "user plane deactivated", func() bool {
		_, c := e.smf.context(u.supi, 1)
		return c != nil && c.dl == nil
	})
	if res := e.smf.downlinkData(t, u.supi, 1); res.Status != http.StatusAccepted {
		t.Fatalf("downlink data for an idle UE: %+v", res)
	}
	if m, err := u.g.next(t); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*n2.Paging); !ok {
		t.Fatalf("got %T, want Paging", m)
	}

	e.smf.ul.Store(&movedUPF)
	_, err := e.smf.moveUplink(t, u.supi, 1, movedUPF, nil)
	if sbi.StatusOf(err) != http.StatusConflict || sbi.CauseOf(err) != causeUEInCMIdle {
		t.Fatalf("N1N2 modify for an idle UE: %v, want 409 %s", err, causeUEInCMIdle)
	}
	m := scrape(t, e.amf)
	if m["corebox_amf_paging_total"] != 1 || m[`corebox_amf_pdu_session_modifications_total{result="idle"}`] != 1 ||
		m[`corebox_amf_pdu_session_modifications_total{result="requested"}`] != 0 {
		t.Errorf("paging %v, modifications idle %v requested %v", m["corebox_amf_paging_total"],
			m[`corebox_amf_pdu_session_modifications_total{result="idle"}`], m[`corebox_amf_pdu_session_modifications_total{result="requested"}`])
	}

	ics, err := u.serviceRequest(nas5g.ServiceMobileTerminated, 0)
	must(t, err)
	if len(ics.Sessions) != 1 || ics.Sessions[0].PDUSessionID != 1 {
		t.Fatalf("Initial Context Setup sessions %+v", ics.Sessions)
	}
	tr, err := n2.DecodeSetupRequestTransfer(ics.Sessions[0].Transfer)
	must(t, err)
	if tr.ULTunnel != movedUPF {
		t.Errorf("session set up toward %+v, want the moved UPF %+v", tr.ULTunnel, movedUPF)
	}
}

// A modification for a session the AMF does not relay is refused.
func TestPDUSessionModifyUnknownSession(t *testing.T) {
	e, u := registered(t, nil)
	tr, err := (&n2.ModifyRequestTransfer{ULTunnelModify: []n2.ULTunnelModifyItem{{UL: movedUPF, DL: gnbTunnel(9)}}}).Encode()
	must(t, err)
	_, err = smcontext.TransferN1N2(context.Background(), e.smf.client, e.amf.SBIURL(), u.supi,
		smcontext.NewN1N2Request(9, &models.Snssai{Sst: 1}, nil, models.Amf_Comm_NgapIeType_PDU_RES_MOD_REQ, tr))
	if sbi.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("modify of an unknown session: %v, want 400", err)
	}
	if v := scrape(t, e.amf)[`corebox_amf_pdu_session_modifications_total{result="requested"}`]; v != 0 {
		t.Errorf("%v Modify Requests sent", v)
	}
}
