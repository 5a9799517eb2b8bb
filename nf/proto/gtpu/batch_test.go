package gtpu

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// gpduFor encodes a G-PDU for teid whose payload is one octet, id.
func gpduFor(t testing.TB, teid uint32, id byte) []byte {
	t.Helper()
	h := gpdu(teid)
	b, err := Append(nil, &h, []byte{id})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBatchSendsInOrder(t *testing.T) {
	rx := startEndpoint(t, Config{})
	got := make(chan byte, 200)
	if err := rx.AddTunnel(5, HandlerFunc(func(_ netip.AddrPort, _ *Header, p []byte) { got <- p[0] })); err != nil {
		t.Fatal(err)
	}
	tx := startEndpoint(t, Config{})
	b, err := tx.NewBatch(0, 16)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	msgs := make([][]byte, n) // each stays untouched until its Flush
	for i := range n {
		msgs[i] = gpduFor(t, 5, byte(i))
		if b.Len() == b.Cap() {
			if sent := b.Flush(nil); sent != b.Cap() {
				t.Fatalf("flush sent %d of %d", sent, b.Cap())
			}
		}
		if err := b.Add(loopback(rx), msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if sent := b.Flush(nil); sent != n%16 || b.Len() != 0 {
		t.Fatalf("last flush sent %d, %d left", sent, b.Len())
	}
	for i := range n {
		if id := recv(t, got); id != byte(i) {
			t.Fatalf("G-PDU %d arrived as %d", i, id)
		}
	}
	s := tx.Stats()
	if s.TxPackets.Load() != n || s.TxBytes.Load() != uint64(n*len(msgs[0])) || s.TxErrors.Load() != 0 {
		t.Fatalf("tx %d packets %d octets %d errors", s.TxPackets.Load(), s.TxBytes.Load(), s.TxErrors.Load())
	}
}

func TestBatchErrors(t *testing.T) {
	rx := startEndpoint(t, Config{})
	got := make(chan byte, 4)
	if err := rx.AddTunnel(5, HandlerFunc(func(_ netip.AddrPort, _ *Header, p []byte) { got <- p[0] })); err != nil {
		t.Fatal(err)
	}
	tx := startEndpoint(t, Config{})
	b, err := tx.NewBatch(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(netip.MustParseAddrPort("[::1]:2152"), []byte{1}); !errors.Is(err, ErrUnsupportedAddr) {
		t.Fatalf("IPv6 destination on an IPv4 socket: %v", err)
	}
	// Linux refuses a UDP destination port of 0 (EINVAL), that message only.
	refused := netip.MustParseAddrPort("127.0.0.1:0")
	for i, dst := range []netip.AddrPort{loopback(rx), refused, loopback(rx)} {
		if err := b.Add(dst, gpduFor(t, 5, byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Add(loopback(rx), []byte{1}); !errors.Is(err, ErrBatchFull) {
		t.Fatalf("Add to a full batch: %v", err)
	}
	var failed []int
	sent := b.Flush(func(i int, err error) {
		if err == nil {
			t.Error("failure reported without an error")
		}
		failed = append(failed, i)
	})
	if sent != 2 || len(failed) != 1 || failed[0] != 1 {
		t.Fatalf("sent %d, failed %v", sent, failed)
	}
	if a, c := recv(t, got), recv(t, got); a != 0 || c != 2 {
		t.Fatalf("received %d and %d", a, c)
	}
	s := tx.Stats()
	if s.TxPackets.Load() != 2 || s.TxErrors.Load() != 2 || s.TxBytes.Load() != uint64(2*len(gpduFor(t, 5, 0))) {
		t.Fatalf("tx %d packets %d octets %d errors", s.TxPackets.Load(), s.TxBytes.Load(), s.TxErrors.Load())
	}
}

// TestBatchDoesNotAllocate: a full batch queued and sent, and received by
// the peer's read loop, allocates nothing (AllocsPerRun counts every
// goroutine).
func TestBatchDoesNotAllocate(t *testing.T) {
	rx := startEndpoint(t, Config{})
	if err := rx.AddTunnel(5, HandlerFunc(func(netip.AddrPort, *Header, []byte) {})); err != nil {
		t.Fatal(err)
	}
	tx := startEndpoint(t, Config{})
	b, err := tx.NewBatch(0, DefaultBatchSize)
	if err != nil {
		t.Fatal(err)
	}
	msg := gpduFor(t, 5, 1)
	dst := loopback(rx)
	n := testing.AllocsPerRun(50, func() {
		for range b.Cap() {
			if err := b.Add(dst, msg); err != nil {
				t.Fatal(err)
			}
		}
		b.Flush(nil)
	})
	if n != 0 {
		t.Errorf("a batch of %d allocates %.1f times", b.Cap(), n)
	}
}

// TestRxRingReadsABatch: datagrams already queued on the socket come in
// one recvmmsg, each with its source.
func TestRxRingReadsABatch(t *testing.T) {
	conns, _, err := listen("127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer conns[0].Close()
	ring, err := newRxRing(conns[0], 16)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	dst := conns[0].LocalAddr().(*net.UDPAddr)
	for i := range 10 {
		if _, err := peer.WriteToUDP(make([]byte, 100+i), dst); err != nil {
			t.Fatal(err)
		}
	}
	k, err := ring.read()
	if err != nil || k != 10 {
		t.Fatalf("read %d datagrams: %v", k, err)
	}
	from := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	for i, p := range ring.pkts[:k] {
		if p.n != 100+i || p.src != from || p.truncated {
			t.Fatalf("datagram %d: %d octets from %s", i, p.n, p.src)
		}
	}
}

// loopRecorder is a LoopHandler noting which loop saw which peer.
type loopRecorder struct {
	mu     sync.Mutex
	byPeer map[netip.AddrPort]map[int]int // peer -> loop -> G-PDUs
	got    chan struct{}
}

func (r *loopRecorder) HandleGPDU(netip.AddrPort, *Header, []byte) {
	panic("the endpoint must call HandleGPDUOn")
}

func (r *loopRecorder) HandleGPDUOn(loop int, src netip.AddrPort, _ *Header, _ []byte) {
	r.mu.Lock()
	if r.byPeer[src] == nil {
		r.byPeer[src] = map[int]int{}
	}
	r.byPeer[src][loop]++
	r.mu.Unlock()
	r.got <- struct{}{}
}

// TestSocketsShareTheAddress: several SO_REUSEPORT sockets on one port,
// each with its read loop; every peer stays on one loop, and the loops
// between them serve all peers, Echo and Error Indications included.
func TestSocketsShareTheAddress(t *testing.T) {
	const sockets, peers, perPeer = 4, 16, 5
	upf := startEndpoint(t, Config{Sockets: sockets})
	if upf.Sockets() != sockets {
		t.Fatalf("%d sockets", upf.Sockets())
	}
	for _, c := range upf.socks {
		if c.LocalAddr().(*net.UDPAddr).AddrPort() != upf.LocalAddr() {
			t.Fatalf("socket on %s, want %s", c.LocalAddr(), upf.LocalAddr())
		}
	}
	rec := &loopRecorder{byPeer: map[netip.AddrPort]map[int]int{}, got: make(chan struct{}, peers*perPeer)}
	if err := upf.AddTunnel(7, rec); err != nil {
		t.Fatal(err)
	}
	gnbs := make([]*Endpoint, peers)
	for i := range gnbs {
		gnbs[i] = startEndpoint(t, Config{})
		for range perPeer {
			if err := gnbs[i].Send(loopback(upf), 7, 1, []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range peers * perPeer {
		recv(t, rec.got)
	}
	loops := map[int]bool{}
	rec.mu.Lock()
	for peer, byLoop := range rec.byPeer {
		if len(byLoop) != 1 {
			t.Errorf("peer %s served by loops %v", peer, byLoop)
		}
		for l := range byLoop {
			loops[l] = true
		}
	}
	rec.mu.Unlock()
	if len(loops) < 2 {
		t.Errorf("%d peers all on loops %v", peers, loops)
	}
	waitFor(t, "every G-PDU counted", func() bool { return upf.Stats().RxGPDU.Load() == peers*perPeer })
	ctx := t.Context()
	for _, g := range gnbs[:4] {
		if _, err := g.Echo(ctx, loopback(upf)); err != nil {
			t.Fatalf("echo from %s: %v", g.LocalAddr(), err)
		}
	}
	eis := make(chan ErrorIndication, 1)
	g := startEndpoint(t, Config{OnErrorIndication: func(_ netip.AddrPort, ei ErrorIndication) { eis <- ei }})
	if err := g.Send(loopback(upf), 0xbad, 1, nil); err != nil {
		t.Fatal(err)
	}
	if ei := recv(t, eis); ei.TEID != 0xbad {
		t.Fatalf("error indication %+v", ei)
	}
}

func TestSocketsCountRefused(t *testing.T) {
	if _, err := New(Config{Addr: "127.0.0.1:0", Sockets: -1, Logger: quietLog}); err == nil {
		t.Fatal("negative socket count accepted")
	}
	// A port held without SO_REUSEPORT cannot be shared.
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := New(Config{Addr: busy.LocalAddr().String(), Sockets: 2, Logger: quietLog}); err == nil {
		t.Fatal("bound a busy port")
	}
}
