package mme

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// UE context release asked by the eNB takes the UE to ECM-IDLE (Release
// Access Bearers at the SGW); downlink data then makes the SGW notify the
// MME (DDN), which pages every eNB serving the UE's TAs; the UE answers
// with a Service Request through eNB 2, its bearers come back and the
// buffered packets are delivered there, in order.
func TestIdlePagingServiceRequest(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 1, nil)
	enb2 := dialENB(t, e.mme, 2, 2, e.b.AddrPort(indexENB2, e.gtpuPort))
	if enb2.setup(t, homePLMN) == nil {
		t.Fatal("S1 Setup of eNB 2 failed")
	}
	u := e.attached(t, 1)
	u.releaseByENB()
	waitMetric(t, e.mme, `corebox_mme_ues{state="idle"}`, 1)

	p := u.pdn("internet")
	ueAddr := netip.AddrPortFrom(p.addr, 40000)
	var held [][]byte
	for i := range 3 {
		pkt := sgwtest.UDPPacket(dn, ueAddr, fmt.Appendf(nil, "held %d", i))
		held = append(held, pkt)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		err := e.pgw.MemoryDevice("internet").Inject(ctx, pkt)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, enb := range []*testENB{e.enb, enb2} {
		select {
		case pg := <-enb.paging:
			if pg.STMSI == nil || pg.STMSI.MTMSI != u.guti.MTMSI || pg.STMSI.MMEC != u.guti.MMECode || pg.CNDomain != s1ap.CNDomainPS {
				t.Fatalf("eNB %d paged %+v, want S-TMSI %02x/%08x", enb.id, pg.STMSI, u.guti.MMECode, u.guti.MTMSI)
			}
		case <-time.After(waitFor):
			t.Fatalf("eNB %d got no Paging", enb.id)
		}
	}
	waitMetric(t, e.mme, `corebox_mme_paging_total`, 1)

	u.serviceRequest(enb2)
	for _, pkt := range held {
		expectDownlink(t, u, p.bearers[p.ebi], pkt)
	}
	userPlane(t, e, u, "internet")
	waitMetric(t, e.mme, `corebox_mme_ues{state="connected"}`, 1)
}

// A Service Request the MME cannot verify, or from a UE it does not know,
// gets Service Reject #9 and the connection is released.
func TestServiceRequestRejected(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)
	u.releaseByENB()
	u.sec.ULCount += 100 // beyond the 5-bit window: the short MAC cannot verify
	u.connect(e.enb)
	sr, err := u.sec.NewServiceRequest(u.ksi)
	if err != nil {
		t.Fatal(err)
	}
	pdu, _ := sr.Marshal()
	u.sendInitial(pdu, &s1ap.STMSI{MMEC: u.guti.MMECode, MTMSI: u.guti.MTMSI})
	if rej, ok := u.expectNAS().(*naseps.ServiceReject); !ok || rej.Cause != naseps.EMMCauseUEIdentityCannotBeDerived {
		t.Fatalf("want Service Reject #9, got %+v", rej)
	}
	u.expectRelease()
	waitMetric(t, e.mme, `corebox_mme_nas_mac_failures_total`, 1)

	for _, tc := range []struct {
		name  string
		mtmsi uint32
		want  naseps.EMMCause
	}{
		{"unknown S-TMSI", u.guti.MTMSI ^ 1, naseps.EMMCauseUEIdentityCannotBeDerived},
		{"detached UE", u.guti.MTMSI, naseps.EMMCauseImplicitlyDetached},
	} {
		if tc.want == naseps.EMMCauseImplicitlyDetached {
			u.sec.ULCount -= 100
			u.detach(true)
		}
		u.connect(e.enb)
		sr, err := u.sec.NewServiceRequest(u.ksi)
		if err != nil {
			t.Fatal(err)
		}
		pdu, _ := sr.Marshal()
		u.sendInitial(pdu, &s1ap.STMSI{MMEC: u.guti.MMECode, MTMSI: tc.mtmsi})
		if rej, ok := u.expectNAS().(*naseps.ServiceReject); !ok || rej.Cause != tc.want {
			t.Fatalf("%s: want Service Reject #%d, got %+v", tc.name, tc.want, rej)
		}
		u.expectRelease()
	}
}

