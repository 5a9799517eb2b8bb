// Package core5g runs corebox's whole 5G core in-process — the real NRF,
// UDR, UDM, AUSF, PCF, NSSF, UPF, SMF and AMF — with the gNB and UE
// simulators in front of it, and checks end-to-end outcomes: UE states
// and NAS causes from the simulators' control API, and the NFs'
// Prometheus counters. Everything talks over loopback with the real
// protocols (SBI over h2c, NGAP over SCTP-over-UDP, PFCP, GTP-U); the
// UPF's N6 is in memory, answered by an echo responder of the test.
package core5g

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/gnb"
	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/amf"
	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/smf"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
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

// coreOptions vary the core between scenarios.
type coreOptions struct {
	// fixedSMF has the AMF call the SMF at its apiRoot instead of finding
	// it through the NRF by slice and DNN.
	fixedSMF bool
	// authTTL is the AUSF's auth_context_ttl (0: the default 30s).
	authTTL time.Duration
	// suciKeys are the UDM's home network private keys.
	suciKeys []udm.SUCIKey
	// internetPool is the UPF's part of the internet pool (default all of
	// it), so that UPFs added later can own the rest.
	internetPool string
	// moveAfter is the SMF's upf_drain.move_after (0: the default).
	moveAfter time.Duration
}

// core is the whole 5G core, a gNB and the test's data network, running
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

	nrf  *nrf.NF
	udr  *udr.NF
	udm  *udm.NF
	ausf *ausf.NF
	pcf  *pcf.NF
	nssf *nssf.NF
	upf  *upf.NF
	smf  *smf.NF
	amf  *amf.NF
	gnb  *gnb.NF
	dn   *echoDN
}

// proc is one running component.
type proc struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// component is what start runs: an NF, a simulator or the echo DN.
type component interface {
	Run(ctx context.Context) error
	Ready() (bool, string)
}

