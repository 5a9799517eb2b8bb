// Package coreepc runs corebox's whole EPC in-process — the real UDR,
// HSS, PCRF, PGW, SGW and MME — with the eNB and LTE UE simulators in
// front of it, and checks end-to-end outcomes: UE states, EMM/ESM causes
// and PDN connections from the UE simulator's control API, and the NFs'
// Prometheus counters. Everything talks over loopback with the real
// protocols (Nudr over h2c, Diameter S6a/Gx/Rx over TCP, S1AP over
// SCTP-over-UDP, GTPv2-C, GTP-U); every GTP node listens on the test's
// GTP-C and GTP-U ports on its own address of a 127.x.y.0/24 block. The
// PGW's SGi devices are in memory, answered by an echo responder of the
// test; the UE simulator's data plane is in memory too (no TUN, no root).
package coreepc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/enb"
	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/mme"
	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// TS 35.208 test set 1: every subscriber and UE has these unless a test
// says otherwise.
const (
	testK   = "465b5ce8b199b49faa5f0a2ee238a6bc"
	testOPc = "cd63cb71954a9f4e48a5994e37a02baf"
)

const (
	readyWait = 15 * time.Second // one component becoming ready
	stopWait  = 15 * time.Second // one component returning from Run
	leakWait  = 15 * time.Second // goroutines settling after teardown
	poll      = 5 * time.Millisecond
	// echoTarget is the data network's UDP echo server, as the dn sim has.
	echoTarget = "10.100.0.1:7"
)

// core is the whole EPC, an eNB and the test's data networks, running
// in-process until the test ends; t is the test its helpers fail.
type core struct {
	t testing.TB
	*env
}

// on is c reporting to t: a subtest's helpers must fail the subtest.
func (c *core) on(t testing.TB) *core { return &core{t: t, env: c.env} }

// env is what runs, shared by a test and its subtests.
type env struct {
	ctx   context.Context // parent of every component's context
	procs []*proc         // in start order; stopped in reverse
	http  *http.Client    // provisioning, control API, ops

	block              gtpv2ctest.Block
	gtpcPort, gtpuPort uint16

	udr      *udr.NF
	hss      *hss.HSS
	pcrf     *pcrf.PCRF
	pgw      *pgw.NF
	sgw      *sgw.NF
	mme      *mme.MME
	enb      *enb.ENB
	dataNets map[string]*echoDN // by APN: the echo responder on its SGi device
}

// proc is one running component.
type proc struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// component is what start runs: an NF, a simulator or an echo DN.
type component interface {
	Run(ctx context.Context) error
	Ready() (bool, string)
}

// startCore brings the EPC up NF by NF, each after the peers it needs at
// start: UDR, HSS (S6a, reads the UDR), PCRF, PGW (Gx to the PCRF; echo
// DNs on its internet and ims SGi devices), SGW, MME (S6a to the HSS, S11
// to the SGW), then the eNB (S1 Setup with the MME). editPGW, if any,
// adjusts the PGW's config.
func startCore(t testing.TB, editPGW ...func(*pgw.Config)) *core {
	t.Helper()
	return startCoreWith(t, nil, editPGW...)
}

