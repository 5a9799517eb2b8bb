package upf

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

var (
	loopback = netip.MustParseAddr("127.0.0.1")
	ueAddr   = netip.MustParseAddr("10.45.0.7")
	dnAddr   = netip.MustParseAddr("192.0.2.10")
)

const (
	gnbTEID = 0x7001
	qfi     = 9
	wait    = 5 * time.Second
)

// testConfig is the default config on loopback ports of its own, with N6
// in memory.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.PFCP.Listen = "127.0.0.1:0"
	cfg.GTPU.Listen = "127.0.0.1:0"
	cfg.N6.Mode = N6ModeMemory
	return cfg
}

// newUPF builds a UPF whose GTP-U peers listen on peerPort.
func newUPF(t testing.TB, cfg Config, peerPort uint16) *NF {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	n.peerPort = peerPort
	return n
}

// runUPF runs n until the test ends and waits until it is ready and its
// ops server (which metric scrapes) listens.
func runUPF(t testing.TB, n *NF) *nfkittest.Running {
	t.Helper()
	r := nfkittest.Start(t, n)
	nfkittest.Eventually(t, wait, "upf ready", func() bool { ok, _ := n.Ready(); return ok && n.Ops().Addr() != nil })
	return r
}

// gnb is a test gNB's GTP-U endpoint collecting downlink G-PDUs.
type gnb struct {
	ep      *gtpu.Endpoint
	rx      chan gpdu
	errInds chan gtpu.ErrorIndication
}

type gpdu struct {
	teid    uint32
	pdu     gtpu.PDUSessionInfo
	payload []byte
}

func startGNB(t testing.TB) *gnb {
	t.Helper()
	g, err := newGNB()
	if err != nil {
		t.Fatal(err)
	}
	runEndpoint(t, g.ep)
	return g
}

// newGNB binds a gNB endpoint (on the calling thread's network namespace).
func newGNB() (*gnb, error) {
	g := &gnb{rx: make(chan gpdu, 1024), errInds: make(chan gtpu.ErrorIndication, 16)}
	ep, err := gtpu.New(gtpu.Config{Addr: "127.0.0.1:0", PDUType: gtpu.PDUTypeUL, Logger: nfkittest.Quiet(),
		OnErrorIndication: func(_ netip.AddrPort, ei gtpu.ErrorIndication) {
			select {
			case g.errInds <- ei:
			default: // nobody listens (fuzzing): never block the read loop
			}
		}})
	if err != nil {
		return nil, err
	}
	g.ep = ep
	return g, nil
}

// listen makes the gNB collect G-PDUs sent to teid.
func (g *gnb) listen(t testing.TB, teid uint32) {
	t.Helper()
	err := g.ep.AddTunnel(teid, gtpu.HandlerFunc(func(_ netip.AddrPort, h *gtpu.Header, p []byte) {
		g.rx <- gpdu{teid: h.TEID, pdu: h.PDUSession, payload: append([]byte(nil), p...)}
	}))
	if err != nil {
		t.Fatal(err)
	}
}

func (g *gnb) port() uint16 { return g.ep.LocalAddr().Port() }

func runEndpoint(t testing.TB, ep *gtpu.Endpoint) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ep.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gtpu endpoint: %v", err)
		}
	})
}

// smf is a CP-side PFCP node that records Session Report Requests.
type smf struct {
	node    *pfcp.Node
	mu      sync.Mutex
	reports []*pfcp.SessionReport
	got     chan *pfcp.SessionReport
}

func startSMF(t testing.TB, upf netip.AddrPort) *smf {
	t.Helper()
	s, err := newSMF()
	if err != nil {
		t.Fatal(err)
	}
	s.run(t)
	s.associate(t, upf)
	return s
}

// newSMF binds an SMF's PFCP node (on the calling thread's namespace).
func newSMF() (*smf, error) {
	s := &smf{got: make(chan *pfcp.SessionReport, 16)}
	node, err := pfcp.New(pfcp.Config{Role: pfcp.RoleCP, Addr: "127.0.0.1:0", Logger: nfkittest.Quiet(),
		T1: 200 * time.Millisecond, HeartbeatInterval: time.Hour,
		OnSessionReport: func(_ context.Context, _ netip.AddrPort, _ uint64, r *pfcp.SessionReport) pfcp.Cause {
			s.mu.Lock()
			s.reports = append(s.reports, r)
			s.mu.Unlock()
			s.got <- r
			return pfcp.CauseRequestAccepted
		}})
	if err != nil {
		return nil, err
	}
	s.node = node
	return s, nil
}

// run runs the node until the test ends.
func (s *smf) run(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("smf node: %v", err)
		}
	})
}

func (s *smf) associate(t testing.TB, upf netip.AddrPort) {
	t.Helper()
	if _, err := s.node.Associate(ctxT(t), upf); err != nil {
		t.Fatal(err)
	}
}

func (s *smf) reportCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reports)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// lab is a running UPF with an associated SMF and a gNB.
type lab struct {
	upf *NF
	smf *smf
	gnb *gnb
	n3  netip.AddrPort // the UPF's GTP-U address as the gNB reaches it
}

