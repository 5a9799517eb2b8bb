package smf

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/pcf/pcftest"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

const (
	wait      = 10 * time.Second
	testSUPI  = "imsi-001010000000001"
	testIMSI  = "001010000000001"
	testK     = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc   = "cd63cb71954a9f4e48a5994e37a02baf"
	testPool  = "10.45.0.0/16"
	amfNFID   = "7f0c3c8e-0000-4000-8000-0000000000a1"
	gnbTEID   = 0x7001
	testDNN   = "internet"
	otherDNN  = "ims"
	testSST   = 1
	gtpuPort  = 2152
	ueTimeout = 5 * time.Second
)

var testSlice = models.Snssai{Sst: testSST}

// randomLoopback is a 127.x.y.z address of its own, so fixed ports (the
// gNB's 2152, a UPF's 8805) do not collide with other tests.
func randomLoopback() netip.Addr {
	return netip.AddrFrom4([4]byte{127, byte(rand.IntN(200) + 20), byte(rand.IntN(250) + 1), byte(rand.IntN(250) + 2)})
}

// testConfig is an SMF on loopback ports of its own, serving internet and
// ims in slice 1, with fast PFCP timers.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	cfg.PFCP.Listen = "127.0.0.1:0"
	cfg.TPFCP = TPFCPConfig{T1: 200 * time.Millisecond, N1: 2, HeartbeatInterval: 200 * time.Millisecond,
		HeartbeatMissed: 3, AssociateRetry: 100 * time.Millisecond}
	cfg.DNNs = []DNNConfig{
		{DNN: testDNN, SST: testSST, Pool: testPool, DNS: []string{"8.8.8.8"}, MTU: 1400},
		{DNN: otherDNN, SST: testSST, Pool: "10.46.0.0/16"},
	}
	return cfg
}

// env is an SMF with its peers: a stub AMF, UDM (real, with a UDR, unless
// stubbed), PCF (real unless stubbed or absent) and a user plane.
type env struct {
	smf    *NF
	url    string
	amf    *stubAMF
	client *sbi.Client
	upf    *upf.NF  // the real UPF, if used
	up     *fakeUP  // the recording UP node, if used
	gnb    *fakeGNB // with the real UPF
	udr    *udr.NF  // with the real UDM
	pcf    *pcf.NF  // the real PCF, if used
	run    *nfkittest.Running
}

type envOpts struct {
	realUPF  bool
	stubUDM  http.Handler // nil: real UDM and UDR
	noPCF    bool
	stubPCF  http.Handler
	pool     string // the internet pool (and the UPF's)
	noUPF    bool   // configure no UPF at all
	mod      func(*Config)
	quietUPF bool
}

func startEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	e := &env{amf: startAMF(t)}
	cfg := testConfig()
	if o.pool != "" {
		cfg.DNNs[0].Pool = o.pool
	} else {
		o.pool = testPool
	}
	switch {
	case o.stubUDM != nil:
		cfg.Peers.UDM = serveSBI(t, o.stubUDM)
	default:
		cfg.Peers.UDM = e.startUDM(t)
	}
	switch {
	case o.noPCF:
	case o.stubPCF != nil:
		cfg.Peers.PCF = serveSBI(t, o.stubPCF)
	default:
		e.pcf, _ = pcftest.Start(t, pcftest.Config())
		cfg.Peers.PCF = e.pcf.SBI().URL()
	}
	switch {
	case o.noUPF:
	case o.realUPF:
		e.upf, e.gnb = startUPF(t, o.pool)
		cfg.UPFs = []UPFConfig{{N4: e.upf.Addrs().PFCP.String()}}
	default:
		e.up = startFakeUP(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0))
		cfg.UPFs = []UPFConfig{{N4: e.up.addr().String()}}
	}
	if o.mod != nil {
		o.mod(&cfg)
	}
	e.smf = newSMF(t, cfg)
	e.run = nfkittest.Start(t, e.smf)
	nfkittest.Eventually(t, wait, "smf listening", func() bool { return e.smf.SBI().Addr() != nil })
	e.url = e.smf.SBI().URL()
	if !o.noUPF && cfg.Readiness.RequireUPF {
		nfkittest.Eventually(t, wait, "smf ready", func() bool { ok, _ := e.smf.Ready(); return ok })
	}
	c, err := sbi.NewClient(sbi.ClientConfig{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	e.client = c
	return e
}

func newSMF(t testing.TB, cfg Config) *NF {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// startUDM runs a UDR with one subscriber (internet only) and a UDM.
func (e *env) startUDM(t testing.TB) string {
	t.Helper()
	r, _ := udrtest.Start(t, udrtest.Config(t))
	udrtest.Provision(t, r, udr.Provision{IMSI: testIMSI, K: testK, OPc: testOPc,
		DNNs: []udr.DNN{{DNN: testDNN, SST: testSST, Default: true}}})
	e.udr = r
	u, _ := udmtest.Start(t, udmtest.Config(r.SBIURL()))
	return u.SBIURL()
}

// serveSBI serves h over h2c on loopback until the test ends.
func serveSBI(t testing.TB, h http.Handler) string {
	t.Helper()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sbi server: %v", err)
		}
	})
	nfkittest.Eventually(t, wait, "sbi listening", func() bool { return srv.Addr() != nil })
	return srv.URL()
}