// startCoreWith is startCore with the PCRF's config adjusted by editPCRF.
func startCoreWith(t testing.TB, editPCRF func(*pcrf.Config), editPGW ...func(*pgw.Config)) *core {
	t.Helper()
	if testing.Short() {
		t.Skip("the whole EPC in-process")
	}
	c := newCore(t)
	c.block = gtpv2ctest.NewBlock(t)
	c.gtpcPort = freePort(t, c.block.Addr(indexMME))
	c.gtpuPort = freePort(t, c.block.Addr(indexENB))
	var err error
	c.udr, err = udr.New(udrConfig(t), quiet())
	c.start("udr", c.udr, err)
	c.hss, err = hss.New(hssConfig(c.udr.SBIURL()), quiet())
	c.start("hss", c.hss, err)
	pccfg := pcrfConfig()
	if editPCRF != nil {
		editPCRF(&pccfg)
	}
	c.pcrf, err = pcrf.New(pccfg, quiet())
	c.start("pcrf", c.pcrf, err)
	pcfg := pgwConfig(c.block, c.gtpcPort, c.gtpuPort, c.pcrf.DiameterAddr().String())
	for _, edit := range editPGW {
		edit(&pcfg)
	}
	c.pgw, err = pgw.New(pcfg, quiet())
	c.start("pgw", c.pgw, err)
	c.dataNets = map[string]*echoDN{}
	for _, apn := range []string{"internet", "ims"} {
		c.dataNets[apn] = newEchoDN(c.pgw.MemoryDevice(apn))
		c.start("dn "+apn, c.dataNets[apn], nil)
	}
	c.sgw, err = sgw.New(sgwConfig(c.block, c.gtpcPort, c.gtpuPort), quiet())
	c.start("sgw", c.sgw, err)
	c.mme, err = mme.New(mmeConfig(c.block, c.gtpcPort, c.hss.DiameterAddr().String()), quiet())
	c.start("mme", c.mme, err)
	c.enb, err = enb.New(enbConfig(c.block, c.gtpuPort, c.mme.S1Addr().String()), quiet())
	c.start("enb", c.enb, err)
	c.waitGauge(c.mme.Ops(), 1, "corebox_mme_connected_enbs")
	return c
}

// newCore is an empty core: a context, an HTTP client and the teardown
// (stop, then the goroutine check) registered with t.
func newCore(t testing.TB) *core {
	t.Helper()
	checkLeaks(t) // first: its cleanup runs after the teardown
	ctx, cancel := context.WithCancel(context.Background())
	c := &core{t: t, env: &env{ctx: ctx, http: &http.Client{Timeout: 60 * time.Second}}}
	t.Cleanup(func() { c.stop(); cancel(); c.http.CloseIdleConnections() })
	return c
}

// start runs n under the core's context and waits until it is ready
// (with its ops server listening, when it has one); err is n's
// constructor's.
func (c *core) start(name string, n component, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	p := &proc{name: name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = n.Run(ctx)
	}()
	c.procs = append(c.procs, p)
	deadline := time.Now().Add(readyWait)
	for {
		ok, why := n.Ready()
		if o, hasOps := n.(interface{ Ops() *nfkit.Ops }); hasOps && o.Ops().Addr() == nil {
			ok, why = false, "ops server not listening"
		}
		select {
		case <-p.done:
			c.t.Fatalf("%s: Run returned before it was ready: %v", name, p.err)
		default:
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not ready after %v: %s", name, readyWait, why)
		}
		time.Sleep(poll)
	}
}

// stop cancels the components in reverse start order: UE simulators and
// the eNB first, the UDR last. Run must return nil.
func (c *core) stop() {
	for len(c.procs) > 0 {
		p := c.procs[len(c.procs)-1]
		c.procs = c.procs[:len(c.procs)-1]
		p.cancel()
		select {
		case <-p.done:
			if p.err != nil {
				c.t.Errorf("%s: Run: %v", p.name, p.err)
			}
		case <-time.After(stopWait):
			c.t.Errorf("%s: Run did not return within %v of its context's end", p.name, stopWait)
		}
	}
}

// checkLeaks fails t if, once everything is torn down, more goroutines run
// than before the test started.
func checkLeaks(t testing.TB) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		deadline := time.Now().Add(leakWait)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				t.Errorf("goroutine leak: %d before, %d after teardown:\n%s", base, runtime.NumGoroutine(), stacks())
				return
			}
			time.Sleep(poll)
		}
	})
}

