package imsinterop

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TestSippRegistersWithAKA: SIPp, an IMS UE we did not write, registers
// through P-CSCF, I-CSCF and S-CSCF with Digest-AKAv1-MD5, and is refused
// when it cannot answer the challenge.
func TestSippRegistersWithAKA(t *testing.T) {
	needSIPp(t)
	n := startIMS(t, alice, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("registered", func(t *testing.T) {
		port := freePort(t, "udp", uacHost)
		s := sipp{name: "register", scenario: render(t, t.TempDir(), "register_aka.xml", dataFor(alice)),
			host: uacHost, port: port, remote: n.sip, calls: 1, timeout: 30 * time.Second}
		if r := runRegister(ctx, t, s); r.code != 0 {
			t.Fatalf("sipp registration failed: %s", r)
		}
		n.waitRegistered(t, alice)
		// The P-CSCF keeps the flow SIPp registered from: its calls go there.
		src := net.JoinHostPort(uacHost, strconv.Itoa(port))
		reg, ok := n.pcscf.Registration(src)
		if !ok {
			t.Fatalf("P-CSCF holds no registration for %s", src)
		}
		if reg == nil || len(reg.IMPUs) == 0 || !strings.EqualFold(reg.IMPUs[0], alice.IMPU()) {
			t.Fatalf("P-CSCF registration of %s: %+v, want default IMPU %s", src, reg, alice.IMPU())
		}
	})

	t.Run("wrong RES refused", func(t *testing.T) {
		before := authFailures(t, n)
		s := sipp{name: "wrong-res", scenario: render(t, t.TempDir(), "register_wrong_res.xml", dataFor(bob)),
			host: uacHost, port: freePort(t, "udp", uacHost), remote: n.sip, calls: 1, timeout: 30 * time.Second}
		// The scenario expects 403 to the wrong answer: exit 0.
		if r := s.run(ctx, t); r.code != 0 {
			t.Fatalf("sipp expected 403 to a wrong RES: %s", r)
		}
		if got := authFailures(t, n); got != before+1 {
			t.Errorf("S-CSCF auth failures %v, want %v", got, before+1)
		}
		assertNotRegistered(t, n, bob)
	})

	t.Run("wrong K: SIPp refuses our AUTN", func(t *testing.T) {
		// With another K the MAC of our AUTN does not verify: SIPp, as a
		// USIM must (TS 33.102 6.3.3), does not answer and ends in a
		// fatal error, so the S-CSCF sees no answer and never registers.
		d := dataFor(bob)
		d.K = wrongK
		s := sipp{name: "wrong-k", scenario: render(t, t.TempDir(), "register_aka.xml", d),
			host: uacHost, port: freePort(t, "udp", uacHost), remote: n.sip, calls: 1, timeout: 30 * time.Second}
		r := s.run(ctx, t)
		if r.code != sippFatal || !strings.Contains(r.out+r.errLog, "MAC") {
			t.Fatalf("sipp with a wrong K: want fatal exit %d on the MAC check: %s", sippFatal, r)
		}
		assertNotRegistered(t, n, bob)
	})
}

// authFailures is the S-CSCF's count of wrong AKA answers.
func authFailures(t testing.TB, n *ims) float64 {
	t.Helper()
	return metricValue(t, n, "corebox_scscf_registrations_total", "result", "auth_failed")
}

// metricValue reads one sample of the S-CSCF's registry.
func metricValue(t testing.TB, n *ims, name, label, value string) float64 {
	t.Helper()
	code, body := nfkittest.Do(t, "GET", "http://"+n.scscf.Ops().Addr().String()+"/metrics", "")
	if code != 200 {
		t.Fatalf("S-CSCF /metrics: %d", code)
	}
	v, err := sampleOf(body, name, label, value)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func assertNotRegistered(t *testing.T, n *ims, u user) {
	t.Helper()
	if n.scscf.Registered(u.IMPU()) {
		t.Errorf("S-CSCF holds %s registered", u.IMPU())
	}
	if st := n.hssState(u); st == hss.IMSRegistered {
		t.Errorf("HSS state of %s: %s", u.IMSI, st)
	}
}
