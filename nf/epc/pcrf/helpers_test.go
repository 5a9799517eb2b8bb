package pcrf_test

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

const (
	pgw1   = "pgw1.epc.mnc001.mcc001.3gppnetwork.org"
	pgw2   = "pgw2.epc.mnc001.mcc001.3gppnetwork.org"
	pcscf  = "pcscf.ims.mnc001.mcc001.3gppnetwork.org"
	imsi   = "001010000000001"
	msisdn = "33612345678"
)

var bg = context.Background()

type env struct {
	n   *pcrf.PCRF
	pgw *pcrftest.PGW
	af  *pcrftest.AF
}

// setup checks for goroutine leaks, runs a PCRF (default config changed
// by mod) and connects a PGW and a P-CSCF double.
func setup(t *testing.T, mod func(*pcrf.Config)) env {
	t.Helper()
	nfkittest.NoLeaks(t)
	cfg := pcrftest.Config()
	if mod != nil {
		mod(&cfg)
	}
	n, _ := pcrftest.Start(t, cfg)
	addr := n.DiameterAddr().String()
	return env{n: n, pgw: pcrftest.NewPGW(t, addr, pgw1), af: pcrftest.NewAF(t, addr, pcscf)}
}

type builder interface{ Build() (*diam.Message, error) }

type requester interface {
	Request(ctx context.Context, m *diam.Message) (*diam.Message, error)
}

func build(t testing.TB, b builder) *diam.Message {
	t.Helper()
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func request(t testing.TB, r requester, m *diam.Message) *diam.Message {
	t.Helper()
	ans, err := r.Request(bg, m)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// send builds b, sends it and returns the answer's result.
func send(t testing.TB, r requester, b builder) diameter.Result {
	t.Helper()
	res, err := diameter.ResultOf(request(t, r, build(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func parseCCA(t testing.TB, m *diam.Message) *diameter.CCA {
	t.Helper()
	a, err := diameter.ParseCCA(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func authorize(t testing.TB, af *pcrftest.AF, sid, ue string, media ...diameter.MediaComponent) *diameter.AAA {
	t.Helper()
	a, err := af.Authorize(bg, sid, addr(ue), media...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func terminateRx(t testing.TB, af *pcrftest.AF, sid string) *diameter.STA {
	t.Helper()
	a, err := af.Terminate(bg, sid)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func terminateGx(t testing.TB, g *pcrftest.PGW, sid string) *diameter.CCA {
	t.Helper()
	a, err := g.Terminate(bg, sid)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// open opens a session of imsi on apn for ue and wants success.
func open(t testing.TB, g *pcrftest.PGW, apn, ue string) (string, *diameter.CCA) {
	t.Helper()
	sid, cca, err := g.Open(bg, pcrftest.Session{IMSI: imsi, MSISDN: msisdn, APN: apn, UE: addr(ue)})
	if err != nil {
		t.Fatal(err)
	}
	if cca.Result != diameter.Success {
		t.Fatalf("CCA-I for %s: %v", apn, cca.Result)
	}
	return sid, cca
}

// audio is a voice media component between ue:40000 and 10.0.0.1:50000.
func audio(ue string, bw uint32) diameter.MediaComponent {
	return pcrftest.Media(1, diameter.MediaTypeAudio, netip.AddrPortFrom(addr(ue), 40000),
		netip.MustParseAddrPort("10.0.0.1:50000"), bw)
}

// metric is the value of the sample named line ("name{labels}"), -1
// when absent.
func metric(t *testing.T, n *pcrf.PCRF, sample string) float64 {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

func wantSessions(t *testing.T, n *pcrf.PCRF, gx, rx int) {
	t.Helper()
	if g, r := n.Sessions(); g != gx || r != rx {
		t.Errorf("sessions: gx %d rx %d, want gx %d rx %d", g, r, gx, rx)
	}
}

func ruleNames(rules []diameter.ChargingRule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Name)
	}
	return slices.Sorted(slices.Values(out))
}