// stacks dumps every goroutine's stack.
func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// freePort is a UDP port free on addr: the GTP nodes of the test all
// listen on it, each on its own address of the block (F-TEIDs carry no
// port, so peers must share one).
func freePort(t testing.TB, addr netip.Addr) uint16 {
	t.Helper()
	l, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatalf("probe a free port on %v: %v", addr, err)
	}
	port := l.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	if err := l.Close(); err != nil {
		t.Fatalf("close the probe on %v: %v", addr, err)
	}
	return port
}

// ueSpec describes one UE simulator: count UEs from imsi up, sharing
// credentials. Empty fields take the subscribers' defaults.
type ueSpec struct {
	imsi  string
	count int
	k     string
	apn   string   // lte.apn: requested at attach ("": the subscription's default)
	pdns  []string // lte.pdns: connected right after each attach
}

// addUEs runs an LTE UE simulator (memory data plane) on the core's eNB.
func (c *core) addUEs(s ueSpec) *ue.NF {
	c.t.Helper()
	sim, err := ue.New(ueConfig(c.enb.RadioAddr().String(), s), quiet())
	c.start("ue "+s.imsi, sim, err)
	return sim
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// imsi is subscriber i of PLMN 001/01.
func imsi(i int) string { return fmt.Sprintf("00101%010d", i) }

// supi is the UE simulator's name of subscriber i.
func supi(i int) string { return "imsi-" + imsi(i) }

// internetOnly and withIMS are the DNNs (APNs, to the HSS) a subscriber
// may have; internet is the default.
var (
	internetOnly = []udr.DNN{{DNN: "internet", SST: 1, Default: true}}
	withIMS      = []udr.DNN{{DNN: "internet", SST: 1, Default: true}, {DNN: "ims", SST: 1}}
)

// provision adds (or with replace, overwrites) subscribers first..first+n-1
// with test set 1 keys through the UDR's provisioning API; edit adjusts
// each.
func (c *core) provision(first, n int, replace bool, edit func(*udr.Provision)) {
	c.t.Helper()
	for i := first; i < first+n; i++ {
		p := udr.Provision{IMSI: imsi(i), K: testK, OPc: testOPc, SQN: "20", DNNs: internetOnly}
		if edit != nil {
			edit(&p)
		}
		c.provisionOne(p, replace)
	}
}

// provisionOne adds (or with replace, overwrites) the subscriber p.
func (c *core) provisionOne(p udr.Provision, replace bool) {
	c.t.Helper()
	url, want := c.opsURL(c.udr.Ops())+udr.ProvisioningPath, http.StatusCreated
	if replace {
		url, want = url+"?replace=true", http.StatusOK
	}
	if code, body := c.do("POST", url, "application/json", p); code != want {
		c.t.Fatalf("provision %s: %d %s", p.IMSI, code, body)
	}
}

// subscriber is the UDR's view of a subscriber (no keys).
func (c *core) subscriber(imsi string) udr.View {
	c.t.Helper()
	code, body := c.do("GET", c.opsURL(c.udr.Ops())+udr.ProvisioningPath+"/"+imsi, "", nil)
	var v udr.View
	if code != http.StatusOK {
		c.t.Fatalf("GET subscriber %s: %d %s", imsi, code, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		c.t.Fatalf("subscriber %s: %v in %s", imsi, err, body)
	}
	return v
}

func (c *core) opsURL(o *nfkit.Ops) string { return "http://" + o.Addr().String() }

// do sends one request (body marshalled as JSON unless it is a string or
// []byte) and returns the status and body.
func (c *core) do(method, url, contentType string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("marshal %T: %v", body, err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, url, r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, out
}

// step runs one control-API step on a UE simulator.
func (c *core) step(sim *ue.NF, path string, req any) simapi.Results {
	c.t.Helper()
	code, body := c.do("POST", c.opsURL(sim.Ops())+path, "application/json", req)
	if code != http.StatusOK {
		c.t.Fatalf("POST %s: %d %s", path, code, body)
	}
	var res simapi.Results
	if err := json.Unmarshal(body, &res); err != nil {
		c.t.Fatalf("POST %s: %v in %s", path, err, body)
	}
	return res
}

// stepOK runs a step and fails t unless it succeeded for want UEs.
func (c *core) stepOK(sim *ue.NF, path string, req any, want int) simapi.Results {
	c.t.Helper()
	res := c.step(sim, path, req)
	if len(res.UEs) != want {
		c.t.Fatalf("%s: %d UE results, want %d", path, len(res.UEs), want)
	}
	for _, r := range res.UEs {
		if !r.OK {
			c.t.Fatalf("%s: %s failed: %s", path, r.SUPI, r.Error)
		}
	}
	return res
}

// stepFails runs a step for one UE and fails t unless it failed with
// exactly wantError.
func (c *core) stepFails(sim *ue.NF, path string, req any, wantError string) {
	c.t.Helper()
	res := c.step(sim, path, req)
	if len(res.UEs) != 1 || res.UEs[0].OK || res.UEs[0].Error != wantError {
		c.t.Fatalf("%s: %+v, want the error %q", path, res.UEs, wantError)
	}
}

// states is GET /ues of a UE simulator.
func (c *core) states(sim *ue.NF) []simapi.UEState {
	c.t.Helper()
	var st []simapi.UEState
	c.getJSON(c.opsURL(sim.Ops())+simapi.PathUEs, &st)
	return st
}

// pdns is GET /ues/pdns of a UE simulator: PDN connections and bearers.
func (c *core) pdns(sim *ue.NF) []ue.UEPDNs {
	c.t.Helper()
	var st []ue.UEPDNs
	c.getJSON(c.opsURL(sim.Ops())+ue.PathPDNs, &st)
	return st
}

func (c *core) getJSON(url string, v any) {
	c.t.Helper()
	code, body := c.do("GET", url, "", nil)
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		c.t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// echoDN is an APN's data network: it answers every UDP datagram the PGW
// sends out of the SGi device with the same payload, swapping addresses,
// and counts them.
type echoDN struct {
	dev     *pgw.MemoryDevice
	packets atomic.Int64
	bytes   atomic.Int64
	mu      sync.Mutex
	bySrc   map[netip.Addr]int
}

func newEchoDN(dev *pgw.MemoryDevice) *echoDN {
	return &echoDN{dev: dev, bySrc: map[netip.Addr]int{}}
}

// Ready: the memory device is there as soon as the PGW is.
func (e *echoDN) Ready() (bool, string) { return true, "" }

// Run echoes until ctx ends; packets that are not UDP/IPv4 are ignored.
func (e *echoDN) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case pkt := <-e.dev.Uplink():
			e.packets.Add(1)
			e.bytes.Add(int64(len(pkt)))
			p, err := ippkt.ParseUDP4(pkt)
			if err != nil {
				continue
			}
			e.mu.Lock()
			e.bySrc[p.Src.Addr()]++
			e.mu.Unlock()
			reply, err := ippkt.AppendUDP4(nil, p.Dst, p.Src, p.ID, p.Payload)
			if err != nil {
				return fmt.Errorf("echo reply to %s: %w", p.Src, err)
			}
			if err := e.dev.Inject(ctx, reply); err != nil && ctx.Err() == nil {
				return fmt.Errorf("inject echo reply: %w", err)
			}
		}
	}
}

// from is how many datagrams came from addr.
func (e *echoDN) from(addr netip.Addr) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bySrc[addr]
}

// downlink injects one UDP datagram into the PGW's SGi device of apn for
// a UE address, as if a server there had something to say unprompted.
func (c *core) downlink(apn string, to netip.Addr, payload string) {
	c.t.Helper()
	pkt, err := ippkt.AppendUDP4(nil, netip.MustParseAddrPort(echoTarget), netip.AddrPortFrom(to, 9), 1, []byte(payload))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pgw.MemoryDevice(apn).Inject(c.ctx, pkt); err != nil {
		c.t.Fatalf("inject downlink for %s: %v", to, err)
	}
}