// estRequest is the UE's PDU Session Establishment Request.
func estRequest(t testing.TB, psi uint8, typ uint8) []byte {
	t.Helper()
	b, err := (&nas5g.PDUSessionEstablishmentRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: psi, PTI: 1},
		MaxIntegrityRateUL: 0xff, MaxIntegrityRateDL: 0xff, PDUSessionType: typ, SSCMode: nas5g.SSCMode1}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// createRequest is the AMF's CreateSMContext for testSUPI.
func (e *env) createRequest(t testing.TB, supi string, psi uint8, dnn string) *smcontext.CreateRequest {
	t.Helper()
	sn := testSlice
	return &smcontext.CreateRequest{Data: models.Smf_PDUSess_SmContextCreateData{Supi: supi, PduSessionId: int32(psi),
		Dnn: dnn, SNssai: &sn, ServingNfId: amfNFID, AnType: models.AccessType_3_GPP_ACCESS, RatType: models.RatType_NR,
		SmContextStatusUri: e.amf.statusURI(int(psi))}, N1SM: estRequest(t, psi, nas5g.SessionIPv4)}
}

func (e *env) create(t testing.TB, req *smcontext.CreateRequest) (*smcontext.CreateResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return smcontext.Create(ctx, e.client, e.url, req)
}

// established is a session created and accepted: its ref and what the
// AMF was given.
type established struct {
	ref    string
	accept *nas5g.PDUSessionEstablishmentAccept
	setup  *n2.SetupRequestTransfer
	n1n2   amfTransfer
}

// establish creates a session for (supi, psi) and decodes the AMF's
// N1N2MessageTransfer.
func (e *env) establish(t testing.TB, supi string, psi uint8) *established {
	t.Helper()
	res, err := e.create(t, e.createRequest(t, supi, psi, testDNN))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if res.Status != http.StatusCreated || res.Created.Data.UpCnxState != models.Smf_PDUSess_UpCnxState_ACTIVATING {
		t.Fatalf("create: %d %+v", res.Status, res.Created.Data)
	}
	m := e.amf.next(t)
	acc, err := nas5g.ParsePDUSessionEstablishmentAccept(m.N1)
	if err != nil {
		t.Fatalf("N1 of the transfer: %v", err)
	}
	setup, err := n2.DecodeSetupRequestTransfer(m.N2)
	if err != nil {
		t.Fatalf("N2 of the transfer: %v", err)
	}
	return &established{ref: res.Ref, accept: acc, setup: setup, n1n2: m}
}

func (e *env) update(t testing.TB, ref string, req *smcontext.UpdateRequest) *smcontext.UpdateResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := smcontext.Update(ctx, e.client, e.url, ref, req)
	if err != nil {
		t.Fatalf("update %s: %v", ref, err)
	}
	return res
}

// setupResponse is the AMF passing on the gNB's setup response.
func setupResponse(t testing.TB, tunnel n2.GTPTunnel) *smcontext.UpdateRequest {
	t.Helper()
	b, err := (&n2.SetupResponseTransfer{DLTunnel: tunnel, QFIs: []uint8{defaultQFI}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP}, N2SM: b}
}

func upCnx(s models.Smf_PDUSess_UpCnxState) *smcontext.UpdateRequest {
	return &smcontext.UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{UpCnxState: s}}
}

func (e *env) release(t testing.TB, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	status, err := smcontext.Release(ctx, e.client, e.url, ref, nil)
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("release %s: %d %v", ref, status, err)
	}
}

func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(ueTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// metric reads one series of the SMF's registry, 0 if absent.
func metric(t testing.TB, n *NF, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := n.Ops().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	return seriesValue(mfs, name, labels...)
}

func seriesValue(mfs []*dto.MetricFamily, name string, labels ...string) float64 {
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == kv[i] && l.GetValue() == kv[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// dump shows nested pointers' contents.
func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}
