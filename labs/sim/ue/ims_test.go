package ue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/ims/scscf/scscftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestIMSRegisterAKA(t *testing.T) {
	nfkittest.NoLeaks(t, sipgoLateClientConn)
	core := startIMSCore(t)
	a := core.agent(t, alice, "127.0.0.2", nil, networkMedia(nil))
	if err := a.register(ctxFor(t, 20*time.Second), imsExpires); err != nil {
		t.Fatalf("register: %v", err)
	}
	scscftest.Registered(t, core.hss, alice.IMSI, hss.IMSRegistered)
	if !a.isRegistered() || a.impu != alice.IMPU() {
		t.Errorf("registered %v as %s, want %s", a.isRegistered(), a.impu, alice.IMPU())
	}
	ue := &imsUE{} // what GET /ues reports as the UE's IMPU
	ue.set(a.imsAgent)
	if got := ue.registeredIMPU(); got != alice.IMPU() {
		t.Errorf("GET /ues IMPU %q while registered, want %s", got, alice.IMPU())
	}
	a.mu.Lock()
	routes, assoc := a.serviceRoute, a.associated
	a.mu.Unlock()
	if len(routes) != 1 || !strings.HasPrefix(routes[0], "sip:orig@") {
		t.Errorf("Service-Route %v, want the S-CSCF's orig URI", routes)
	}
	if len(assoc) == 0 || assoc[0] != alice.IMPU() {
		t.Errorf("P-Associated-URI %v, want %s first", assoc, alice.IMPU())
	}
	// Re-registration: a fresh challenge, the USIM's SQN moves on.
	if err := a.register(ctxFor(t, 20*time.Second), imsExpires); err != nil {
		t.Fatalf("re-register: %v", err)
	}
	if err := a.register(ctxFor(t, 20*time.Second), 0); err != nil {
		t.Fatalf("deregister: %v", err)
	}
	scscftest.Registered(t, core.hss, alice.IMSI, hss.IMSNotRegistered)
	if a.isRegistered() || ue.registeredIMPU() != "" {
		t.Error("still registered after Expires 0")
	}

	wrong := core.agent(t, bob, "127.0.0.3", scscftest.MustHex(t, "000102030405060708090a0b0c0d0e0f"), networkMedia(nil))
	err := wrong.register(ctxFor(t, 20*time.Second), imsExpires)
	if !errors.Is(err, errAuth) {
		t.Fatalf("register with the wrong key: %v, want an authentication failure", err)
	}
	if got := counterValue(t, core.m.registrations.WithLabelValues("register", "auth_failed")); got != 1 {
		t.Errorf("auth_failed registrations %v, want 1", got)
	}
}

// TestIMSRegisterResync: a USIM that has accepted a higher SEQ on the
// IND the HSS uses (0 here) answers the challenge with auts; the S-CSCF
// resynchronises the HSS and challenges again; the new vector's SQN is
// accepted by the same USIM.
func TestIMSRegisterResync(t *testing.T) {
	nfkittest.NoLeaks(t, sipgoLateClientConn)
	core := startIMSCore(t)
	high := aka.NewSQN(5000, 0)
	usim, err := aka.NewUSIM(aka.USIMConfig{K: scscftest.MustHex(t, scscftest.K), OPc: scscftest.MustHex(t, scscftest.OPc),
		SUPI: "imsi-" + alice.IMSI, HighestSQN: high})
	if err != nil {
		t.Fatal(err)
	}
	a := core.agentWithUSIM(t, alice, "127.0.0.2", usim, networkMedia(nil))
	if err := a.register(ctxFor(t, 20*time.Second), imsExpires); err != nil {
		t.Fatalf("register after resync: %v", err)
	}
	if got := usim.HighestSQN(); got.SEQ() <= high.SEQ() {
		t.Errorf("USIM highest SQN %v, want beyond %v", got, high)
	}
}

// registered starts two registered agents: alice (caller) on 127.0.0.2
// and bob (callee) on 127.0.0.3.
func registered(t *testing.T, core *imsCore, withBearers bool) (*testAgent, *testAgent) {
	t.Helper()
	a := core.agent(t, alice, "127.0.0.2", nil, nil)
	b := core.agent(t, bob, "127.0.0.3", nil, nil)
	// The media stand-in plays the network's bearer activation, or not.
	a.cfg.media, b.cfg.media = networkMedia(nil), networkMedia(nil)
	if withBearers {
		a.cfg.media, b.cfg.media = networkMedia(a.hub), networkMedia(b.hub)
	}
	for _, x := range []*testAgent{a, b} {
		if err := x.register(ctxFor(t, 20*time.Second), imsExpires); err != nil {
			t.Fatalf("register %s: %v", x.impu, err)
		}
	}
	return a, b
}

// calleeRecord waits for the callee's record of callID.
func calleeRecord(t *testing.T, b *testAgent, callID string) simapi.CallRecord {
	t.Helper()
	var rec simapi.CallRecord
	nfkittest.Eventually(t, 15*time.Second, "callee record", func() bool {
		for _, r := range b.book.list() {
			if r.CallID == callID {
				rec = r
				return true
			}
		}
		return false
	})
	return rec
}

