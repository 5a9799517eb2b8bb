package upf

import (
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// benchLab is a UPF with one session whose N6 and gNB only count.
type benchLab struct {
	*lab
	res    *pfcp.EstablishResult
	teid   uint32
	n6Pkts atomic.Uint64 // uplink packets that reached N6
	gnbRx  atomic.Uint64 // downlink G-PDUs that reached the gNB
}

func startBenchLab(tb testing.TB) *benchLab { return startBenchLabWith(tb, nil, pduSession(ueAddr)) }

// startBenchLabWith is startBenchLab with a config change and a session.
func startBenchLabWith(tb testing.TB, mod func(*Config), sess *pfcp.Session) *benchLab {
	tb.Helper()
	b := &benchLab{}
	g := startGNB(tb)
	if err := g.ep.AddTunnel(gnbTEID, gtpu.HandlerFunc(func(netip.AddrPort, *gtpu.Header, []byte) {
		b.gnbRx.Add(1)
	})); err != nil {
		tb.Fatal(err)
	}
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	n := newUPF(tb, cfg, g.port())
	n.mem.sink = func([]byte) bool { b.n6Pkts.Add(1); return true }
	runUPF(tb, n)
	b.lab = &lab{upf: n, gnb: g, n3: n.Addrs().GTPU, smf: startSMF(tb, n.Addrs().PFCP)}
	b.res, b.teid = b.establish(tb, sess)
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

// workerLane is a downlink worker's lane of the test's own (the UPF's
// workers keep theirs), sending from N3 socket 0 in batches.
func (b *benchLab) workerLane(tb testing.TB) *lane {
	tb.Helper()
	batch, err := b.upf.gtp.NewBatch(0, n6BatchSize)
	if err != nil {
		tb.Fatal(err)
	}
	return b.upf.workerLane(b.upf.stats.lanes[0], nil, batch)
}

// downlinkRound is what a downlink worker does with one batch read from
// N6: each packet through the data path, then one sendmmsg.
func downlinkRound(l *lane, ring *packetRing, pkt []byte) {
	for _, buf := range ring.bufs {
		copy(buf[dlHeadroom:], pkt) // encapsulation wrote into the headroom
		l.downlink(buf[:dlHeadroom+len(pkt)], dlHeadroom)
	}
	l.flush()
}

// TestDataPathDoesNotAllocate holds the per-packet paths to zero
// allocations: uplink from the tunnel handler to N6, downlink from N6
// packets to the G-PDUs on the socket, batch send included. AllocsPerRun
// counts every goroutine, so the gNB's and the UPF's read loops are held
// to it too.
func TestDataPathDoesNotAllocate(t *testing.T) {
	b := startBenchLab(t)
	h, payload := parsedGPDU(t, b.teid, 1400)
	tun := b.tunnel()
	src := netip.MustParseAddrPort("127.0.0.1:2152")
	if n := testing.AllocsPerRun(1000, func() { tun.HandleGPDUOn(0, src, h, payload) }); n != 0 {
		t.Errorf("uplink allocates %.1f times per packet", n)
	}
	l := b.workerLane(t)
	ring := newPacketRing(n6BatchSize)
	pkt := ipv4UDP(dnAddr, ueAddr, 1400, 1)
	if n := testing.AllocsPerRun(100, func() { downlinkRound(l, ring, pkt) }); n != 0 {
		t.Errorf("downlink allocates %.1f times per batch of %d", n, n6BatchSize)
	}
	const rounds = 101 // AllocsPerRun runs once more to warm up
	if b.n6Pkts.Load() < 1000 || metric(t, b.upf, `corebox_upf_tx_packets_total{direction="downlink"}`) != rounds*n6BatchSize {
		t.Fatal("the measured paths did not forward")
	}
	// The gNB reads more slowly than the batches come (the socket drops the
	// overflow), but whole batches reach it.
	nfkittest.Eventually(t, wait, "downlink G-PDUs at the gNB", func() bool {
		return b.gnbRx.Load() >= n6BatchSize
	})
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
		tun.HandleGPDUOn(0, src, h, payload)
	}
}

// BenchmarkDownlinkHandler is the downlink work per packet: session by UE
// address, PDR, QER, URR, encapsulation in place, and its share of one
// sendmmsg per batch of n6BatchSize.
func BenchmarkDownlinkHandler(b *testing.B) {
	l := startBenchLab(b)
	wl := l.workerLane(b)
	ring := newPacketRing(n6BatchSize)
	pkt := ipv4UDP(dnAddr, ueAddr, 1400, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		downlinkRound(wl, ring, pkt)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n6BatchSize), "ns/pkt")
}
