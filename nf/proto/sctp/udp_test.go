package sctp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestDetectMatchesKernel(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, syscall.IPPROTO_SCTP)
	want := ModeUDP
	if err == nil {
		_ = syscall.Close(fd)
		want = ModeKernel
	}
	if got := Detect(); got != want {
		t.Fatalf("Detect() = %s, want %s (probe err %v)", got, want, err)
	}
	mode, reason := Transport()
	if mode != want || reason == "" {
		t.Fatalf("Transport() = %s %q", mode, reason)
	}
	if want == ModeUDP && !strings.Contains(reason, "kernel lacks SCTP") {
		t.Fatalf("reason %q does not say the kernel lacks SCTP", reason)
	}
	t.Logf("this machine: mode=%s reason=%q", mode, reason)
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Mode: ModeAuto}, true},
		{Config{Mode: ModeKernel}, true},
		{Config{Mode: ModeUDP, HeartbeatInterval: time.Second}, true},
		{Config{Mode: "tcp"}, false},
		{Config{HeartbeatInterval: -1}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
	if _, err := Listen(context.Background(), Config{Mode: "tcp"}, "127.0.0.1:0", nil); err == nil {
		t.Fatal("Listen accepted mode tcp")
	}
}

// payload is a message whose bytes say who sent it, so mix-ups show.
func payload(client, stream, seq, size int) []byte {
	head := fmt.Sprintf("c%d s%d n%d|", client, stream, seq)
	b := bytes.Repeat([]byte{byte(client*31 + stream*7 + seq)}, max(size, len(head)))
	copy(b, head)
	return b
}

