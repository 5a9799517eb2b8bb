package sctp

import (
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"
)

// fuzzSeeds are the packets the corpus under testdata/fuzz starts from.
func fuzzSeeds() [][]byte {
	return [][]byte{
		sctpPacket(5000, 5000, 0, initChunk(0x1234)),
		sctpPacket(5000, 5000, 9, dataChunk([]byte("hello"))),
		sctpPacket(5000, 5000, 9, sctpChunk(ctShutdownAck, 0, nil)),
		sctpPacket(5000, 5000, 9, sctpChunk(ctAbort, flagT, nil)),
		sctpPacket(5000, 5000, 0, initChunk(1), sctpChunk(3, 0, make([]byte, 12))),
		heartbeatPacket(commonHeader{5000, 5000, 9}, time.Unix(0, 0)),
		truncatedChunk(),
		[]byte("not sctp at all"),
	}
}

// FuzzInspect: any datagram is classified without panicking, an accepted
// INIT really is one, and our replies are ones a listener would ignore.
func FuzzInspect(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, h := inspect(b)
		hasChunk(b, ctAbort)
		isHeartbeatAck(b)
		switch v {
		case openAssociation:
			if !checksumOK(b) || b[commonHeaderLen] != ctInit || h.vtag != 0 {
				t.Fatalf("accepted as INIT: % x", b)
			}
		case replyAbort, replyShutdownComplete:
			typ := byte(ctAbort)
			if v == replyShutdownComplete {
				typ = ctShutdownComplete
			}
			if rv, _ := inspect(outOfTheBlueReply(h, typ)); rv != dropOutOfTheBlue {
				t.Fatalf("our reply to % x would be answered (%d)", b, rv)
			}
		}
	})
}

// FuzzDemux feeds arbitrary datagrams (twice, from one address) to a
// listener's demultiplexer: no panic, a peer entry only for an INIT, every
// other datagram counted, and nothing left once the listener is closed.
func FuzzDemux(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	from := netip.MustParseAddrPort("127.0.0.1:9") // discard: replies go nowhere
	f.Fuzz(func(t *testing.T, b []byte) {
		checkGoroutines(t)
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		l := newUDPListener(pc, udpOptions{heartbeat: time.Second, handshakeTimeout: 50 * time.Millisecond},
			slog.New(slog.DiscardHandler))
		if len(b) > maxDatagram {
			b = b[:maxDatagram] // the read loop drops larger ones before demux
		}
		v, _ := inspect(b)
		for i := range 2 {
			bp := datagramPool.Get().(*[]byte)
			l.demux(from, datagram{bp, copy(*bp, b)})
			st := l.Stats()
			switch {
			case v == openAssociation && st.Peers != 1:
				t.Fatalf("INIT #%d: stats %+v", i, st)
			case v != openAssociation && (st.Peers != 0 || st.Malformed+st.OutOfTheBlue != uint64(i+1)):
				t.Fatalf("datagram #%d (verdict %d): stats %+v", i, v, st)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if st := l.Stats(); st.Peers != 0 {
			t.Fatalf("after close: %+v", st)
		}
	})
}
