package mme

import (
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// fastTimers makes the EMM timers short for the tests that let them run.
func fastTimers(c *Config) {
	c.Timers.T3450, c.Timers.T3460, c.Timers.T3470 = 40*time.Millisecond, 40*time.Millisecond, 40*time.Millisecond
}

// startAttach sends an Attach Request from a new connection; the test
// answers (or not) what comes.
func (u *testUE) startAttach(byGUTI bool) {
	u.t.Helper()
	u.connect(u.e)
	esm, _ := (&naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: u.pti()}, RequestType: naseps.RequestInitial,
		PDNType: naseps.PDNTypeIPv4}).Marshal()
	req := &naseps.AttachRequest{AttachType: naseps.AttachEPS, KSI: naseps.NoKey, Identity: naseps.IMSIIdentity(u.imsi),
		UENetworkCapability: u.netCap, ESMContainer: esm}
	if byGUTI {
		req.Identity = naseps.GUTIIdentity(*u.guti)
	}
	u.sendInitial(u.protect(req, naseps.IntegrityProtected), nil)
}

// A UE that never answers gets the request 5 times in all (T3460 for the
// Authentication Request, T3470 for the Identity Request), then the
// attach is abandoned and the connection released.
func TestTimersRetransmitThenAbandon(t *testing.T) {
	e := newEnv(t, 1, fastTimers)
	tries := 1 + e.mme.cfg.Timers.MaxRetransmissions
	for _, tc := range []struct {
		timer  string
		byGUTI bool
		want   func(naseps.Message) bool
	}{
		{"T3460", false, func(m naseps.Message) bool { _, ok := m.(*naseps.AuthenticationRequest); return ok }},
		{"T3470", true, func(m naseps.Message) bool { _, ok := m.(*naseps.IdentityRequest); return ok }},
	} {
		t.Run(tc.timer, func(t *testing.T) {
			u := e.ue(t, 1)
			u.guti = &naseps.GUTI{PLMN: naseps.PLMN{MCC: "001", MNC: "01"}, MMEGroupID: 9, MMECode: 9, MTMSI: 1}
			u.startAttach(tc.byGUTI)
			for i := range tries {
				if m := u.expectNAS(); !tc.want(m) {
					t.Fatalf("try %d: got %T", i+1, m)
				}
			}
			u.expectRelease()
			waitMetric(t, e.mme, `corebox_mme_nas_timer_expiries_total{timer="`+tc.timer+`"}`, 1)
		})
	}
	waitMetric(t, e.mme, `corebox_mme_attaches_total{result="failed"}`, 2)
	waitMetric(t, e.mme, `corebox_mme_ues{state="attaching"}`, 0)
}

// T3450: the Attach Accept is sent again until Attach Complete; without
// it the attach fails and its session is deleted.
func TestT3450(t *testing.T) {
	e := newEnv(t, 1, fastTimers)
	u := e.ue(t, 1)
	u.startAttach(false)
	r := &attachResult{}
	for r.smc == nil {
		dl, ok := u.recv().(*s1ap.DownlinkNASTransport)
		if !ok {
			t.Fatal("want Downlink NAS Transport")
		}
		u.attachNAS(dl.NASPDU, r, attachOpts{})
	}
	ics, ok := u.recv().(*s1ap.InitialContextSetupRequest)
	if !ok {
		t.Fatal("want Initial Context Setup Request")
	}
	if _, ok := u.readNAS(ics.ERABs[0].NASPDU).(*naseps.AttachAccept); !ok {
		t.Fatal("want Attach Accept in the E-RAB")
	}
	u.answerICS(ics)
	for i := range e.mme.cfg.Timers.MaxRetransmissions {
		if _, ok := u.expectNAS().(*naseps.AttachAccept); !ok {
			t.Fatalf("retransmission %d: want Attach Accept", i+1)
		}
	}
	u.expectRelease()
	waitMetric(t, e.mme, `corebox_mme_nas_timer_expiries_total{timer="T3450"}`, 1)
	nfkittest.Eventually(t, waitFor, "session deleted", func() bool { return e.sgw.Sessions() == 0 })
	waitMetric(t, e.mme, `corebox_mme_pdn_connections`, 0)
}
