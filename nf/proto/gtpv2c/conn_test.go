package gtpv2c

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"
)

func mustMarshal(t testing.TB, m message.Message) []byte {
	t.Helper()
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An echo-like server: answers Delete Session Requests with the TEID it
// was sent to, counting calls.
func deleteServer(calls *atomic.Int32) Handler {
	return HandlerFunc(func(_ context.Context, _ netip.AddrPort, req message.Message) message.Message {
		calls.Add(1)
		if _, ok := req.(*message.DeleteSessionRequest); !ok {
			return nil
		}
		return message.NewDeleteSessionResponse(req.TEID()+1, 0, CauseIE(gtpv2.CauseRequestAccepted))
	})
}

func TestRequestResponse(t *testing.T) {
	var calls atomic.Int32
	srv := startConn(t, Config{Handler: deleteServer(&calls)})
	cli := startConn(t, Config{T3: time.Second, N3: 1})
	for i := range 3 {
		resp, err := cli.Request(context.Background(), srv.LocalAddr(), message.NewDeleteSessionRequest(uint32(10+i), 0))
		if err != nil {
			t.Fatal(err)
		}
		ds, ok := resp.(*message.DeleteSessionResponse)
		if !ok || ds.TEID() != uint32(11+i) {
			t.Fatalf("response %v", resp)
		}
		if c, err := CauseOf(ds.Cause); err != nil || !Accepted(c) {
			t.Fatalf("cause %d, %v", c, err)
		}
	}
	if calls.Load() != 3 || cli.Stats().RxResponses.Load() != 3 || srv.Stats().RxRequests.Load() != 3 {
		t.Errorf("calls %d, responses %d, requests %d", calls.Load(), cli.Stats().RxResponses.Load(), srv.Stats().RxRequests.Load())
	}
}

// A request whose first copies are lost is sent again every T3; one
// unanswered N3+1 times fails with ErrTimeout.
func TestRetransmissionAndTimeout(t *testing.T) {
	cli := startConn(t, Config{T3: 50 * time.Millisecond, N3: 2})
	peer := newRawPeer(t)
	errc := make(chan error, 1)
	go func() {
		_, err := cli.Request(context.Background(), peer.addr(), message.NewDeleteSessionRequest(1, 0))
		errc <- err
	}()
	var seqs []uint32
	for range 3 {
		b := peer.recv(2 * time.Second)
		if b == nil {
			t.Fatal("request not (re)sent")
		}
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, m.Sequence())
	}
	if err := <-errc; !errors.Is(err, ErrTimeout) {
		t.Fatalf("Request = %v, want ErrTimeout", err)
	}
	if seqs[0] != seqs[1] || seqs[1] != seqs[2] {
		t.Errorf("retransmissions changed the sequence number: %v", seqs)
	}
	if cli.Stats().Retransmissions.Load() != 2 || cli.Stats().Timeouts.Load() != 1 {
		t.Errorf("retransmissions %d, timeouts %d", cli.Stats().Retransmissions.Load(), cli.Stats().Timeouts.Load())
	}

	// Answer the second copy: the request succeeds.
	go func() {
		_, err := cli.Request(context.Background(), peer.addr(), message.NewDeleteSessionRequest(1, 0))
		errc <- err
	}()
	peer.recv(2 * time.Second)
	req, err := Parse(peer.recv(2 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	peer.send(cli.LocalAddr(), mustMarshal(t, message.NewDeleteSessionResponse(1, req.Sequence(), CauseIE(16))))
	if err := <-errc; err != nil {
		t.Fatalf("answered retransmission: %v", err)
	}
}

// A retransmitted request is answered with the cached bytes, and the
// handler runs once.
func TestDuplicateRequestAnsweredFromCache(t *testing.T) {
	var calls atomic.Int32
	srv := startConn(t, Config{Handler: deleteServer(&calls)})
	peer := newRawPeer(t)
	req := mustMarshal(t, message.NewDeleteSessionRequest(7, 0x1234))
	peer.send(srv.LocalAddr(), req)
	first := peer.recv(2 * time.Second)
	peer.send(srv.LocalAddr(), req)
	second := peer.recv(2 * time.Second)
	if first == nil || !bytes.Equal(first, second) {
		t.Fatalf("responses differ: %x / %x", first, second)
	}
	if calls.Load() != 1 || srv.Stats().DuplicateRequests.Load() != 1 {
		t.Errorf("handler calls %d, duplicates %d", calls.Load(), srv.Stats().DuplicateRequests.Load())
	}
	// Another sequence number is a new request.
	peer.send(srv.LocalAddr(), mustMarshal(t, message.NewDeleteSessionRequest(7, 0x1235)))
	if peer.recv(2*time.Second) == nil || calls.Load() != 2 {
		t.Errorf("new request not handled: calls %d", calls.Load())
	}
}

// While the first copy is still being handled, a retransmission is
// ignored; the one response comes when the handler returns.
func TestDuplicateWhileInProgress(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := startConn(t, Config{Handler: HandlerFunc(func(ctx context.Context, _ netip.AddrPort, req message.Message) message.Message {
		calls.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return message.NewDeleteSessionResponse(1, 0, CauseIE(16))
	})})
	peer := newRawPeer(t)
	req := mustMarshal(t, message.NewDeleteSessionRequest(7, 99))
	peer.send(srv.LocalAddr(), req)
	peer.send(srv.LocalAddr(), req)
	nfkittest.Eventually(t, 2*time.Second, "duplicate seen", func() bool { return srv.Stats().DuplicateRequests.Load() == 1 })
	close(release)
	if peer.recv(2*time.Second) == nil {
		t.Fatal("no response")
	}
	if extra := peer.recv(100 * time.Millisecond); extra != nil {
		t.Errorf("a second response was sent")
	}
	if calls.Load() != 1 {
		t.Errorf("handler ran %d times", calls.Load())
	}
}

func TestEcho(t *testing.T) {
	srv := startConn(t, Config{Recovery: 42})
	cli := startConn(t, Config{T3: time.Second})
	r, err := cli.Echo(context.Background(), srv.LocalAddr())
	if err != nil || r != 42 {
		t.Fatalf("Echo = %d, %v", r, err)
	}
	if srv.Stats().EchoRequests.Load() != 1 {
		t.Errorf("echo requests %d", srv.Stats().EchoRequests.Load())
	}
}

// Every kind of bad datagram is dropped and lands in its counter; the
// Conn keeps serving.
func TestBadDatagramsCounted(t *testing.T) {
	good := mustMarshal(t, message.NewDeleteSessionRequest(1, 5))
	longer := append(bytes.Clone(good), 0)
	badLen := bytes.Clone(good)
	badLen[3]++
	noTEID := mustMarshal(t, message.NewGenericWithoutTEID(message.MsgTypeDeleteSessionRequest, 0, 1))
	echoWithTEID := bytes.Clone(good)
	echoWithTEID[1] = message.MsgTypeEchoRequest
	badIE := mustMarshal(t, message.NewDeleteSessionRequest(1, 6, CauseIE(16)))
	badIE[len(badIE)-4] = 0x40 // IE length runs past the message
	v1 := bytes.Clone(good)
	v1[0] = 0x32
	piggy := bytes.Clone(good)
	piggy[0] |= 0x10
	unknownType := mustMarshal(t, message.NewGeneric(200, 1, 7))
	tests := []struct {
		name        string
		b           []byte
		malformed   bool
		unsupported bool
	}{
		{"empty", nil, true, false},
		{"short", good[:6], true, false},
		{"trailing octet", longer, true, false},
		{"length field off", badLen, true, false},
		{"session message without TEID", noTEID, true, false},
		{"echo with TEID", echoWithTEID, true, false},
		{"IE past the end", badIE, true, false},
		{"GTPv1", v1, false, true},
		{"piggybacked", piggy, false, true},
		{"unknown type", unknownType, false, true},
	}
	var calls atomic.Int32
	c := startConn(t, Config{Handler: deleteServer(&calls)})
	from := netip.MustParseAddrPort("127.0.0.1:9")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mal, uns := c.Stats().Malformed.Load(), c.Stats().Unsupported.Load()
			c.HandleDatagram(context.Background(), tt.b, from)
			if got := c.Stats().Malformed.Load() - mal; got != b2u(tt.malformed) {
				t.Errorf("malformed +%d", got)
			}
			if got := c.Stats().Unsupported.Load() - uns; got != b2u(tt.unsupported) {
				t.Errorf("unsupported +%d", got)
			}
		})
	}
	if calls.Load() != 0 {
		t.Errorf("handler called for bad datagrams")
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func TestUnmatchedResponse(t *testing.T) {
	c := startConn(t, Config{})
	c.HandleDatagram(context.Background(), mustMarshal(t, message.NewDeleteSessionResponse(1, 77, CauseIE(16))),
		netip.MustParseAddrPort("127.0.0.1:9"))
	if c.Stats().UnmatchedResponses.Load() != 1 {
		t.Errorf("unmatched %d", c.Stats().UnmatchedResponses.Load())
	}
}

func TestFTEIDRoundTrip(t *testing.T) {
	tests := []FTEID{
		{Interface: gtpv2.IFTypeS11MMEGTPC, TEID: 1, Addr: netip.MustParseAddr("10.0.0.1")},
		{Interface: gtpv2.IFTypeS5S8PGWGTPU, TEID: 0xffffffff, Addr: netip.MustParseAddr("127.1.2.3")},
	}
	for _, f := range tests {
		for inst := uint8(0); inst < 3; inst++ {
			i := f.IE(inst)
			b, err := i.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ie.Parse(b)
			if err != nil || back.Instance() != inst {
				t.Fatalf("parse: %v, instance %d", err, back.Instance())
			}
			got, err := ParseFTEID(back)
			if err != nil || got != f {
				t.Errorf("round trip %+v -> %+v, %v", f, got, err)
			}
		}
	}
	if _, err := ParseFTEID(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil F-TEID: %v", err)
	}
	if _, err := ParseFTEID(ie.NewFullyQualifiedTEID(1, 1, "", "::1")); !errors.Is(err, ErrMalformed) {
		t.Errorf("IPv6-only F-TEID: %v", err)
	}
}

func TestResponseCacheExpiry(t *testing.T) {
	c := newResponseCache(time.Second)
	now := time.Unix(1000, 0)
	k := cacheKey{peer: netip.MustParseAddrPort("127.0.0.1:1"), seq: 1}
	if isNew, _ := c.begin(k, now); !isNew {
		t.Fatal("first begin not new")
	}
	// In progress: kept past the TTL.
	if isNew, cached := c.begin(k, now.Add(5*time.Second)); isNew || cached != nil {
		t.Fatal("in-progress entry lost")
	}
	c.finish(k, []byte{1}, now.Add(5*time.Second))
	if _, cached := c.begin(k, now.Add(5500*time.Millisecond)); !bytes.Equal(cached, []byte{1}) {
		t.Fatal("answered entry lost before its TTL")
	}
	if isNew, _ := c.begin(k, now.Add(7*time.Second)); !isNew {
		t.Fatal("entry kept after its TTL")
	}
	c.forget(k)
	if c.len() != 0 {
		t.Errorf("%d entries after forget", c.len())
	}
}

// AfterResponse runs once the response went, never without one.
func TestAfterResponse(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	srv := startConn(t, Config{Handler: HandlerFunc(func(ctx context.Context, _ netip.AddrPort, req message.Message) message.Message {
		AfterResponse(ctx, func() { note("after") })
		if req.TEID() == 0 {
			return nil
		}
		note("handler")
		return message.NewDeleteSessionResponse(1, 0, CauseIE(16))
	})})
	peer := newRawPeer(t)
	peer.send(srv.LocalAddr(), mustMarshal(t, message.NewDeleteSessionRequest(1, 1)))
	if peer.recv(2*time.Second) == nil {
		t.Fatal("no response")
	}
	nfkittest.Eventually(t, 2*time.Second, "after ran", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 2 })
	srv.HandleDatagram(context.Background(), mustMarshal(t, message.NewDeleteSessionRequest(0, 2)), peer.addr())
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 2 || order[0] != "handler" || order[1] != "after" {
		t.Errorf("order %v", order)
	}
}

