package pfcp

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/wmnsk/go-pfcp/message"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// show renders a value for failure messages (pointers followed).
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// lossyConn drops the outgoing datagrams drop says to drop.
type lossyConn struct {
	*net.UDPConn
	mu      sync.Mutex
	drop    func(b []byte) bool
	dropped int
}

func (c *lossyConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	c.mu.Lock()
	lose := c.drop != nil && c.drop(b)
	if lose {
		c.dropped++
	}
	c.mu.Unlock()
	if lose {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDPAddrPort(b, addr)
}

func (c *lossyConn) setDrop(f func([]byte) bool) {
	c.mu.Lock()
	c.drop = f
	c.mu.Unlock()
}

func (c *lossyConn) droppedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// dropFirst loses the first count datagrams of message type typ.
func dropFirst(typ uint8, count int) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) > 1 && b[1] == typ && count > 0 {
			count--
			return true
		}
		return false
	}
}

// dropType loses every datagram of message type typ.
func dropType(typ uint8) func([]byte) bool {
	return func(b []byte) bool { return len(b) > 1 && b[1] == typ }
}

func listenLossy(t testing.TB, addr string) *lossyConn {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", ua)
	if err != nil {
		t.Fatal(err)
	}
	return &lossyConn{UDPConn: c}
}

// testConfig fills in loopback, quiet logs and short timers.
func testConfig(cfg Config) Config {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLog
	}
	if cfg.T1 == 0 {
		cfg.T1 = 200 * time.Millisecond
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = time.Hour
	}
	return cfg
}

// startNode runs a node until the test ends; stop ends it earlier.
func startNode(t testing.TB, cfg Config) (n *Node, stop func()) {
	t.Helper()
	n, err := New(testConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return n, stop
}

// recordingUP is a UP handler that remembers what it was asked and hands
// out F-TEIDs on CHOOSE.
type recordingUP struct {
	mu          sync.Mutex
	established []Session
	modified    []Modification
	deleted     []uint64
	nextTEID    uint32
	cause       Cause // answer to establishments; 0 accepts
	final       []UsageReport
}

func (u *recordingUP) OnEstablish(_ context.Context, s *Session) ([]CreatedPDR, Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.established = append(u.established, *s)
	if u.cause != 0 {
		return nil, u.cause
	}
	var created []CreatedPDR
	for _, p := range s.PDRs {
		if p.PDI.LocalFTEID != nil && p.PDI.LocalFTEID.Choose {
			u.nextTEID++
			created = append(created, CreatedPDR{ID: p.ID, LocalFTEID: &FTEID{TEID: 0x1000 + u.nextTEID, IPv4: upfN3}})
		}
	}
	return created, CauseRequestAccepted
}

func (u *recordingUP) OnModify(_ context.Context, m *Modification) ([]CreatedPDR, []UsageReport, Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.modified = append(u.modified, *m)
	return nil, nil, CauseRequestAccepted
}

func (u *recordingUP) OnDelete(_ context.Context, upSEID uint64) ([]UsageReport, Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.deleted = append(u.deleted, upSEID)
	return u.final, CauseRequestAccepted
}

func (u *recordingUP) establishedCount() int { return len(u.sessions()) }

// The accessors below lock: the race detector cannot see that a UDP
// round trip orders the handler before the test's next step.
func (u *recordingUP) sessions() []Session {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Session(nil), u.established...)
}

func (u *recordingUP) modifications() []Modification {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Modification(nil), u.modified...)
}

func (u *recordingUP) deletions() []uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]uint64(nil), u.deleted...)
}

func (u *recordingUP) set(cause Cause, final []UsageReport) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cause, u.final = cause, final
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func recv[T any](t testing.TB, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
		panic("unreachable")
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair starts an associated CP and UP node.
func pair(t testing.TB, cp, up Config) (*Node, *Node, *recordingUP) {
	t.Helper()
	rec, _ := up.UP.(*recordingUP)
	if up.UP == nil {
		rec = &recordingUP{}
		up.UP = rec
	}
	cp.Role, up.Role = RoleCP, RoleUP
	upNode, _ := startNode(t, up)
	cpNode, _ := startNode(t, cp)
	if _, err := cpNode.Associate(ctxT(t), upNode.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	return cpNode, upNode, rec
}

// rawExchange sends m from a bare socket and returns the parsed answer.
func rawExchange(t testing.TB, dst netip.AddrPort, m message.Message) message.Message {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToUDPAddrPort(b, dst); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	l, _, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no answer to %s: %v", m.MessageTypeName(), err)
	}
	resp, err := message.Parse(buf[:l])
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