// TestManyPeersManyStreams: five dialers at once, each sending on four
// streams with stream-specific PPIDs; the server echoes every message on
// its stream with the PPID it came with. Order per stream is checked.
func TestManyPeersManyStreams(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	const peers, streams, perStream = 5, 4, 25
	ppid := func(s int) uint32 { return []uint32{PPIDNGAP, PPIDS1AP, 1000, 1001}[s] }

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var srv sync.WaitGroup
	srv.Go(func() {
		for range peers {
			c, err := l.Accept(ctx)
			if err != nil {
				t.Errorf("accept: %v", err)
				return
			}
			srv.Go(func() { echo(t, c) })
		}
	})

	var wg sync.WaitGroup
	errs := make(chan error, peers)
	for i := range peers {
		c := dialTest(t, l.Addr().String())
		wg.Go(func() { errs <- exchange(c, i, streams, perStream, ppid) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if st := l.Stats(); st.Accepted != peers || st.Peers != peers || st.Dropped() != 0 {
		t.Errorf("stats %+v", st)
	}
	_ = l.Close()
	srv.Wait()
}

func echo(t *testing.T, c Conn) {
	buf := make([]byte, MaxMessageSize)
	for {
		n, info, err := c.ReadMsg(buf)
		if err != nil {
			if !isEOF(err) && !errors.Is(err, net.ErrClosed) {
				t.Errorf("server read: %v", err)
			}
			return
		}
		if err := c.WriteMsg(buf[:n], info); err != nil {
			t.Errorf("server echo: %v", err)
			return
		}
	}
}

func exchange(c Conn, client, streams, perStream int, ppid func(int) uint32) error {
	var wg sync.WaitGroup
	werr := make(chan error, streams)
	for s := range streams {
		wg.Go(func() {
			for n := range perStream {
				p := payload(client, s, n, 10+n*97)
				if err := c.WriteMsg(p, Info{Stream: uint16(s), PPID: ppid(s)}); err != nil {
					werr <- err
					return
				}
			}
		})
	}
	next := make([]int, streams)
	buf := make([]byte, MaxMessageSize)
	for range streams * perStream {
		n, info, err := c.ReadMsg(buf)
		if err != nil {
			return fmt.Errorf("client %d read: %w", client, err)
		}
		s := int(info.Stream)
		if s >= streams {
			return fmt.Errorf("client %d: message on stream %d", client, s)
		}
		if info.PPID != ppid(s) {
			return fmt.Errorf("client %d stream %d: ppid %d, want %d", client, s, info.PPID, ppid(s))
		}
		if want := payload(client, s, next[s], 10+next[s]*97); !bytes.Equal(buf[:n], want) {
			return fmt.Errorf("client %d stream %d: message %d wrong or out of order: %.20q", client, s, next[s], buf[:n])
		}
		next[s]++
	}
	wg.Wait()
	close(werr)
	return <-werr
}

// TestMessageBoundaries sends messages from 1 byte to MaxMessageSize (so
// up to ~60 DATA fragments) back to back and reads each whole.
func TestMessageBoundaries(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, server := pair(t, l)
	sizes := []int{1, 2, 3, 100, 1163, 1164, 1165, 1191, 4096, 16383, 16384, 40000, 65535, MaxMessageSize}
	go func() {
		for i, n := range sizes {
			if err := client.WriteMsg(payload(0, 1, i, n)[:n], Info{Stream: 1, PPID: PPIDNGAP}); err != nil {
				t.Errorf("write %d bytes: %v", n, err)
				return
			}
		}
	}()
	buf := make([]byte, MaxMessageSize)
	for i, want := range sizes {
		n, info, err := server.ReadMsg(buf)
		if err != nil {
			t.Fatalf("read #%d: %v", i, err)
		}
		if n != want || !bytes.Equal(buf[:n], payload(0, 1, i, want)[:want]) || info != (Info{Stream: 1, PPID: PPIDNGAP}) {
			t.Fatalf("read #%d: %d bytes %+v, want %d bytes on stream 1 ppid 60", i, n, info, want)
		}
	}
}

func TestShortBufferKeepsMessage(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, server := pair(t, l)
	msg := payload(1, 0, 0, 3000)
	if err := client.WriteMsg(msg, Info{PPID: PPIDNGAP}); err != nil {
		t.Fatal(err)
	}
	small := make([]byte, 100)
	n, _, err := server.ReadMsg(small)
	if !errors.Is(err, io.ErrShortBuffer) || n != len(msg) {
		t.Fatalf("short read = %d, %v; want %d, io.ErrShortBuffer", n, err, len(msg))
	}
	big := make([]byte, n)
	n, info, err := server.ReadMsg(big)
	if err != nil || !bytes.Equal(big[:n], msg) || info.PPID != PPIDNGAP {
		t.Fatalf("retry = %d %+v %v", n, info, err)
	}
}

func TestWriteSizeLimits(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, _ := pair(t, l)
	for _, n := range []int{0, MaxMessageSize + 1} {
		if err := client.WriteMsg(make([]byte, n), Info{}); !errors.Is(err, ErrMessageSize) {
			t.Errorf("write %d bytes: %v, want ErrMessageSize", n, err)
		}
	}
}

// TestPeerCloseGivesEOF closes one end gracefully, each way round: the
// other end reads io.EOF and the listener forgets the peer.
func TestPeerCloseGivesEOF(t *testing.T) {
	for _, closer := range []string{"client", "server"} {
		t.Run(closer, func(t *testing.T) {
			checkGoroutines(t)
			l := listenTest(t, udpOptions{})
			client, server := pair(t, l)
			if err := client.WriteMsg([]byte("bye"), Info{PPID: PPIDNGAP}); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			if _, _, err := server.ReadMsg(buf); err != nil {
				t.Fatal(err)
			}
			closing, other := client, server
			if closer == "server" {
				closing, other = server, client
			}
			if err := closing.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := readEnd(t, other, 5*time.Second); !isEOF(err) {
				t.Fatalf("other end read %v, want io.EOF", err)
			}
			if _, _, err := closing.ReadMsg(buf); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("closed end read %v, want net.ErrClosed", err)
			}
			if err := other.WriteMsg([]byte("late"), Info{}); err == nil {
				t.Fatal("write after peer shutdown succeeded")
			}
			eventually(t, "peer entry removed", 5*time.Second, func() bool { return l.Stats().Peers == 0 })
		})
	}
}

// TestListenerCloseEndsEverything: Close ends a pending Accept and shuts
// down every association; clients read io.EOF.
func TestListenerCloseEndsEverything(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	var clients, servers []Conn
	for range 3 {
		c, s := pair(t, l)
		clients, servers = append(clients, c), append(servers, s)
	}
	acceptErr := make(chan error, 1)
	go func() {
		_, err := l.Accept(context.Background())
		acceptErr <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-acceptErr; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	for i, c := range clients {
		if err := readEnd(t, c, 5*time.Second); !isEOF(err) {
			t.Errorf("client %d read %v, want io.EOF", i, err)
		}
	}
	for i, s := range servers {
		if _, _, err := s.ReadMsg(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("server conn %d read %v, want net.ErrClosed", i, err)
		}
	}
	if st := l.Stats(); st.Peers != 0 {
		t.Fatalf("peers after close: %+v", st)
	}
}

func TestAcceptContext(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Accept(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Accept = %v, want deadline exceeded", err)
	}
	client, server := pair(t, l) // the listener still works
	if err := client.WriteMsg([]byte("x"), Info{}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := server.ReadMsg(make([]byte, 4)); n != 1 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
}

func TestDialContextEndsHandshake(t *testing.T) {
	checkGoroutines(t)
	silent := rawPeer(t) // takes the INIT, never answers
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, Config{Mode: ModeUDP}, "", silent.LocalAddr().String(), testLog(t))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial = %v, want deadline exceeded", err)
	}
}

func TestDialRefused(t *testing.T) {
	checkGoroutines(t)
	gone := rawPeer(t)
	addr := gone.LocalAddr().String()
	_ = gone.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, Config{Mode: ModeUDP}, "", addr, testLog(t))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial to a closed port = %v, want connection refused", err)
	}
}

