package ue_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/labs/sim/gnb"
	"github.com/corebox/corebox/labs/sim/gnb/fakecore"
	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// TS 35.208 test set 1, the defaults of the ue kind.
const (
	testK   = "465B5CE8B199B49FAA5F0A2EE238A6BC"
	testOPc = "CD63CB71954A9F4E48A5994E37A02BAF"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startCore runs the fake core with every IMSI a subscriber of k.
func startCore(t testing.TB, k string, edit ...func(*fakecore.Config)) *fakecore.Core {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := fakecore.Config{PLMN: nas5g.PLMN{MCC: "001", MNC: "01"},
		Default: &fakecore.Subscriber{K: mustHex(t, k), OPc: mustHex(t, testOPc), SQN: 0x21}}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := fakecore.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake core: %v", err)
		}
	})
	return c
}

// startGNB runs a gNB on loopback towards the given AMFs and UPF port.
func startGNB(t testing.TB, amfs []string, upfPort uint16) *gnb.NF {
	t.Helper()
	cfg := gnb.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.AMF = amfs
	cfg.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.Radio.Listen = "127.0.0.1:0"
	cfg.GTPU.Listen = "127.0.0.1:0"
	cfg.GTPU.PeerPort = int(upfPort)
	cfg.NGSetupRetry = 100 * time.Millisecond
	g, err := gnb.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, g)
	nfkittest.Eventually(t, 10*time.Second, "gnb ready", func() bool { ok, _ := g.Ready(); return ok })
	return g
}

// startUEs runs a UE simulator in memory mode with count UEs.
func startUEs(t testing.TB, g *gnb.NF, count int, edit ...func(*ue.Config)) *ue.NF {
	t.Helper()
	cfg := ue.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.GNB = g.RadioAddr().String()
	cfg.Radio.Listen = "127.0.0.1:0"
	cfg.DataPlane.Mode = ue.ModeMemory
	cfg.UEs.Count = count
	for _, e := range edit {
		e(&cfg)
	}
	u, err := ue.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, u)
	nfkittest.Eventually(t, 5*time.Second, "ue ready", func() bool {
		ok, _ := u.Ready()
		return ok && u.Ops().Addr() != nil
	})
	return u
}

// lab is a fake core, a gNB and a UE simulator wired together.
type lab struct {
	core *fakecore.Core
	gnb  *gnb.NF
	ues  *ue.NF
}

func startLab(t testing.TB, count int, edit ...func(*ue.Config)) lab {
	t.Helper()
	return startLabWith(t, startCore(t, testK), count, edit...)
}

func startLabWith(t testing.TB, core *fakecore.Core, count int, edit ...func(*ue.Config)) lab {
	t.Helper()
	g := startGNB(t, []string{core.N2Addr()}, core.N3Addr().Port())
	core.SetGNBN3Port(g.N3Addr().Port())
	return lab{core: core, gnb: g, ues: startUEs(t, g, count, edit...)}
}

// step posts a control-API request and decodes the results.
func step(t testing.TB, u *ue.NF, path string, req any) simapi.Results {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	code, out := nfkittest.Do(t, "POST", "http://"+u.Ops().Addr().String()+path, string(body))
	if code != 200 {
		t.Fatalf("POST %s = %d %s", path, code, out)
	}
	var res simapi.Results
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("POST %s: %v in %s", path, err, out)
	}
	return res
}

// allOK fails t unless every UE of res succeeded.
func allOK(t testing.TB, res simapi.Results, want int) {
	t.Helper()
	if len(res.UEs) != want {
		t.Fatalf("%s: %d UE results, want %d", res.Step, len(res.UEs), want)
	}
	for _, r := range res.UEs {
		if !r.OK {
			t.Fatalf("%s: %s failed: %s", res.Step, r.SUPI, r.Error)
		}
	}
}

func states(t testing.TB, u *ue.NF) []simapi.UEState {
	t.Helper()
	code, out := nfkittest.Do(t, "GET", "http://"+u.Ops().Addr().String()+simapi.PathUEs, "")
	if code != 200 {
		t.Fatalf("GET /ues = %d %s", code, out)
	}
	var st []simapi.UEState
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// metric reads one sample of a gathered metric family; labels select it.
func metric(t testing.TB, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				return value(m)
			}
		}
	}
	return 0
}

func matches(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }
