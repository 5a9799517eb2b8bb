package icscf_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/ims/icscf"
	"github.com/corebox/corebox/nf/ims/scscf/scscftest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

var (
	alice  = scscftest.Subscriber{IMSI: "001010000000001", MSISDN: "33600000001"}
	bob    = scscftest.Subscriber{IMSI: "001010000000002", MSISDN: "33600000002"}
	carol  = scscftest.Subscriber{IMSI: "001010000000003", MSISDN: "33600000003"}
	nobody = scscftest.Subscriber{IMSI: "001019999999999"}
)

type env struct {
	hss   *hss.HSS
	icscf *icscf.ICSCF
}

func setup(t *testing.T) env {
	t.Helper()
	h := scscftest.StartHSS(t, alice, bob, carol)
	s := scscftest.Start(t, scscftest.Config(h.DiameterAddr().String()))
	cfg := icscf.DefaultConfig()
	cfg.Ops.Listen = scscftest.Host + ":0"
	cfg.SIP.Address, cfg.SIP.Port = scscftest.Host, 0
	cfg.Cx.HSS = h.DiameterAddr().String()
	cfg.SCSCFs = []icscf.SCSCFConfig{{URI: s.ServerName()}}
	n, err := icscf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "icscf ready", func() bool { ok, _ := n.Ready(); return ok })
	return env{hss: h, icscf: n}
}

func (e env) ue(t *testing.T, s scscftest.Subscriber) *scscftest.UE {
	return scscftest.NewUE(t, s, e.icscf.SIPAddr("udp"), 0)
}

func wantStatus(t *testing.T, what string, res *sip.Response, code int) {
	t.Helper()
	if res.StatusCode != code {
		t.Fatalf("%s: %d %s, want %d", what, res.StatusCode, res.Reason, code)
	}
}

func TestRegisterThroughICSCF(t *testing.T) {
	e := setup(t)
	a := e.ue(t, alice)
	wantStatus(t, "register", a.Register(3600, nil), sip.StatusOK)
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSRegistered)
	if len(a.ServiceRoute) != 1 || !strings.HasPrefix(a.ServiceRoute[0], "sip:orig@") {
		t.Errorf("Service-Route %v, want the S-CSCF's", a.ServiceRoute)
	}
	// Re-registration: UAA names the S-CSCF already assigned.
	wantStatus(t, "re-register", a.Register(3600, nil), sip.StatusOK)
	wantStatus(t, "de-register", a.Register(0, nil), sip.StatusOK)
	scscftest.Registered(t, e.hss, alice.IMSI, hss.IMSNotRegistered)
	wantStatus(t, "register unknown", e.ue(t, nobody).Register(3600, nil), sip.StatusForbidden)
}

func TestTerminatingThroughICSCF(t *testing.T) {
	e := setup(t)
	b := e.ue(t, bob)
	wantStatus(t, "register bob", b.Register(3600, nil), sip.StatusOK)
	// A caller from another network: no Service-Route, straight to us.
	peer := e.ue(t, alice)
	call := peer.Invite(bob.IMPU())
	scscftest.Next(t, b.Invites, "INVITE at bob")
	wantStatus(t, "INVITE", call.Await(200), sip.StatusOK)
	call.Ack()
	scscftest.Next(t, b.Acks, "ACK at bob")
	wantStatus(t, "BYE", call.Bye(), sip.StatusOK)
	scscftest.Next(t, b.Byes, "BYE at bob")

	for _, tc := range []struct {
		name, to string
		want     int
	}{
		{"unknown", nobody.IMPU(), sip.StatusNotFound},
		{"unregistered", carol.IMPU(), sip.StatusTemporarilyUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, "INVITE", peer.Invite(tc.to).Await(200), tc.want)
		})
	}
	_, body := nfkittest.Do(t, "GET", "http://"+e.icscf.Ops().Addr().String()+"/metrics", "")
	for _, want := range []string{`corebox_icscf_routed_total{kind="other",result="not_found"} 1`,
		`corebox_icscf_routed_total{kind="register",result="forwarded"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := icscf.DefaultConfig()
	cfg.SIP.Address = "10.0.0.2"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.SCSCFs = []icscf.SCSCFConfig{{URI: "scscf:5060"}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "scscfs[0]") {
		t.Errorf("Validate() = %v, want the bad S-CSCF URI", err)
	}
}