// TestAbortIsReported: an ABORT reads as ErrAborted on the other side.
func TestAbortIsReported(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, server := pair(t, l)
	server.(*udpConn).abort("test")
	if err := readEnd(t, client, 5*time.Second); !errors.Is(err, ErrAborted) {
		t.Fatalf("client read %v, want ErrAborted", err)
	}
	eventually(t, "peer entry removed", 5*time.Second, func() bool { return l.Stats().Peers == 0 })
}

// TestDeadLinkIsLost cuts the link silently: both ends declare the
// association lost after three heartbeat intervals.
func TestDeadLinkIsLost(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	r := newRelay(t, l.Addr().String())
	client := dialTest(t, r.addr())
	server := acceptTest(t, l)
	if err := client.WriteMsg([]byte("ping"), Info{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.ReadMsg(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	r.blackhole.Store(true)
	start := time.Now()
	for name, c := range map[string]Conn{"client": client, "server": server} {
		if err := readEnd(t, c, 10*testHeartbeat); !errors.Is(err, ErrAssociationLost) {
			t.Errorf("%s read %v, want ErrAssociationLost", name, err)
		}
	}
	// Three silent intervals are counted from the last datagram, which
	// came a little before the cut.
	if took := time.Since(start); took < 2*testHeartbeat {
		t.Errorf("declared lost after %s: too early for a %s heartbeat", took, testHeartbeat)
	}
	eventually(t, "peer entry removed", 5*time.Second, func() bool { return l.Stats().Peers == 0 })
}

// TestIdleAssociationStaysUp: heartbeats keep a silent association alive.
func TestIdleAssociationStaysUp(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, server := pair(t, l)
	time.Sleep(5 * testHeartbeat) // idle on purpose: longer than the loss threshold
	if err := client.WriteMsg([]byte("still here"), Info{Stream: 2, PPID: PPIDNGAP}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, info, err := server.ReadMsg(buf)
	if err != nil || string(buf[:n]) != "still here" || info.Stream != 2 {
		t.Fatalf("after idling: %q %+v %v", buf[:n], info, err)
	}
}

// TestGarbageIsCountedAndIgnored throws non-SCTP and out-of-the-blue
// datagrams at a listener: none leaves a peer entry, each is counted,
// stray SCTP gets its RFC 9260 8.4 answer, and associations still work.
func TestGarbageIsCountedAndIgnored(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, server := pair(t, l)
	junk := rawPeer(t)
	to := l.pc.LocalAddr().(*net.UDPAddr)
	send := func(b []byte) {
		t.Helper()
		if _, err := junk.WriteToUDP(b, to); err != nil {
			t.Fatal(err)
		}
	}
	expectReply := func(typ byte, vtag uint32) {
		t.Helper()
		if err := junk.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, err := junk.Read(buf)
		if err != nil {
			t.Fatalf("no out-of-the-blue reply: %v", err)
		}
		if n != 16 || buf[12] != typ || buf[13] != flagT || !checksumOK(buf[:n]) ||
			binary.BigEndian.Uint32(buf[4:]) != vtag {
			t.Fatalf("reply % x, want chunk %d with T bit and tag %#x", buf[:n], typ, vtag)
		}
	}

	send([]byte("definitely not SCTP"))
	send(make([]byte, 3))
	send(make([]byte, maxDatagram+100))
	bad := sctpPacket(5000, 5000, 0, initChunk(1))
	bad[20] ^= 0xff
	send(bad)
	send(sctpPacket(5000, 5000, 0x1111, dataChunk([]byte("stale"))))
	expectReply(ctAbort, 0x1111)
	send(sctpPacket(5000, 5000, 0x2222, sctpChunk(ctShutdownAck, 0, nil)))
	expectReply(ctShutdownComplete, 0x2222)
	send(sctpPacket(5000, 5000, 0x3333, sctpChunk(ctAbort, 0, nil)))

	eventually(t, "datagrams counted", 5*time.Second, func() bool {
		st := l.Stats()
		return st.Malformed == 4 && st.OutOfTheBlue == 3
	})
	if st := l.Stats(); st.Peers != 1 || st.HandshakeFailed != 0 || st.Dropped() != 7 {
		t.Fatalf("stats %+v", st)
	}
	if err := client.WriteMsg([]byte("ok"), Info{PPID: PPIDNGAP}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := server.ReadMsg(make([]byte, 8)); n != 2 || err != nil {
		t.Fatalf("read after garbage: %d %v", n, err)
	}
	late := dialTest(t, l.Addr().String()) // and new peers are still accepted
	if late.RemoteAddr().String() != l.Addr().String() {
		t.Fatalf("dialled %s", late.RemoteAddr())
	}
}

// TestForgedInitTimesOut: an INIT whose sender never completes the
// handshake leaves a peer entry only until the handshake timeout.
func TestForgedInitTimesOut(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{handshakeTimeout: 300 * time.Millisecond})
	forger := rawPeer(t)
	if _, err := forger.WriteToUDP(sctpPacket(5000, 5000, 0, initChunk(0xabcd)), l.pc.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	// pion answers with an INIT ACK addressed to the forger's tag.
	if err := forger.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, err := forger.Read(buf)
	if err != nil || n < 16 || buf[12] != 2 || binary.BigEndian.Uint32(buf[4:]) != 0xabcd {
		t.Fatalf("expected an INIT ACK, got % x (%v)", buf[:min(n, 16)], err)
	}
	if st := l.Stats(); st.Peers != 1 {
		t.Fatalf("during handshake: %+v", st)
	}
	eventually(t, "half-open peer dropped", 5*time.Second, func() bool {
		st := l.Stats()
		return st.Peers == 0 && st.HandshakeFailed == 1
	})
	c, s := pair(t, l) // the listener is unharmed
	if err := c.WriteMsg([]byte("x"), Info{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReadMsg(make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
}

// TestStaleClientLearnsOfRestart: a listener that lost its state (a
// restarted AMF) answers the old client's DATA with ABORT at once.
func TestStaleClientLearnsOfRestart(t *testing.T) {
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	client, server := pair(t, l)
	server.(*udpConn).pc.(*peerConn).Close() // forget the peer, send nothing
	eventually(t, "peer forgotten", 5*time.Second, func() bool { return l.Stats().Peers == 0 })
	if err := client.WriteMsg([]byte("anyone?"), Info{PPID: PPIDNGAP}); err != nil {
		t.Fatal(err)
	}
	if err := readEnd(t, client, 5*time.Second); !errors.Is(err, ErrAborted) {
		t.Fatalf("stale client read %v, want ErrAborted", err)
	}
	if st := l.Stats(); st.OutOfTheBlue == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestAutoModeEndToEnd goes through the public API with the default
// config: auto resolves per Detect, and an NGAP message crosses.
func TestAutoModeEndToEnd(t *testing.T) {
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := Listen(ctx, Config{}, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, isUDP := l.(*udpListener); isUDP != (Detect() == ModeUDP) {
		t.Fatalf("auto listener is %T, Detect() = %s", l, Detect())
	}
	c, err := Dial(ctx, Config{}, "", l.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := c.WriteMsg(ngSetupRequest, Info{Stream: 0, PPID: PPIDNGAP}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, MaxMessageSize)
	n, info, err := s.ReadMsg(buf)
	if err != nil || !bytes.Equal(buf[:n], ngSetupRequest) || info != (Info{Stream: 0, PPID: PPIDNGAP}) {
		t.Fatalf("got %d bytes %+v %v", n, info, err)
	}
	if s.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("server sees %s, client is %s", s.RemoteAddr(), c.LocalAddr())
	}
}
