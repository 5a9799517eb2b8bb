package mme

import (
	"context"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// UE-initiated detach, normal and switch-off: sessions deleted at the
// SGW, Detach Accept unless switched off, the connection released. The
// UE then attaches by GUTI: no Identity Request, and with its integrity
// verified no new challenge either.
func TestDetachThenAttachByGUTI(t *testing.T) {
	for _, switchOff := range []bool{false, true} {
		name := "normal"
		if switchOff {
			name = "switch-off"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 1, nil)
			u := e.attached(t, 1)
			u.detach(switchOff)
			nfkittest.Eventually(t, waitFor, "sessions deleted", func() bool { return e.sgw.Sessions() == 0 && e.pgw.Sessions() == 0 })
			waitMetric(t, e.mme, `corebox_mme_ues{state="deregistered"}`, 1)
			waitMetric(t, e.mme, `corebox_mme_pdn_connections`, 0)

			r := u.attach(attachOpts{byGUTI: true})
			if !r.accepted || r.identityRequested || r.authRequests != 0 {
				t.Fatalf("attach by GUTI: %v, want accepted without identity request or challenge", r)
			}
			e.waitSynced(t, u)
			userPlane(t, e, u, "internet")
			waitMetric(t, e.mme, `corebox_mme_ues{state="connected"}`, 1)
		})
	}
}

// An Attach Request with a GUTI the MME does not hold gets an Identity
// Request for the IMSI; one whose integrity fails but whose GUTI is
// known is authenticated again without asking the identity.
func TestAttachByGUTIIdentity(t *testing.T) {
	e := newEnv(t, 2, nil)
	u := e.ue(t, 1)
	u.guti = &naseps.GUTI{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, MMEGroupID: 1, MMECode: 1, MTMSI: 0xdeadbeef}
	r := u.attach(attachOpts{byGUTI: true})
	if !r.accepted || !r.identityRequested || r.authRequests != 1 {
		t.Fatalf("attach with an unknown GUTI: %v", r)
	}

	v := e.attached(t, 2)
	v.releaseByENB()
	v.sec.ULCount += 1000 // a context the MME cannot verify with (and a lost one on its side)
	r = v.attach(attachOpts{byGUTI: true})
	if !r.accepted || r.identityRequested || r.authRequests != 1 {
		t.Fatalf("attach with a known GUTI failing integrity: %v", r)
	}
}

// Purge-UE goes to the HSS on detach when configured.
func TestDetachPurge(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.HSS.PurgeOnDetach = true })
	u := e.attached(t, 1)
	u.detach(false)
	waitMetric(t, e.mme, `corebox_mme_messages_total{direction="rx",interface="s6a",type="PUA"}`, 1)
}

// A Cancel-Location withdrawing the subscription detaches a connected UE
// from the network side (Detach Request, T3422, Detach Accept).
func TestCancelLocationWithdrawal(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)
	clr := &diameter.CLR{RequestHeader: diameter.RequestHeader{SessionID: "hss;1;2", OriginHost: "hss.test",
		OriginRealm: "test", DestinationHost: "mme.test", DestinationRealm: "test"},
		UserName: u.imsi, CancellationType: diameter.CancelSubscriptionWithdrawal}
	req, err := clr.Build()
	if err != nil {
		t.Fatal(err)
	}
	ans, err := e.mme.serveCLR(context.Background(), nil, req)
	if err != nil {
		t.Fatal(err)
	}
	if cla, err := diameter.ParseCLA(ans); err != nil || !cla.Result.OK() {
		t.Fatalf("CLA %+v, %v", cla, err)
	}
	dr, ok := u.expectNAS().(*naseps.NetworkDetachRequest)
	if !ok || dr.Type != naseps.DetachReattachNotRequired {
		t.Fatalf("want a network Detach Request (re-attach not required), got %+v", dr)
	}
	u.sendNAS(&naseps.DetachAccept{})
	u.expectRelease()
	nfkittest.Eventually(t, waitFor, "sessions deleted", func() bool { return e.sgw.Sessions() == 0 })
	waitMetric(t, e.mme, `corebox_mme_ues{state="deregistered"}`, 1)
}

// The HSS cancels the location at the old MME when the UE attaches at
// another one (CLR, MME update procedure): the old MME drops the UE.
func TestCancelLocationAtOldMME(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)
	other := e.secondMME(t, "mme2.epc.mnc001.mcc001.3gppnetwork.org", 2)
	v := newUE(t, other, imsi(1), testK, 0)
	if r := v.attach(attachOpts{}); !r.accepted {
		t.Fatalf("attach at the second MME: %v", r)
	}
	waitMetric(t, e.mme, `corebox_mme_messages_total{direction="rx",interface="s6a",type="CLR"}`, 1)
	nfkittest.Eventually(t, waitFor, "UE forgotten at the old MME", func() bool { return e.mme.byIMSI(u.imsi) == nil })
	if rc := u.expectRelease(); rc == nil {
		t.Fatal("no release at the old MME")
	}
}

// T3422 gives up after its retransmissions and releases the UE.
func TestNetworkDetachT3422(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.Timers.T3422 = 30 * time.Millisecond })
	u := e.attached(t, 1)
	mu := e.mme.byIMSI(u.imsi)
	mu.do(func() { mu.networkDetach(naseps.DetachReattachRequired) })
	for range 1 + e.mme.cfg.Timers.MaxRetransmissions {
		if _, ok := u.expectNAS().(*naseps.NetworkDetachRequest); !ok {
			t.Fatal("want Detach Request")
		}
	}
	u.expectRelease()
	waitMetric(t, e.mme, `corebox_mme_nas_timer_expiries_total{timer="T3422"}`, 1)
}
