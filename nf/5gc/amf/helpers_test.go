package amf

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// TS 35.208 test set 1 keys; every test subscriber has them.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
	wrongK  = "000102030405060708090a0b0c0d0e0f"
	waitFor = 10 * time.Second
)

var (
	homePLMN  = nas5g.PLMN{MCC: "001", MNC: "01"}
	sliceSD   = nas5g.SNSSAI{SST: 1, SD: 0x010203, HasSD: true}
	sliceNoSD = nas5g.SNSSAI{SST: 1}
)

// imsi is test subscriber i: MCC 001, MNC 01, a 10-digit MSIN.
func imsi(i int) string { return fmt.Sprintf("00101%010d", i) }

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chain is a real UDR, UDM and AUSF on loopback.
type chain struct {
	udr  *udr.NF
	ausf *ausf.NF
	udm  string // apiRoot
}

// startChain provisions subscribers 1..subs (DNN internet, slice SST 1).
func startChain(t testing.TB, subs int) chain {
	t.Helper()
	u, _ := udrtest.Start(t, udrtest.Config(t))
	for i := 1; i <= subs; i++ {
		udrtest.Provision(t, u, udr.Provision{IMSI: imsi(i), K: testK, OPc: testOPc, SQN: "20"})
	}
	m, _ := udmtest.Start(t, udmtest.Config(u.SBIURL()))
	acfg := ausf.DefaultConfig()
	acfg.Ops.Listen, acfg.SBI.Listen, acfg.UDM.URI = "127.0.0.1:0", "127.0.0.1:0", m.SBIURL()
	a, err := ausf.New(acfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, a)
	nfkittest.Eventually(t, waitFor, "ausf ready", func() bool {
		ok, _ := a.Ready()
		return ok && a.Ops().Addr() != nil
	})
	return chain{udr: u, ausf: a, udm: m.SBIURL()}
}

// testConfig is the default AMF config on loopback, SCTP over UDP.
func testConfig(ausfURI, udmURI, smfURI string) Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen, cfg.SBI.Listen, cfg.N2.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.N2.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.Peers.AUSF, cfg.Peers.UDM, cfg.Peers.SMF = ausfURI, udmURI, smfURI
	return cfg
}

// startAMF runs an AMF until the test ends and waits until it is ready.
func startAMF(t testing.TB, cfg Config) *NF {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, waitFor, "amf ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n
}

// testLogger is quiet unless AMF_TEST_LOG is set (then debug to stderr).
func testLogger() *slog.Logger {
	if os.Getenv("AMF_TEST_LOG") == "" {
		return nfkittest.Quiet()
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// env is an AMF with its peers: the real AUSF/UDM/UDR and a stand-in SMF.
type env struct {
	amf *NF
	smf *fakeSMF
	ch  chain
}

func newEnv(t testing.TB, subs int, mod func(*Config)) *env {
	t.Helper()
	ch := startChain(t, subs)
	smf := startFakeSMF(t)
	cfg := testConfig(ch.ausf.SBIURL(), ch.udm, smf.url)
	if mod != nil {
		mod(&cfg)
	}
	e := &env{amf: startAMF(t, cfg), smf: smf, ch: ch}
	smf.amf.Store(new(e.amf.SBIURL()))
	t.Cleanup(smf.client.CloseIdleConnections) // before the AMF stops: its shutdown need not wait

	return e
}

// scrape scrapes the AMF's /metrics into "name{labels}" -> value.
func scrape(t testing.TB, n *NF) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.Ops().Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitMetric polls until the metric has the value.
func waitMetric(t testing.TB, n *NF, name string, want float64) {
	t.Helper()
	nfkittest.Eventually(t, waitFor, fmt.Sprintf("%s == %v", name, want), func() bool {
		return scrape(t, n)[name] == want
	})
}

func nfkitQuiet() nfkit.Option { return nfkit.WithLogger(nfkittest.Quiet()) }

// readCounter is a counter's current value.
func readCounter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
