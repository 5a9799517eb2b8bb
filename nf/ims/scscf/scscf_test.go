package scscf_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/ims/scscf"
	"github.com/corebox/corebox/nf/ims/scscf/scscftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

var (
	alice  = scscftest.Subscriber{IMSI: "001010000000001", MSISDN: "33600000001"}
	bob    = scscftest.Subscriber{IMSI: "001010000000002", MSISDN: "33600000002"}
	carol  = scscftest.Subscriber{IMSI: "001010000000003", MSISDN: "33600000003"} // never registers
	nobody = scscftest.Subscriber{IMSI: "001019999999999"}                        // not provisioned
)

type env struct {
	hss   *hss.HSS
	scscf *scscf.SCSCF
}

func setup(t *testing.T) env {
	t.Helper()
	h := scscftest.StartHSS(t, alice, bob, carol)
	n := scscftest.Start(t, scscftest.Config(h.DiameterAddr().String()))
	return env{hss: h, scscf: n}
}

func (e env) ue(t *testing.T, s scscftest.Subscriber) *scscftest.UE {
	return scscftest.NewUE(t, s, e.scscf.SIPAddr("udp"), 0)
}

func wantStatus(t *testing.T, what string, res *sip.Response, code int) {
	t.Helper()
	if res.StatusCode != code {
		t.Fatalf("%s: %d %s, want %d", what, res.StatusCode, res.Reason, code)
	}
}

func TestRegistration(t *testing.T) {
	e := setup(t)
	a := e.ue(t, alice)
	res := a.Register(3600, nil)
	wantStatus(t, "register", res, sip.StatusOK)
	if !e.scscf.Registered(alice.IMPU()) {
		t.Fatal("alice not registered at the S-CSCF")
	}
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSRegistered)
	if len(a.ServiceRoute) != 1 || !strings.HasPrefix(a.ServiceRoute[0], "sip:orig@") {
		t.Errorf("Service-Route %v, want our orig URI", a.ServiceRoute)
	}
	assoc := res.GetHeader("P-Associated-URI")
	if assoc == nil || !strings.Contains(assoc.Value(), alice.IMPU()) || !strings.Contains(assoc.Value(), "tel:+"+alice.MSISDN) {
		t.Errorf("P-Associated-URI %v, want the IMPU and tel URI", assoc)
	}
	c := res.Contact()
	if c == nil || !strings.Contains(c.Address.String(), a.Addr) {
		t.Fatalf("Contact %v, want our binding", c)
	}
	if exp, _ := c.Params.Get("expires"); exp == "" || exp == "0" {
		t.Errorf("binding expires %q", exp)
	}

	// Re-registration refreshes (SAR RE_REGISTRATION), the user stays.
	wantStatus(t, "re-register", a.Register(1800, nil), sip.StatusOK)
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSRegistered)

	// De-registration.
	wantStatus(t, "de-register", a.Register(0, nil), sip.StatusOK)
	if e.scscf.Registered(alice.IMPU()) {
		t.Fatal("alice still registered after Expires: 0")
	}
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSNotRegistered)
}

func TestRegistrationOverTCP(t *testing.T) {
	e := setup(t)
	a := scscftest.NewUE(t, alice, e.scscf.SIPAddr("tcp"), 0)
	a.TCP = true
	wantStatus(t, "register over TCP", a.Register(3600, nil), sip.StatusOK)
	if !e.scscf.Registered(alice.IMPU()) {
		t.Fatal("alice not registered")
	}
}

func TestRegistrationWrongResponse(t *testing.T) {
	e := setup(t)
	a := e.ue(t, alice)
	res := a.Register(3600, func(au *ims.Authorization) { au.Response = strings.Repeat("0", 32) })
	wantStatus(t, "register with a wrong response", res, sip.StatusForbidden)
	if e.scscf.Registered(alice.IMPU()) {
		t.Fatal("registered despite a wrong response")
	}
}

func TestRegistrationUnknownUser(t *testing.T) {
	e := setup(t)
	wantStatus(t, "register unknown", e.ue(t, nobody).Register(3600, nil), sip.StatusForbidden)
}

func TestRegistrationResync(t *testing.T) {
	e := setup(t)
	// The card has seen a SEQ far above the HSS's: it asks for a resync.
	a := scscftest.NewUE(t, alice, e.scscf.SIPAddr("udp"), aka.SQN(0x10000))
	wantStatus(t, "register after resync", a.Register(3600, nil), sip.StatusOK)
}

func TestRegistrationExpiry(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t)
	a := e.ue(t, alice)
	wantStatus(t, "register", a.Register(1, nil), sip.StatusOK)
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSRegistered)
	nfkittest.Eventually(t, 10*time.Second, "binding expired", func() bool { return !e.scscf.Registered(alice.IMPU()) })
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSNotRegistered) // SAR TIMEOUT_DEREGISTRATION
}

func TestRegistrationTooBrief(t *testing.T) {
	h := scscftest.StartHSS(t, alice)
	cfg := scscftest.Config(h.DiameterAddr().String())
	cfg.Registrar.MinExpires = 60
	n := scscftest.Start(t, cfg)
	res := scscftest.NewUE(t, alice, n.SIPAddr("udp"), 0).Register(10, nil)
	wantStatus(t, "register for 10s", res, sip.StatusIntervalToBrief)
	if h := res.GetHeader("Min-Expires"); h == nil || h.Value() != "60" {
		t.Errorf("Min-Expires %v, want 60", h)
	}
}

func regInfo(t *testing.T, r *sip.Request) ims.RegInfo {
	t.Helper()
	ri, err := ims.ParseRegInfo(r.Body())
	if err != nil {
		t.Fatalf("NOTIFY body: %v", err)
	}
	return ri
}

func TestRegEvent(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t)
	a := e.ue(t, alice)
	wantStatus(t, "register", a.Register(3600, nil), sip.StatusOK)
	res := a.SubscribeReg(600)
	wantStatus(t, "subscribe", res, sip.StatusOK)
	if tag, _ := res.To().Params.Get("tag"); tag == "" {
		t.Fatal("200 to SUBSCRIBE without To tag")
	}
	first := regInfo(t, scscftest.Next(t, a.Notifies, "first NOTIFY"))
	if first.Version != 0 || first.State != ims.RegInfoFull || len(first.Registrations) < 2 {
		t.Fatalf("first reginfo %+v, want version 0, full, IMPU and tel URI", first)
	}
	for _, r := range first.Registrations {
		if r.State != ims.RegStateActive || len(r.Contacts) != 1 || !strings.Contains(r.Contacts[0].URI, a.Addr) {
			t.Errorf("registration %+v, want active with our contact", r)
		}
	}
	wantStatus(t, "de-register", a.Register(0, nil), sip.StatusOK)
	n := scscftest.Next(t, a.Notifies, "NOTIFY after de-registration")
	last := regInfo(t, n)
	if last.Version != 1 || last.Registrations[0].State != ims.RegStateTerminated ||
		last.Registrations[0].Contacts[0].Event != ims.ContactEventUnregistered {
		t.Fatalf("reginfo after de-registration %+v", last)
	}
	if st := n.GetHeader("Subscription-State"); st == nil || !strings.HasPrefix(st.Value(), "terminated") {
		t.Errorf("Subscription-State %v, want terminated", st)
	}
}

func TestRegEventRefusedForOthers(t *testing.T) {
	e := setup(t)
	_, b := registerBoth(t, e)
	// Bob subscribes to alice's registration state: refused.
	wantStatus(t, "subscribe to another user", b.SubscribeRegOf(alice.IMPU(), 600), sip.StatusForbidden)
}

func registerBoth(t *testing.T, e env) (*scscftest.UE, *scscftest.UE) {
	a, b := e.ue(t, alice), e.ue(t, bob)
	wantStatus(t, "register alice", a.Register(3600, nil), sip.StatusOK)
	wantStatus(t, "register bob", b.Register(3600, nil), sip.StatusOK)
	return a, b
}