// Tracking area updates of an idle UE: periodic and normal ones in our
// TAs are accepted (TAI list, bearer status) and the connection released;
// with the active flag the bearers come back; a GUTI the MME does not
// know is rejected with #9.
func TestTrackingAreaUpdate(t *testing.T) {
	e := newEnv(t, 2, nil)
	enb2 := dialENB(t, e.mme, 2, 2, e.b.AddrPort(indexENB2, e.gtpuPort))
	if enb2.setup(t, homePLMN) == nil {
		t.Fatal("S1 Setup of eNB 2 failed")
	}
	u := e.attached(t, 1)
	u.releaseByENB()
	acc, cause := u.tau(e.enb, true, false)
	if acc == nil || len(acc.TAIList) != 2 || acc.EPSBearerContextStatus == nil || !acc.EPSBearerContextStatus.Active(firstEBI) {
		t.Fatalf("periodic TAU: %+v, cause %d", acc, cause)
	}
	u.expectRelease()

	acc, _ = u.tau(enb2, false, true)
	if acc == nil {
		t.Fatal("TAU with active flag refused")
	}
	ics, ok := u.recv().(*s1ap.InitialContextSetupRequest)
	if !ok {
		t.Fatal("active flag: want Initial Context Setup")
	}
	u.checkKeNB(ics.SecurityKey)
	u.answerICS(ics)
	e.waitSynced(t, u)
	userPlane(t, e, u, "internet")

	v := e.attached(t, 2)
	v.releaseByENB()
	v.guti.MTMSI ^= 0xFFFF
	if acc, cause := v.tau(e.enb, false, false); acc != nil || cause != naseps.EMMCauseUEIdentityCannotBeDerived {
		t.Fatalf("TAU with an unknown GUTI: %+v, cause %d, want reject #9", acc, cause)
	}
}

// S1 Setup from an eNB of another PLMN fails (unknown PLMN); several eNBs
// are served at once.
func TestS1Setup(t *testing.T) {
	e := newEnv(t, 0, nil)
	bad := dialENB(t, e.mme, 7, 1, e.b.AddrPort(8, 0))
	if bad.setup(t, s1ap.PLMN{MCC: "999", MNC: "99"}) != nil {
		t.Fatal("S1 Setup for a foreign PLMN succeeded")
	}
	other := dialENB(t, e.mme, 8, 9, e.b.AddrPort(9, 0))
	if other.setup(t, homePLMN) != nil {
		t.Fatal("S1 Setup for a TAC we do not serve succeeded")
	}
	enb2 := dialENB(t, e.mme, 2, 2, e.b.AddrPort(indexENB2, 0))
	resp := enb2.setup(t, homePLMN)
	if resp == nil {
		t.Fatal("S1 Setup of eNB 2 failed")
	}
	if resp.MMEName != e.mme.cfg.Name || len(resp.ServedGUMMEIs) != 1 || resp.ServedGUMMEIs[0].Codes[0] != e.mme.cfg.MMECode {
		t.Errorf("S1 Setup Response %+v", resp)
	}
	waitMetric(t, e.mme, `corebox_mme_connected_enbs`, 2)
	waitMetric(t, e.mme, `corebox_mme_s1_setups_total{result="rejected"}`, 2)
}

// UE-associated messages naming no UE of the eNB, or sent before S1
// Setup, are answered with Error Indication.
func TestS1APErrorIndications(t *testing.T) {
	e := newEnv(t, 0, nil)
	ul := &s1ap.UplinkNASTransport{UEIDs: s1ap.UEIDs{MMEUES1APID: 999, ENBUES1APID: 77}, NASPDU: []byte{0x07, 0x43},
		TAI: e.enb.tai(), ECGI: e.enb.ecgi()}
	fresh := dialENB(t, e.mme, 3, 1, e.b.AddrPort(8, 0))
	for _, tc := range []struct {
		name  string
		enb   *testENB
		cause s1ap.Cause
	}{
		{"unknown UE", e.enb, s1ap.CauseUnknownPairUES1APID},
		{"before S1 Setup", fresh, s1ap.CauseSemanticError},
	} {
		if err := tc.enb.send(ul); err != nil {
			t.Fatal(err)
		}
		msg, err := tc.enb.next()
		if err != nil {
			t.Fatal(err)
		}
		ei, ok := msg.(*s1ap.ErrorIndication)
		if !ok || ei.Cause == nil || *ei.Cause != tc.cause || ei.ENBUES1APID == nil || *ei.ENBUES1APID != 77 {
			t.Errorf("%s: answered %+v, want Error Indication %v for eNB UE 77", tc.name, msg, tc.cause)
		}
	}
}