func TestIMSCallWithBearer(t *testing.T) {
	nfkittest.NoLeaks(t, sipgoLateClientConn)
	core := startIMSCore(t)
	a, b := registered(t, core, true)
	for _, tc := range []struct {
		name      string
		calleeBye bool
	}{{"caller hangs up", false}, {"callee hangs up", true}} {
		t.Run(tc.name, func(t *testing.T) {
			p := callParams{talk: time.Second, calleeBye: tc.calleeBye, bearerWait: 2 * time.Second}
			out, err := a.call(ctxFor(t, 60*time.Second), bob.IMPU(), p)
			if err != nil {
				t.Fatalf("call: %v (%+v)", err, out)
			}
			checkAnswered(t, out, roleCaller, bob.IMPU())
			if out.Status != 200 || out.SetupMs <= 0 {
				t.Errorf("status %d setup %v ms, want 200 and a positive setup time", out.Status, out.SetupMs)
			}
			rec := calleeRecord(t, b, out.CallID)
			checkAnswered(t, rec.CallOutcome, roleCallee, "")
			if rec.SUPI != "imsi-"+bob.IMSI || rec.IMPU != bob.IMPU() || !strings.Contains(rec.Peer, alice.IMSI) {
				t.Errorf("callee record %+v: want bob's, with alice as the peer", rec)
			}
		})
	}
	if got := counterValue(t, core.m.calls.WithLabelValues(roleCaller, "ok")); got != 2 {
		t.Errorf("ok calls as caller %v, want 2", got)
	}
}

// checkAnswered checks an answered, ended call with media both ways and
// its voice bearer activated and released.
func checkAnswered(t *testing.T, o simapi.CallOutcome, role, peer string) {
	t.Helper()
	if o.Role != role || o.CallID == "" || (peer != "" && o.Peer != peer) {
		t.Errorf("role %q call %q peer %q, want %s with %s", o.Role, o.CallID, o.Peer, role, peer)
	}
	if !o.Ended || o.Error != "" {
		t.Errorf("ended %v error %q, want an ended call without error", o.Ended, o.Error)
	}
	if o.TalkMs < 900 || o.TalkMs > 10000 {
		t.Errorf("talk %v ms, want about 1 s", o.TalkMs)
	}
	if r := o.RTP; r == nil || r.Sent < 25 || r.Received < 25 || r.LossRatio > 0.1 || r.MOS < 3.5 {
		t.Errorf("rtp %+v, want about 50 packets each way, little loss, a good MOS", o.RTP)
	}
	b := o.Bearer
	if b == nil || b.EBI != 7 || b.QCI != qciVoice || !b.Released {
		t.Fatalf("bearer %+v, want EBI 7 QCI 1 released", b)
	}
	if b.SetupMs < -5000 || b.SetupMs > 5000 {
		t.Errorf("bearer setup %v ms after the answer, want within the bearer wait", b.SetupMs)
	}
}

func TestIMSCallWithoutBearer(t *testing.T) {
	nfkittest.NoLeaks(t, sipgoLateClientConn)
	core := startIMSCore(t)
	a, b := registered(t, core, false)
	p := callParams{talk: 300 * time.Millisecond, bearerWait: 200 * time.Millisecond}
	out, err := a.call(ctxFor(t, 60*time.Second), bob.IMPU(), p)
	if !errors.Is(err, errNoVoiceBearer) {
		t.Fatalf("call: %v, want %v", err, errNoVoiceBearer)
	}
	if out.Status != 200 || !out.Ended || out.Bearer != nil || out.Error != "no QCI 1 bearer" || out.RTP == nil {
		t.Errorf("outcome %+v: want an answered, ended call reported without bearer", out)
	}
	rec := calleeRecord(t, b, out.CallID)
	if rec.Bearer != nil || rec.Error != "no QCI 1 bearer" || !rec.Ended {
		t.Errorf("callee record %+v: want ended, without bearer", rec)
	}
	if got := counterValue(t, core.m.calls.WithLabelValues(roleCaller, "no_bearer")); got != 1 {
		t.Errorf("no_bearer calls %v, want 1", got)
	}
}

func TestIMSCallUnreachable(t *testing.T) {
	nfkittest.NoLeaks(t, sipgoLateClientConn)
	core := startIMSCore(t)
	a, _ := registered(t, core, false)
	for _, tc := range []struct {
		name, target string
		want         int
	}{
		{"unregistered", carol.IMPU(), 480},
		{"unknown", "sip:001019999999999@" + scscftest.Domain, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := a.call(ctxFor(t, 40*time.Second), tc.target, callParams{talk: time.Second, bearerWait: time.Second})
			if !errors.Is(err, errCallFailed) || out.Status != tc.want || out.Ended || out.Error == "" {
				t.Errorf("call: %v, outcome %+v: want status %d reported as failed", err, out, tc.want)
			}
		})
	}
	if n := len(a.book.list()); n != 2 {
		t.Errorf("%d caller records, want 2", n)
	}
}

func TestIMSCallNotRegistered(t *testing.T) {
	nfkittest.NoLeaks(t, sipgoLateClientConn)
	core := startIMSCore(t)
	a := core.agent(t, alice, "127.0.0.2", nil, networkMedia(nil))
	_, err := a.call(ctxFor(t, 5*time.Second), bob.IMPU(), callParams{talk: time.Second})
	if !errors.Is(err, errNotIMSRegistered) {
		t.Fatalf("call before registering: %v", err)
	}
}
