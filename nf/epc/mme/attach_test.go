package mme

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

var dn = netip.MustParseAddrPort("192.0.2.10:53")

// A full attach by IMSI with the real HSS, SGW and PGW: EPS-AKA, SMC with
// EEA2/EIA2, Initial Context Setup carrying the Attach Accept, Attach
// Complete, Modify Bearer; then packets both ways through SGW and PGW.
func TestAttachByIMSI(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := newEnv(t, 1, nil)
	u := e.ue(t, 1)
	r := u.attach(attachOpts{})
	if !r.accepted {
		t.Fatalf("attach: %v", r)
	}
	if r.identityRequested || r.authRequests != 1 {
		t.Errorf("identity requested %v, %d challenges; want none and one", r.identityRequested, r.authRequests)
	}
	if r.smc.EncAlg != naseps.EEA2 || r.smc.IntAlg != naseps.EIA2 {
		t.Errorf("SMC chose EEA%d/EIA%d, want EEA2/EIA2", r.smc.EncAlg, r.smc.IntAlg)
	}
	if r.smc.ReplayedCapability.EEA != u.netCap.EEA || r.smc.ReplayedCapability.EIA != u.netCap.EIA {
		t.Errorf("replayed capabilities %+v, UE sent %+v", r.smc.ReplayedCapability, u.netCap)
	}
	checkAttachAccept(t, e, r)
	e.waitSynced(t, u)
	p := u.pdn("internet")
	if !netip.MustParsePrefix("10.46.0.0/16").Contains(p.addr) {
		t.Errorf("UE address %v not from the internet pool", p.addr)
	}
	userPlane(t, e, u, "internet")
	m := scrape(t, e.mme.Ops())
	for name, want := range map[string]float64{
		`corebox_mme_attaches_total{result="accepted"}`: 1, `corebox_mme_ues{state="connected"}`: 1,
		`corebox_mme_pdn_connections`: 1, `corebox_mme_connected_enbs`: 1,
		`corebox_mme_authentications_total{result="success"}`:                                     1,
		`corebox_mme_messages_total{direction="tx",interface="s11",type="Modify Bearer Request"}`: 1,
	} {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
	}
}

// checkAttachAccept checks the Initial Context Setup and Attach Accept of
// a default attach.
func checkAttachAccept(t *testing.T, e *env, r *attachResult) {
	t.Helper()
	erab := r.ics.ERABs[0]
	if erab.ID != firstEBI || erab.QoS.QCI == 0 || erab.QoS.ARP.PriorityLevel == 0 {
		t.Errorf("E-RAB %d QCI %d ARP %+v", erab.ID, erab.QoS.QCI, erab.QoS.ARP)
	}
	if erab.Tunnel.Addr != e.b.Addr(sgwtest.IndexS11) || erab.Tunnel.TEID == 0 {
		t.Errorf("E-RAB tunnel %v/%#x, want the SGW's S1-U", erab.Tunnel.Addr, erab.Tunnel.TEID)
	}
	if r.ics.UEAMBR.UL == 0 || r.ics.UEAMBR.DL == 0 {
		t.Errorf("UE-AMBR %+v", r.ics.UEAMBR)
	}
	if c := r.ics.SecurityCapabilities; c.Encryption&s1ap.Alg128Bit(2) == 0 || c.Integrity&s1ap.Alg128Bit(2) == 0 {
		t.Errorf("UE security capabilities %+v lack 128-EEA2/EIA2", c)
	}
	g := r.accept.GUTI
	if g == nil || g.MMEGroupID != e.mme.cfg.MMEGroupID || g.MMECode != e.mme.cfg.MMECode || g.MTMSI == 0 {
		t.Errorf("GUTI %v", g)
	}
	if len(r.accept.TAIList) != 2 {
		t.Errorf("TAI list %v, want the 2 configured TAs", r.accept.TAIList)
	}
	if r.bearer.APN != "internet" || r.bearer.EBI != firstEBI || r.bearer.QoS.QCI != erab.QoS.QCI {
		t.Errorf("default bearer APN %q EBI %d QCI %d", r.bearer.APN, r.bearer.EBI, r.bearer.QoS.QCI)
	}
}

// userPlane sends a packet each way through the UE's default bearer to
// apn and checks it arrives.
func userPlane(t *testing.T, e *env, u *testUE, apn string) {
	t.Helper()
	p := u.pdn(apn)
	b := p.bearers[p.ebi]
	ueAddr := netip.AddrPortFrom(p.addr, 40000)
	dev := e.pgw.MemoryDevice(apn)
	up := sgwtest.UDPPacket(ueAddr, dn, []byte("uplink "+u.imsi))
	if err := u.e.sendGTPU(b.sgwU, e.gtpuPort, up); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-dev.Uplink():
		if !bytes.Equal(got, up) {
			t.Fatalf("uplink at the PGW differs")
		}
	case <-time.After(waitFor):
		t.Fatal("uplink packet did not reach the PGW")
	}
	down := sgwtest.UDPPacket(dn, ueAddr, []byte("downlink "+u.imsi))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := dev.Inject(ctx, down); err != nil {
		t.Fatal(err)
	}
	expectDownlink(t, u, b, down)
}