func startLab(t testing.TB, mod func(*Config)) *lab {
	t.Helper()
	g := startGNB(t)
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	n := newUPF(t, cfg, g.port())
	runUPF(t, n)
	l := &lab{upf: n, gnb: g, n3: n.Addrs().GTPU}
	l.smf = startSMF(t, n.Addrs().PFCP)
	return l
}

// pduSession is an SMF's usual PDU session: an uplink PDR asking CHOOSE, a
// downlink PDR on the UE address forwarding to the gNB, one QER (QFI 9,
// gates open) and one volume URR shared by both.
func pduSession(ue netip.Addr) *pfcp.Session {
	ohr := pfcp.RemoveGTPUUDPIPv4
	return &pfcp.Session{
		PDRs: []pfcp.PDR{
			{ID: 1, Precedence: 255, PDI: pfcp.PDI{SourceInterface: pfcp.InterfaceAccess,
				LocalFTEID: &pfcp.FTEID{Choose: true}, NetworkInstance: "internet", QFI: qfi},
				OuterHeaderRemoval: &ohr, FARID: 1, QERIDs: []uint32{1}, URRIDs: []uint32{1}},
			{ID: 2, Precedence: 255, PDI: pfcp.PDI{SourceInterface: pfcp.InterfaceCore,
				UEIPAddress: &pfcp.UEIPAddress{IPv4: ue, Destination: true}, NetworkInstance: "internet"},
				FARID: 2, QERIDs: []uint32{1}, URRIDs: []uint32{1}},
		},
		FARs: []pfcp.FAR{
			{ID: 1, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
				DestinationInterface: pfcp.InterfaceCore, NetworkInstance: "internet"}},
			{ID: 2, ApplyAction: pfcp.ActionForward, Forwarding: towardGNB(gnbTEID)},
		},
		QERs: []pfcp.QER{{ID: 1, QFI: qfi}},
		URRs: []pfcp.URR{{ID: 1, MeasurementMethod: pfcp.MeasureVolume}},
	}
}

func towardGNB(teid uint32) *pfcp.ForwardingParameters {
	return &pfcp.ForwardingParameters{DestinationInterface: pfcp.InterfaceAccess,
		OuterHeaderCreation: &pfcp.OuterHeaderCreation{TEID: teid, IPv4: loopback}}
}

// establish installs s and returns the result with the uplink TEID.
func (l *lab) establish(t testing.TB, s *pfcp.Session) (*pfcp.EstablishResult, uint32) {
	t.Helper()
	res, err := l.smf.node.EstablishSession(ctxT(t), l.upf.Addrs().PFCP, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CreatedPDRs) != 1 || res.CreatedPDRs[0].LocalFTEID == nil {
		t.Fatalf("created PDRs %+v", res.CreatedPDRs)
	}
	return res, res.CreatedPDRs[0].LocalFTEID.TEID
}

func (l *lab) modify(t testing.TB, cpSEID uint64, m *pfcp.Modification) *pfcp.ModifyResult {
	t.Helper()
	res, err := l.smf.node.ModifySession(ctxT(t), cpSEID, m)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// uplink sends an IP packet from the gNB to the UPF on teid.
func (l *lab) uplink(t testing.TB, teid uint32, pkt []byte) {
	t.Helper()
	if err := l.gnb.ep.Send(l.n3, teid, qfi, pkt); err != nil {
		t.Fatal(err)
	}
}

// inject sends a packet into the UPF from the data network.
func (l *lab) inject(t testing.TB, pkt []byte) {
	t.Helper()
	if err := l.upf.MemoryN6().Inject(ctxT(t), pkt); err != nil {
		t.Fatal(err)
	}
}

func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// ipv4UDP builds an IPv4/UDP packet of size octets with a valid header
// checksum; id tells packets apart.
func ipv4UDP(src, dst netip.Addr, size int, id uint16) []byte {
	size = max(size, 28)
	p := make([]byte, size)
	p[0], p[8], p[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(p[2:], uint16(size))
	binary.BigEndian.PutUint16(p[4:], id)
	s, d := src.As4(), dst.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	binary.BigEndian.PutUint16(p[10:], ipChecksum(p[:20]))
	binary.BigEndian.PutUint16(p[20:], 40000)
	binary.BigEndian.PutUint16(p[22:], 7)
	binary.BigEndian.PutUint16(p[24:], uint16(size-20))
	for i := 28; i < size; i++ {
		p[i] = byte(i) ^ byte(id)
	}
	return p
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func packetID(p []byte) uint16 { return binary.BigEndian.Uint16(p[4:6]) }

// metric scrapes the UPF's /metrics and returns the value of the sample
// named exactly series (e.g. `corebox_upf_sessions` or
// `corebox_upf_dropped_packets_total{reason="mbr"}`), or -1.
func metric(t testing.TB, n *NF, series string) float64 {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	for _, line := range strings.Split(body, "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == series {
			var v float64
			if _, err := fmt.Sscan(value, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// waitMetric polls until series has value want.
func waitMetric(t testing.TB, n *NF, series string, want float64) {
	t.Helper()
	var got float64
	nfkittest.Eventually(t, wait, series, func() bool {
		got = metric(t, n, series)
		return got == want
	})
}
