package mme

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// TS 35.208 test set 1 keys; every test subscriber has them.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
	wrongK  = "000102030405060708090a0b0c0d0e0f"
	waitFor = 10 * time.Second
)

// Addresses of a test's gtpv2ctest.Block besides the SGW's and PGW's:
// the MME's S11 and the eNBs' S1-U.
const (
	indexMME  = 1
	indexENB1 = 1
	indexENB2 = 5
)

var homePLMN = s1ap.PLMN{MCC: "001", MNC: "01"}

// imsi is test subscriber i: MCC 001, MNC 01, a 10-digit MSIN.
func imsi(i int) string { return fmt.Sprintf("00101%010d", i) }

// env is an MME with real peers: UDR and HSS, SGW and PGW (memory SGi
// devices), all on loopback.
type env struct {
	b        gtpv2ctest.Block
	gtpcPort uint16
	gtpuPort uint16
	udr      *udr.NF
	hss      *hss.HSS
	sgw      *sgw.NF
	pgw      *pgw.NF
	mme      *MME
	enb      *testENB // eNB 1 (TAC 1), S1 Setup done
}

// newEnv provisions subscribers 1..subs (APNs internet, the default, and
// ims) and starts the core and eNB 1.
func newEnv(t testing.TB, subs int, mod func(*Config)) *env {
	t.Helper()
	e := &env{b: gtpv2ctest.NewBlock(t)}
	e.udr, _ = udrtest.Start(t, udrtest.Config(t))
	for i := 1; i <= subs; i++ {
		udrtest.Provision(t, e.udr, udr.Provision{IMSI: imsi(i), K: testK, OPc: testOPc, SQN: "20",
			DNNs: []udr.DNN{{DNN: "internet", SST: 1, Default: true}, {DNN: "ims", SST: 1}}})
	}
	e.hss, _ = hsstest.Start(t, hsstest.Config(e.udr.SBIURL()))
	e.gtpcPort = freeUDPPort(t, e.b.Addr(indexMME))
	enbU := e.b.AddrPort(indexENB1, 0)
	e.startMME(t, mod, enbU)
	return e
}

// startMME starts PGW, SGW and MME (whose GTP-U peer port is eNB 1's).
func (e *env) startMME(t testing.TB, mod func(*Config), enbU netip.AddrPort) {
	t.Helper()
	cfg := e.mmeConfig()
	if mod != nil {
		mod(&cfg)
	}
	m, err := New(cfg, nfkit.WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	e.mme = m
	nfkittest.Start(t, m)
	nfkittest.Eventually(t, waitFor, "mme bound", func() bool { return m.S1Addr() != nil })
	e.enb = dialENB(t, m, 1, 1, enbU)
	e.gtpuPort = e.enb.gtpu.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	e.pgw, _ = pgwtest.Start(t, pgwtest.Config(e.b, e.gtpcPort, e.gtpuPort))
	e.sgw, _ = sgwtest.Start(t, sgwtest.Config(e.b, e.gtpcPort, e.gtpuPort))
	nfkittest.Eventually(t, waitFor, "mme ready", func() bool {
		ok, _ := m.Ready()
		return ok && m.Ops().Addr() != nil
	})
	if e.enb.setup(t, homePLMN) == nil {
		t.Fatal("S1 Setup failed")
	}
}

// mmeConfig is the default MME config on the test's addresses.
func (e *env) mmeConfig() Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen, cfg.S1.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.S1.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.TACs = []uint16{1, 2}
	cfg.HSS.Address = e.hss.DiameterAddr().String()
	cfg.S11.Listen = e.b.AddrPort(indexMME, e.gtpcPort).String()
	cfg.S11.T3, cfg.S11.N3 = 500*time.Millisecond, 3
	cfg.SGW.S11 = []string{e.b.AddrPort(sgwtest.IndexS11, e.gtpcPort).String()}
	cfg.PGW.S5C = []string{e.b.Addr(pgwtest.Index).String()}
	return cfg
}

// secondMME starts another MME (origin host, S11 on block address 6) on
// the same HSS, SGW and PGW, and an eNB (S1-U on block address 7) set up
// with it; that eNB is returned.
func (e *env) secondMME(t testing.TB, originHost string, enbID uint32) *testENB {
	t.Helper()
	cfg := e.mmeConfig()
	cfg.Diameter.OriginHost = originHost
	cfg.S11.Listen = e.b.AddrPort(6, e.gtpcPort).String()
	cfg.MMECode = 2
	m, err := New(cfg, nfkit.WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, m)
	nfkittest.Eventually(t, waitFor, "second mme ready", func() bool {
		ok, _ := m.Ready()
		return ok && m.Ops().Addr() != nil
	})
	enb := dialENB(t, m, enbID, 1, e.b.AddrPort(7, e.gtpuPort))
	if enb.setup(t, homePLMN) == nil {
		t.Fatal("S1 Setup with the second MME failed")
	}
	return enb
}

// freeUDPPort finds a port free on addr (the test's GTP-C port, which
// every node of the block listens on).
func freeUDPPort(t testing.TB, addr netip.Addr) uint16 {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
}

// testLogger is quiet unless MME_TEST_LOG is set (then debug to stderr).
func testLogger() *slog.Logger {
	if os.Getenv("MME_TEST_LOG") == "" {
		return nfkittest.Quiet()
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// ue is a UE of subscriber i at eNB 1, with the subscriber's key.
func (e *env) ue(t testing.TB, i int) *testUE { return newUE(t, e.enb, imsi(i), testK, 0) }

// attached is UE i attached with the default APN.
func (e *env) attached(t testing.TB, i int) *testUE {
	t.Helper()
	u := e.ue(t, i)
	if r := u.attach(attachOpts{}); !r.accepted {
		t.Fatalf("attach of %s: %v", u.imsi, r)
	}
	e.waitSynced(t, u)
	return u
}

// waitSynced waits until the SGW has every eNB tunnel of the UE (the
// MME's Modify Bearer went through).
func (e *env) waitSynced(t testing.TB, u *testUE) {
	t.Helper()
	nfkittest.Eventually(t, waitFor, "bearers synced at the SGW", func() bool { return e.synced(u) })
}

// scrape scrapes an ops server's /metrics into "name{labels}" -> value.
func scrape(t testing.TB, ops *nfkit.Ops) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + ops.Addr().String() + "/metrics")
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

// waitMetric polls until an MME metric has the value.
func waitMetric(t testing.TB, m *MME, name string, want float64) {
	t.Helper()
	var got float64
	nfkittest.Eventually(t, waitFor, fmt.Sprintf("%s == %v", name, want), func() bool {
		got = scrape(t, m.Ops())[name]
		return got == want
	})
}

// sqnAhead is a USIM state far ahead of the HSS's SQN.
var sqnAhead = aka.NewSQN(1000, 0)
