package upf

import (
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// benchLab is a UPF with one session whose N6 and gNB only count.
type benchLab struct {
	*lab
	teid   uint32
	n6Pkts atomic.Uint64 // uplink packets that reached N6
	gnbRx  atomic.Uint64 // downlink G-PDUs that reached the gNB
}

func startBenchLab(tb testing.TB) *benchLab {
	tb.Helper()
	b := &benchLab{}
	g := startGNB(tb)
	if err := g.ep.AddTunnel(gnbTEID, gtpu.HandlerFunc(func(netip.AddrPort, *gtpu.Header, []byte) {
		b.gnbRx.Add(1)
	})); err != nil {
		tb.Fatal(err)
	}
	n := newUPF(tb, testConfig(), g.port())
	n.mem.sink = func([]byte) bool { b.n6Pkts.Add(1); return true }
	runUPF(tb, n)
	b.lab = &lab{upf: n, gnb: g, n3: n.Addrs().GTPU, smf: startSMF(tb, n.Addrs().PFCP)}
	_, b.teid = b.establish(tb, pduSession(ueAddr))
	return b
}

// parsedGPDU is an uplink G-PDU as the endpoint hands it to the tunnel.
func parsedGPDU(tb testing.TB, teid uint32, size int) (*gtpu.Header, []byte) {
	tb.Helper()
	var h gtpu.Header
	h.Type, h.TEID = gtpu.MsgGPDU, teid
	h.SetPDUSession(gtpu.PDUSessionInfo{PDUType: gtpu.PDUTypeUL, QFI: qfi})
	b, err := gtpu.Append(nil, &h, ipv4UDP(ueAddr, dnAddr, size, 1))
	if err != nil {
		tb.Fatal(err)
	}
	var parsed gtpu.Header
	if err := gtpu.Parse(b, &parsed); err != nil {
		tb.Fatal(err)
	}
	return &parsed, parsed.Payload(b)
}

func (b *benchLab) tunnel() *tunnel {
	s := b.upf.sessionForUE(addrKey(ueAddr))
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tunnels[b.teid]
}

// TestDataPathDoesNotAllocate holds the per-packet paths to zero
// allocations: uplink from the tunnel handler to N6, downlink from the N6
// packet to the G-PDU on the socket.
func TestDataPathDoesNotAllocate(t *testing.T) {
	b := startBenchLab(t)
	h, payload := parsedGPDU(t, b.teid, 1400)
	tun := b.tunnel()
	src := netip.MustParseAddrPort("127.0.0.1:2152")
	if n := testing.AllocsPerRun(1000, func() { tun.HandleGPDU(src, h, payload) }); n != 0 {
		t.Errorf("uplink allocates %.1f times per packet", n)
	}
	buf := make([]byte, dlHeadroom+1400)
	pkt := ipv4UDP(dnAddr, ueAddr, 1400, 1)
	if n := testing.AllocsPerRun(1000, func() {
		copy(buf[dlHeadroom:], pkt) // encapsulation wrote into the headroom
		b.upf.downlink(buf, dlHeadroom)
	}); n != 0 {
		t.Errorf("downlink allocates %.1f times per packet", n)
	}
	if b.n6Pkts.Load() < 1000 || metric(t, b.upf, `corebox_upf_tx_packets_total{direction="downlink"}`) < 1000 {
		t.Fatal("the measured paths did not forward")
	}
}

// BenchmarkUplinkHandler is the UPF's own uplink work per packet: PDR,
// QER, URR, FAR, N6 write (memory device).
func BenchmarkUplinkHandler(b *testing.B) {
	l := startBenchLab(b)
	h, payload := parsedGPDU(b, l.teid, 1400)
	tun := l.tunnel()
	src := netip.MustParseAddrPort("127.0.0.1:2152")
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		tun.HandleGPDU(src, h, payload)
	}
}

// BenchmarkDownlinkHandler is the downlink work per packet: session by UE
// address, PDR, QER, URR, encapsulation in place, one UDP send.
func BenchmarkDownlinkHandler(b *testing.B) {
	l := startBenchLab(b)
	buf := make([]byte, dlHeadroom+1400)
	pkt := ipv4UDP(dnAddr, ueAddr, 1400, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf[dlHeadroom:], pkt)
		l.upf.downlink(buf, dlHeadroom)
	}
}

// window is how many packets the end-to-end benchmarks keep in flight:
// few enough that loopback socket buffers never overflow.
const window = 32

// BenchmarkUplinkEndToEnd: gNB G-PDUs over loopback UDP through the UPF's
// N3 endpoint to memory N6.
func BenchmarkUplinkEndToEnd(b *testing.B) {
	l := startBenchLab(b)
	pkt := ipv4UDP(ueAddr, dnAddr, 1400, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	sent := uint64(0)
	start := time.Now()
	for b.Loop() {
		for sent-l.n6Pkts.Load() >= window {
			runtime.Gosched()
		}
		if err := l.gnb.ep.Send(l.n3, l.teid, qfi, pkt); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	drain(b, &l.n6Pkts, sent)
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "pkts/s")
}

// BenchmarkDownlinkEndToEnd: packets from memory N6 through the UPF to the
// gNB's endpoint over loopback UDP.
func BenchmarkDownlinkEndToEnd(b *testing.B) {
	l := startBenchLab(b)
	pkt := ipv4UDP(dnAddr, ueAddr, 1400, 1)
	mem := l.upf.MemoryN6()
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	sent := uint64(0)
	start := time.Now()
	for b.Loop() {
		for sent-l.gnbRx.Load() >= window {
			runtime.Gosched()
		}
		if err := mem.Inject(b.Context(), pkt); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	drain(b, &l.gnbRx, sent)
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "pkts/s")
}

// drain waits for the packets in flight; losing any fails the benchmark.
func drain(b *testing.B, got *atomic.Uint64, sent uint64) {
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() < sent {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d packets arrived", got.Load(), sent)
		}
		runtime.Gosched()
	}
}
