package mme

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// Malformed S1AP, NAS and GTPv2-C input is dropped and counted per
// interface; the MME goes on serving.
func TestMalformedInputCounted(t *testing.T) {
	e := newEnv(t, 1, nil)
	u := e.attached(t, 1)

	if err := e.enb.sendRaw([]byte{0x00, 0x0c, 0x40, 0x05, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	msg, err := e.enb.next()
	if err != nil {
		t.Fatal(err)
	}
	if ei, ok := msg.(*s1ap.ErrorIndication); !ok || ei.Cause == nil || *ei.Cause != s1ap.CauseTransferSyntaxError {
		t.Fatalf("malformed S1AP answered with %+v, want Error Indication (transfer syntax error)", msg)
	}
	waitMetric(t, e.mme, `corebox_mme_malformed_total{interface="s1ap"}`, 1)

	u.sendUL([]byte{0x05, 0x00}) // no such protocol discriminator
	u.sendUL([]byte{0x07})
	waitMetric(t, e.mme, `corebox_mme_malformed_total{interface="nas"}`, 2)

	conn, err := net.Dial("udp", e.mme.S11Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte{0x48, 0x20, 0x00, 0x02, 0xde}); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, e.mme, `corebox_mme_malformed_total{interface="s11"}`, 1)

	// A Create Bearer Request without bearer contexts: answered, counted.
	mu := e.mme.byIMSI(u.imsi)
	resp := e.mme.serveS11(context.Background(), e.mme.sgws[0], message.NewCreateBearerRequest(mu.teid, 0, ie.NewEPSBearerID(5)))
	cbr, ok := resp.(*message.CreateBearerResponse)
	if !ok {
		t.Fatalf("answered %T", resp)
	}
	if cause, _ := gtpv2c.CauseOf(cbr.Cause); cause != gtpv2.CauseMandatoryIEMissing {
		t.Errorf("cause %d, want mandatory IE missing", cause)
	}
	waitMetric(t, e.mme, `corebox_mme_malformed_total{interface="s11"}`, 2)
	userPlane(t, e, u, "internet")
}

// Ops endpoints: health, readiness, drain (new attaches refused with #22,
// connected UEs counted until they go idle).
func TestOpsAndDrain(t *testing.T) {
	e := newEnv(t, 2, nil)
	base := "http://" + e.mme.Ops().Addr().String()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := nfkittest.Do(t, http.MethodGet, base+path, ""); code != http.StatusOK {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	u := e.attached(t, 1)
	if code, _ := nfkittest.Do(t, http.MethodPost, base+"/drain", ""); code != http.StatusAccepted {
		t.Fatalf("POST /drain: %d", code)
	}
	if r := e.ue(t, 2).attach(attachOpts{}); r.accepted || r.emmCause != naseps.EMMCauseCongestion {
		t.Fatalf("attach while draining: %v, want reject #22", r)
	}
	drain := func() nfkit.DrainStatus {
		_, body := nfkittest.Do(t, http.MethodGet, base+"/drain", "")
		var s nfkit.DrainStatus
		if err := json.NewDecoder(strings.NewReader(body)).Decode(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := drain(); !s.Draining || s.Remaining != 1 {
		t.Fatalf("drain status %+v, want draining with 1 connected UE", s)
	}
	u.releaseByENB()
	nfkittest.Eventually(t, waitFor, "drained", func() bool { return drain().Drained() })
}

// The HSS gone: the MME is not ready.
func TestReadinessNeedsHSS(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Ops.Listen, cfg.S1.Listen, cfg.S11.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.HSS.Address = "127.0.0.1:1"
	m, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, m)
	nfkittest.Eventually(t, waitFor, "bound", func() bool { return m.S1Addr() != nil && m.S11Addr().IsValid() })
	if ok, reason := m.Ready(); ok || !strings.Contains(reason, "HSS") {
		t.Fatalf("ready %v (%s) without an HSS", ok, reason)
	}
}

// Beyond max_ues, a new subscriber's attach is refused with #22; a known
// one still attaches.
func TestMaxUEs(t *testing.T) {
	e := newEnv(t, 2, func(c *Config) { c.MaxUEs = 1 })
	u := e.attached(t, 1)
	if r := e.ue(t, 2).attach(attachOpts{}); r.accepted || r.emmCause != naseps.EMMCauseCongestion {
		t.Fatalf("second subscriber: %v, want reject #22", r)
	}
	u.detach(false)
	if r := u.attach(attachOpts{byGUTI: true}); !r.accepted {
		t.Fatalf("known UE again: %v", r)
	}
}