// expectDownlink waits for pkt at the UE's eNB on bearer b's tunnel.
func expectDownlink(t *testing.T, u *testUE, b *ueBearer, pkt []byte) {
	t.Helper()
	teid, got, err := u.e.recvGTPU(waitFor)
	if err != nil {
		t.Fatalf("downlink: %v", err)
	}
	if teid != b.enbU.TEID || !bytes.Equal(got, pkt) {
		t.Fatalf("downlink on TEID %#x (want %#x), equal %v", teid, b.enbU.TEID, bytes.Equal(got, pkt))
	}
}

// Refusals of the attach and what the UE is told (TS 24.301, TS 29.272
// Annex A Table A.1).
func TestAttachRefused(t *testing.T) {
	e := newEnv(t, 2, nil)
	tests := []struct {
		name       string
		ue         func() *testUE
		opts       attachOpts
		authReject bool
		emm        naseps.EMMCause
		esm        naseps.ESMCause
		result     string
	}{
		{name: "wrong key: the UE fails the network (MAC failure)", ue: func() *testUE { return newUE(t, e.enb, imsi(1), wrongK, 0) },
			authReject: true, result: attachAuthRejected},
		{name: "wrong RES", ue: func() *testUE { u := e.ue(t, 1); u.wrongRES = true; return u },
			authReject: true, result: attachAuthRejected},
		// HSS DIAMETER_ERROR_USER_UNKNOWN (5001) maps to #8 "EPS services
		// and non-EPS services not allowed" (TS 29.272 Annex A Table A.1).
		{name: "unknown IMSI", ue: func() *testUE { return e.ue(t, 99) }, emm: naseps.EMMCauseEPSAndNonEPSNotAllowed,
			result: attachRejected},
		// ESM failure #19 with PDN Connectivity Reject #27 (TS 24.301
		// 5.5.1.2.5, 6.5.1.4).
		{name: "unknown APN", ue: func() *testUE { return e.ue(t, 2) }, opts: attachOpts{apn: "nosuch"},
			emm: naseps.EMMCauseESMFailure, esm: naseps.ESMCauseUnknownAPN, result: attachRejected},
	}
	want := map[string]float64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.ue()
			r := u.attach(tt.opts)
			if r.accepted || r.authRejected != tt.authReject || r.emmCause != tt.emm || r.esmCause != tt.esm {
				t.Fatalf("got %v; want auth reject %v, EMM #%d, ESM #%d", r, tt.authReject, tt.emm, tt.esm)
			}
			if u.ch != nil {
				u.expectRelease()
			}
			want[tt.result]++
		})
	}
	for result, n := range want {
		waitMetric(t, e.mme, `corebox_mme_attaches_total{result="`+result+`"}`, n)
	}
	waitMetric(t, e.mme, `corebox_mme_pdn_connections`, 0)
	nfkittest.Eventually(t, waitFor, "no sessions left at the SGW", func() bool { return e.sgw.Sessions() == 0 })
}

// A USIM ahead of the HSS answers synch failure with AUTS; the MME asks
// the HSS again with Re-Synchronization-Info and the second challenge
// passes.
func TestAttachResync(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := newUE(t, e.enb, imsi(1), testK, sqnAhead)
	r := u.attach(attachOpts{})
	if !r.accepted || r.authRequests != 2 {
		t.Fatalf("attach: %v, want accepted after 2 challenges", r)
	}
	waitMetric(t, e.mme, `corebox_mme_authentications_total{result="resync"}`, 1)
	waitMetric(t, e.mme, `corebox_mme_authentications_total{result="success"}`, 1)
}

// The ESM information transfer flag: APN and PCO come after security is
// up (ESM Information Request/Response).
func TestAttachESMInformation(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := e.ue(t, 1)
	r := u.attach(attachOpts{esmInfo: true, apn: "ims"})
	if !r.accepted || !r.esmInfoRequested || r.bearer.APN != "ims" {
		t.Fatalf("attach: %v, ESM info requested %v, APN %q", r, r.esmInfoRequested, r.bearer.APN)
	}
}

// Null ciphering when the operator lists EEA0 first (readable captures);
// integrity stays EIA2.
func TestAttachNullCipheringConfigured(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.NAS.Ciphering = []string{"EEA0", "EEA2"} })
	u := e.ue(t, 1)
	r := u.attach(attachOpts{})
	if !r.accepted || r.smc.EncAlg != naseps.EEA0 || r.smc.IntAlg != naseps.EIA2 {
		t.Fatalf("attach %v with EEA%d/EIA%d, want EEA0/EIA2", r, r.smc.EncAlg, r.smc.IntAlg)
	}
}