func TestCall(t *testing.T) {
	for _, hangup := range []string{"caller", "callee"} {
		t.Run("bye from "+hangup, func(t *testing.T) {
			e := setup(t)
			a, b := registerBoth(t, e)
			call := a.Invite(bob.IMPU())
			inv := scscftest.Next(t, b.Invites, "INVITE at bob")
			if len(inv.GetHeaders("Record-Route")) != 1 {
				t.Errorf("INVITE at bob has Record-Route %v, want the S-CSCF's", inv.GetHeaders("Record-Route"))
			}
			wantStatus(t, "INVITE", call.Await(200), sip.StatusOK)
			call.Ack()
			scscftest.Next(t, b.Acks, "ACK at bob")
			switch hangup {
			case "caller":
				wantStatus(t, "BYE", call.Bye(), sip.StatusOK)
				scscftest.Next(t, b.Byes, "BYE at bob")
			default:
				wantStatus(t, "BYE", b.ByeAsCallee(inv.CallID().Value()), sip.StatusOK)
				scscftest.Next(t, a.Byes, "BYE at alice")
			}
		})
	}
}

func TestCallTelURI(t *testing.T) {
	e := setup(t)
	a, b := registerBoth(t, e)
	call := a.Invite("tel:+" + bob.MSISDN)
	scscftest.Next(t, b.Invites, "INVITE at bob")
	wantStatus(t, "INVITE to a tel URI", call.Await(200), sip.StatusOK)
	call.Ack()
	wantStatus(t, "BYE", call.Bye(), sip.StatusOK)
}

func TestCallFailures(t *testing.T) {
	e := setup(t)
	a, _ := registerBoth(t, e)
	for _, tc := range []struct {
		name, to string
		want     int
	}{
		{"unregistered", carol.IMPU(), sip.StatusTemporarilyUnavailable},
		{"unknown", nobody.IMPU(), sip.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, "INVITE", a.Invite(tc.to).Await(200), tc.want)
		})
	}
	t.Run("caller not registered", func(t *testing.T) {
		c := e.ue(t, carol)
		c.ServiceRoute = a.ServiceRoute
		wantStatus(t, "INVITE", c.Invite(bob.IMPU()).Await(200), sip.StatusForbidden)
	})
}

func TestCallCancel(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t)
	a, b := registerBoth(t, e)
	b.Ring.Store(true)
	call := a.Invite(bob.IMPU())
	scscftest.Next(t, b.Invites, "INVITE at bob")
	wantStatus(t, "ringing", call.Await(180), sip.StatusRinging)
	wantStatus(t, "CANCEL", call.Cancel(), sip.StatusOK)
	wantStatus(t, "INVITE after CANCEL", call.Await(200), sip.StatusRequestTerminated)
	scscftest.Next(t, b.Cancels, "CANCEL at bob")
}

func TestMetricsAndDrain(t *testing.T) {
	e := setup(t)
	a := e.ue(t, alice)
	wantStatus(t, "register", a.Register(3600, nil), sip.StatusOK)
	if got := e.scscf.Remaining(); got != 1 {
		t.Errorf("Remaining %d, want 1 registered user", got)
	}
	_, body := nfkittest.Do(t, "GET", "http://"+e.scscf.Ops().Addr().String()+"/metrics", "")
	for _, want := range []string{`corebox_scscf_registrations_total{result="registered"} 1`,
		`corebox_scscf_registrations_total{result="challenged"} 1`, "corebox_scscf_registered_users 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	e.scscf.StartDrain()
	wantStatus(t, "new registration while draining", e.ue(t, bob).Register(3600, nil), sip.StatusServiceUnavailable)
	wantStatus(t, "de-register while draining", a.Register(0, nil), sip.StatusOK)
	nfkittest.Eventually(t, 5*time.Second, "drained", func() bool { return e.scscf.Remaining() == 0 })
}

func TestDefaultConfig(t *testing.T) {
	cfg := scscf.DefaultConfig()
	cfg.SIP.Address = "10.0.0.1" // ${self.ims} is resolved by corenf
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.SIP.Transports = []string{"sctp"}
	bad.Registrar.MinExpires = 0
	bad.Cx.Applications = nil
	err := bad.Validate()
	for _, want := range []string{"sctp", "min_expires", "Cx"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}
