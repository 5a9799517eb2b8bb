package sctp

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testHeartbeat keeps liveness short enough for tests without flapping
// under -race on a busy 2-core machine.
const testHeartbeat = 500 * time.Millisecond

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// checkGoroutines fails the test if goroutines started during it are
// still running once its cleanups have run. Register it first.
func checkGoroutines(t testing.TB) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d at start, %d now\n%s", base, runtime.NumGoroutine(), buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// eventually polls cond until it holds or the time is up.
func eventually(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listenTest(t testing.TB, o udpOptions) *udpListener {
	t.Helper()
	if o.heartbeat == 0 {
		o.heartbeat = testHeartbeat
	}
	l, err := listenUDP("127.0.0.1:0", o, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func dialTest(t testing.TB, addr string) Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, Config{Mode: ModeUDP, HeartbeatInterval: testHeartbeat}, "127.0.0.1:0", addr, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func acceptTest(t testing.TB, l Listener) Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// pair returns both ends of one association.
func pair(t testing.TB, l *udpListener) (client, server Conn) {
	t.Helper()
	client = dialTest(t, l.Addr().String())
	return client, acceptTest(t, l)
}

// readEnd reads until the association ends and returns the error.
func readEnd(t testing.TB, c Conn, within time.Duration) error {
	t.Helper()
	got := make(chan error, 1)
	go func() {
		buf := make([]byte, MaxMessageSize)
		for {
			if _, _, err := c.ReadMsg(buf); err != nil {
				got <- err
				return
			}
		}
	}()
	select {
	case err := <-got:
		return err
	case <-time.After(within):
		t.Fatalf("association still up after %s", within)
		return nil
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// Hand-built SCTP packets, for what pion would never send.

func sctpChunk(typ, flags byte, value []byte) []byte {
	c := make([]byte, chunkHeaderLen, chunkHeaderLen+len(value)+3)
	c[0], c[1] = typ, flags
	binary.BigEndian.PutUint16(c[2:], uint16(chunkHeaderLen+len(value)))
	c = append(c, value...)
	for len(c)%4 != 0 {
		c = append(c, 0)
	}
	return c
}

func sctpPacket(src, dst uint16, vtag uint32, chunks ...[]byte) []byte {
	b := make([]byte, commonHeaderLen)
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	binary.BigEndian.PutUint32(b[4:], vtag)
	for _, c := range chunks {
		b = append(b, c...)
	}
	putChecksum(b)
	return b
}

// initChunk is an INIT with initiate tag tag and 16 streams each way.
func initChunk(tag uint32) []byte {
	v := make([]byte, 16)
	binary.BigEndian.PutUint32(v[0:], tag)
	binary.BigEndian.PutUint32(v[4:], 1<<20) // a_rwnd
	binary.BigEndian.PutUint16(v[8:], 16)
	binary.BigEndian.PutUint16(v[10:], 16)
	binary.BigEndian.PutUint32(v[12:], 1) // initial TSN
	return sctpChunk(ctInit, 0, v)
}

// dataChunk is a DATA chunk (TSN 1, stream 0, PPID 60) with payload p.
func dataChunk(p []byte) []byte {
	v := make([]byte, 12, 12+len(p))
	binary.BigEndian.PutUint32(v[0:], 1)
	binary.BigEndian.PutUint32(v[8:], PPIDNGAP)
	return sctpChunk(0, 0x03, append(v, p...))
}

// rawPeer is a bare UDP socket on loopback, to play a broken peer.
func rawPeer(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// relay forwards one client's datagrams to a server and back, records
// them, and can drop everything (a dead link).
type relay struct {
	front, back *net.UDPConn
	client      atomic.Pointer[netip.AddrPort]
	blackhole   atomic.Bool
	wg          sync.WaitGroup

	mu      sync.Mutex
	records []record
}

type record struct {
	at         time.Time
	fromClient bool
	b          []byte
}

func newRelay(t testing.TB, server string) *relay {
	t.Helper()
	front := rawPeer(t)
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp", nil, sa)
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{front: front, back: back}
	r.wg.Add(2)
	go r.pump(true)
	go r.pump(false)
	t.Cleanup(func() {
		_ = front.Close()
		_ = back.Close()
		r.wg.Wait()
	})
	return r
}

func (r *relay) addr() string { return r.front.LocalAddr().String() }

func (r *relay) pump(fromClient bool) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		var n int
		var err error
		if fromClient {
			var from netip.AddrPort
			n, from, err = r.front.ReadFromUDPAddrPort(buf)
			if err == nil {
				r.client.Store(&from)
			}
		} else {
			n, err = r.back.Read(buf)
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil || r.blackhole.Load() {
			continue
		}
		r.mu.Lock()
		r.records = append(r.records, record{time.Now(), fromClient, append([]byte(nil), buf[:n]...)})
		r.mu.Unlock()
		if fromClient {
			_, _ = r.back.Write(buf[:n])
		} else if to := r.client.Load(); to != nil {
			_, _ = r.front.WriteToUDPAddrPort(buf[:n], *to)
		}
	}
}

func (r *relay) captured() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.records...)
}