// AfterHandled runs once per request, after the response and the
// AfterResponse functions, and also when the handler answered nothing.
func TestAfterHandled(t *testing.T) {
	var order []string
	note := func(s string) { order = append(order, s) }
	srv := startConn(t, Config{Handler: HandlerFunc(func(ctx context.Context, _ netip.AddrPort, req message.Message) message.Message {
		AfterHandled(ctx, func() { note("handled") })
		AfterResponse(ctx, func() { note("after") })
		note("handler")
		if req.TEID() == 0 {
			return nil
		}
		return message.NewDeleteSessionResponse(1, 0, CauseIE(16))
	})})
	peer := newRawPeer(t)
	tests := []struct {
		name string
		teid uint32
		want []string
	}{
		{"answered", 1, []string{"handler", "after", "handled"}},
		{"unanswered", 0, []string{"handler", "handled"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order = nil
			// HandleDatagram returns once the request is done with.
			srv.HandleDatagram(context.Background(), mustMarshal(t, message.NewDeleteSessionRequest(tt.teid, uint32(10+i))), peer.addr())
			if !slices.Equal(order, tt.want) {
				t.Errorf("order %v, want %v", order, tt.want)
			}
		})
	}
	ran := false
	AfterHandled(context.Background(), func() { ran = true })
	if !ran {
		t.Error("outside a handler fn did not run at once")
	}
}