// startCore brings the core up NF by NF, each after the ones it
// registers with or discovers: NRF, UDR, UDM, AUSF, PCF, NSSF, UPF (with
// the echo DN on its N6), SMF, AMF, then the gNB. The NFs find their
// peers through the NRF (the AMF its SMF too, unless o.fixedSMF).
func startCore(t testing.TB, o coreOptions) *core {
	t.Helper()
	if testing.Short() {
		t.Skip("the whole 5G core in-process")
	}
	c := newCore(t)
	c.startNRF()
	nrfURI := c.nrf.SBI().URL()
	var err error
	c.udr, err = udr.New(udrConfig(t.TempDir(), nrfURI), quiet())
	c.start("udr", c.udr, err)
	mcfg := udmConfig(nrfURI)
	mcfg.SUCI.Keys = o.suciKeys
	c.udm, err = udm.New(mcfg, quiet())
	c.start("udm", c.udm, err)
	acfg := ausfConfig(nrfURI)
	if o.authTTL > 0 {
		acfg.AuthContextTTL = o.authTTL
	}
	c.ausf, err = ausf.New(acfg, quiet())
	c.start("ausf", c.ausf, err)
	c.pcf, err = pcf.New(pcfConfig(nrfURI), quiet())
	c.start("pcf", c.pcf, err)
	c.nssf, err = nssf.New(nssfConfig(nrfURI), quiet())
	c.start("nssf", c.nssf, err)

	ucfg := upfConfig(freeLoopback(t, 8805, 2152), nrfURI)
	if o.internetPool != "" {
		ucfg.UEPools[0].CIDR = o.internetPool
	}
	c.upf, err = upf.New(ucfg, quiet())
	c.start("upf", c.upf, err)
	c.dn = newEchoDN(c.upf.MemoryN6())
	c.start("dn", c.dn, nil)
	scfg := smfConfig(nrfURI)
	if o.moveAfter > 0 {
		scfg.UPFDrain.MoveAfter, scfg.UPFDrain.Hold = o.moveAfter, o.moveAfter
	}
	c.smf, err = smf.New(scfg, quiet())
	c.start("smf", c.smf, err)

	gcfg := amfConfig(nrfURI)
	if o.fixedSMF {
		gcfg.Peers.SMF = c.smf.SBI().URL()
	}
	c.amf, err = amf.New(gcfg, quiet())
	c.start("amf", c.amf, err)
	c.gnb, err = gnb.New(gnbConfig(freeLoopback(t, 2152), c.amf.N2Addr().String()), quiet())
	c.start("gnb", c.gnb, err)
	c.waitGauge(c.amf.Ops(), 1, "corebox_amf_connected_gnbs")
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

func (c *core) startNRF() {
	c.t.Helper()
	var err error
	c.nrf, err = nrf.New(nrfConfig(), quiet())
	c.start("nrf", c.nrf, err)
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

// stop cancels the components in reverse start order, each after the
// ones that depend on it are gone, so NFs leave the NRF while it still
// answers. Run must return nil.
func (c *core) stop() {
	for len(c.procs) > 0 {
		c.stopLast()
	}
}

// stopLast stops the component started last.
func (c *core) stopLast() {
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

// freeLoopback is a random 127.x.y.z on which the given UDP ports are free.
func freeLoopback(t testing.TB, ports ...uint16) netip.Addr {
	t.Helper()
	for range 50 {
		a := netip.AddrFrom4([4]byte{127, byte(rand.IntN(200) + 20), byte(rand.IntN(250) + 1), byte(rand.IntN(250) + 2)})
		free := true
		for _, p := range ports {
			conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, p)))
			if err != nil {
				free = false
				break
			}
			if err := conn.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if free {
			return a
		}
	}
	t.Fatalf("no loopback address with UDP ports %v free", ports)
	return netip.Addr{}
}

// ueSpec describes one UE simulator: count UEs from imsi up, sharing
// credentials. Empty fields take the subscribers' defaults.
type ueSpec struct {
	imsi     string
	count    int
	k, opc   string
	mcc, mnc string
	scheme   string // null, a, b
	hnKey    string // hex
	hnKeyID  int
}

// addUEs runs a UE simulator (memory data plane) on the core's gNB.
func (c *core) addUEs(s ueSpec) *ue.NF {
	c.t.Helper()
	cfg := ue.DefaultConfig()
	cfg.Ops.Listen, cfg.Radio.Listen, cfg.GNB = loopback0, loopback0, c.gnb.RadioAddr().String()
	cfg.DataPlane.Mode = ue.ModeMemory
	cfg.UEs.IMSI, cfg.UEs.Count = s.imsi, s.count
	cfg.UEs.K, cfg.UEs.OPc = or(s.k, testK), or(s.opc, testOPc)
	if s.mcc != "" {
		cfg.PLMN = ue.PLMN{MCC: s.mcc, MNC: s.mnc}
	}
	if s.scheme != "" {
		cfg.UEs.ProtectionScheme, cfg.UEs.HNPublicKey, cfg.UEs.HNKeyID = s.scheme, s.hnKey, s.hnKeyID
	}
	sim, err := ue.New(cfg, quiet())
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

// provision adds (or with replace, overwrites) subscribers first..first+n-1
// with test set 1 keys through the UDR's provisioning API; edit adjusts
// each.
func (c *core) provision(first, n int, replace bool, edit func(*udr.Provision)) {
	c.t.Helper()
	for i := first; i < first+n; i++ {
		p := udr.Provision{IMSI: imsi(i), K: testK, OPc: testOPc, SQN: "20"}
		if edit != nil {
			edit(&p)
		}
		c.provisionOne(p, replace)
	}
}

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

// states is GET /ues of a UE simulator.
func (c *core) states(sim *ue.NF) []simapi.UEState {
	c.t.Helper()
	code, body := c.do("GET", c.opsURL(sim.Ops())+simapi.PathUEs, "", nil)
	var st []simapi.UEState
	if code != http.StatusOK {
		c.t.Fatalf("GET /ues: %d %s", code, body)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		c.t.Fatalf("GET /ues: %v in %s", err, body)
	}
	return st
}

// echoDN is the data network: it answers every UDP datagram the UPF sends
// out of N6 with the same payload, swapping addresses, and counts them.
type echoDN struct {
	n6      *upf.MemoryN6
	packets atomic.Int64
	bytes   atomic.Int64
	mu      sync.Mutex
	bySrc   map[netip.Addr]int
}

func newEchoDN(n6 *upf.MemoryN6) *echoDN { return &echoDN{n6: n6, bySrc: map[netip.Addr]int{}} }

// Ready: the memory N6 is there as soon as the UPF is.
func (e *echoDN) Ready() (bool, string) { return true, "" }

// Run echoes until ctx ends; packets that are not UDP/IPv4 are ignored.
func (e *echoDN) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case pkt := <-e.n6.Uplink():
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
			if err := e.n6.Inject(ctx, reply); err != nil && ctx.Err() == nil {
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

// downlink injects one UDP datagram from the DN to a UE address, as if
// the echo server had something to say unprompted.
func (c *core) downlink(to netip.Addr, payload string) {
	c.t.Helper()
	pkt, err := ippkt.AppendUDP4(nil, netip.MustParseAddrPort(echoTarget), netip.AddrPortFrom(to, 9), 1, []byte(payload))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.upf.MemoryN6().Inject(c.ctx, pkt); err != nil {
		c.t.Fatalf("inject downlink for %s: %v", to, err)
	}
}
