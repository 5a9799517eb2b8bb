package gtpgen

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// The UDP N6 port sends and receives batches on loopback, with the peers'
// addresses, and reports closing.
func TestUDPN6(t *testing.T) {
	a := freeLoopback(t)
	port, err := newUDPN6(context.Background(), netip.AddrPortFrom(a, 0).String(), 8)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	peerAddr := peer.LocalAddr().(*net.UDPAddr).AddrPort()

	out := make([]Datagram, 5)
	for i := range out {
		out[i] = Datagram{Buf: bytes.Repeat([]byte{byte(i)}, 10+i), N: 10 + i, Peer: peerAddr}
	}
	if n, err := port.WriteBatch(out); n != len(out) || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	buf := make([]byte, 100)
	for i := range out {
		if err := peer.SetReadDeadline(time.Now().Add(wait)); err != nil {
			t.Fatal(err)
		}
		n, from, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil || !bytes.Equal(buf[:n], out[i].Buf) || from != port.LocalAddr() {
			t.Fatalf("peer got %x from %s (%v), want %x from %s", buf[:n], from, err, out[i].Buf, port.LocalAddr())
		}
		if _, err := peer.WriteToUDPAddrPort(buf[:n], port.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	in := make([]Datagram, 8)
	for i := range in {
		in[i].Buf = make([]byte, 64)
	}
	got := 0
	for got < len(out) {
		n, err := port.ReadBatch(in[got:])
		if err != nil {
			t.Fatal(err)
		}
		for i := got; i < got+n; i++ {
			if in[i].Peer != peerAddr || !bytes.Equal(in[i].Buf[:in[i].N], out[i].Buf) {
				t.Fatalf("read %d: %x from %s", i, in[i].Buf[:in[i].N], in[i].Peer)
			}
		}
		got += n
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := port.WriteBatch(out); err != nil {
			t.Fatal(err)
		}
	}); n != 0 && !raceEnabled {
		t.Errorf("WriteBatch allocates %v times", n)
	}
	if err := port.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := port.ReadBatch(in); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}
