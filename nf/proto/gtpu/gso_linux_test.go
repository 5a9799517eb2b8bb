package gtpu

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// gsoPeers are two receivers collecting payload ids by TEID 5.
func gsoPeers(t *testing.T) (a, b *Endpoint, got chan [2]byte) {
	got = make(chan [2]byte, 256)
	a, b = startEndpoint(t, Config{}), startEndpoint(t, Config{})
	for i, e := range []*Endpoint{a, b} {
		if err := e.AddTunnel(5, HandlerFunc(func(_ netip.AddrPort, _ *Header, p []byte) { got <- [2]byte{byte(i), p[0]} })); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, got
}

// sized is a G-PDU for TEID 5 with a payload of n octets starting with id.
func sized(t *testing.T, id byte, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	p[0] = id
	h := gpdu(5)
	b, err := Append(nil, &h, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBatchGSOCoalescesRuns(t *testing.T) {
	a, b, got := gsoPeers(t)
	tx := startEndpoint(t, Config{GSO: true})
	batch, err := tx.NewBatch(0, DefaultBatchSize)
	if err != nil {
		t.Fatal(err)
	}
	if !batch.ring.gso {
		t.Skip("the kernel has no UDP_SEGMENT")
	}
	// 40 full-size to a and a short one ending that run, 10 to b, 3 to a
	// of another size: three runs, 54 datagrams.
	type m struct {
		to   *Endpoint
		size int
	}
	var plan []m
	for range 40 {
		plan = append(plan, m{a, 1000})
	}
	plan = append(plan, m{a, 300})
	for range 10 {
		plan = append(plan, m{b, 1000})
	}
	for range 3 {
		plan = append(plan, m{a, 500})
	}
	for i, p := range plan {
		if err := batch.Add(loopback(p.to), sized(t, byte(i), p.size)); err != nil {
			t.Fatal(err)
		}
	}
	if runs := len(batch.ring.runs); runs != 3 {
		t.Fatalf("%d runs, want 3", runs)
	}
	if sent := batch.Flush(func(i int, err error) { t.Errorf("message %d: %v", i, err) }); sent != len(plan) {
		t.Fatalf("sent %d of %d", sent, len(plan))
	}
	next := [2]byte{}
	for range plan {
		g := recv(t, got)
		peer := 0
		if plan[g[1]].to == b {
			peer = 1
		}
		if g[0] != byte(peer) || g[1] < next[peer] {
			t.Fatalf("datagram %d at peer %d, after %d", g[1], g[0], next[peer])
		}
		next[peer] = g[1] + 1
	}
	if s := tx.Stats(); s.TxPackets.Load() != uint64(len(plan)) {
		t.Fatalf("TxPackets %d", s.TxPackets.Load())
	}
}

// TestBatchGSOFallsBack: a GSO run the kernel refuses is sent again as
// single datagrams; after EIO (no checksum offload) GSO stays off.
func TestBatchGSOFallsBack(t *testing.T) {
	a, _, got := gsoPeers(t)
	tx := startEndpoint(t, Config{GSO: true})
	batch, err := tx.NewBatch(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	r := batch.ring
	if !r.gso {
		t.Skip("the kernel has no UDP_SEGMENT")
	}
	for i := range 5 {
		if err := batch.Add(loopback(a), sized(t, byte(i), 200)); err != nil {
			t.Fatal(err)
		}
	}
	for k := range r.runs {
		r.pack(k)
	}
	r.off = 0
	r.refused(unix.EIO) // as if the device could not checksum
	if r.gso || len(r.runs) != 5 {
		t.Fatalf("after EIO: gso %v, %d runs", r.gso, len(r.runs))
	}
	if sent := batch.Flush(nil); sent != 5 {
		t.Fatalf("sent %d", sent)
	}
	for i := range 5 {
		if g := recv(t, got); g[1] != byte(i) {
			t.Fatalf("datagram %d arrived as %d", i, g[1])
		}
	}
}
