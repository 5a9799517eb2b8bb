package gtpu

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// startEndpoint binds cfg (loopback by default) and runs it until the test ends.
func startEndpoint(t testing.TB, cfg Config) *Endpoint {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLog
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return e
}

// loopback is e's address as a peer reaches it.
func loopback(e *Endpoint) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), e.LocalAddr().Port())
}

// waitFor polls cond until it holds or the test deadline nears.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type received struct {
	src     netip.AddrPort
	teid    uint32
	pdu     PDUSessionInfo
	payload string
}

// collector is a Handler that copies what it gets to a channel.
func collector() (Handler, chan received) {
	ch := make(chan received, 16)
	return HandlerFunc(func(src netip.AddrPort, h *Header, payload []byte) {
		ch <- received{src, h.TEID, h.PDUSession, string(payload)}
	}), ch
}

func recv[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
		panic("unreachable")
	}
}

func TestEndpointsExchangeGPDUs(t *testing.T) {
	gnb := startEndpoint(t, Config{PDUType: PDUTypeUL})
	upf := startEndpoint(t, Config{PDUType: PDUTypeDL})
	ulHandler, ul := collector()
	dlHandler, dl := collector()
	if err := upf.AddTunnel(0x100, ulHandler); err != nil {
		t.Fatal(err)
	}
	if err := gnb.AddTunnel(0x200, dlHandler); err != nil {
		t.Fatal(err)
	}
	if err := upf.AddTunnel(0x100, ulHandler); !errors.Is(err, ErrTunnelExists) {
		t.Fatalf("duplicate AddTunnel: %v", err)
	}

	if err := gnb.Send(loopback(upf), 0x100, 9, []byte("uplink")); err != nil {
		t.Fatal(err)
	}
	got := recv(t, ul)
	want := received{loopback(gnb), 0x100, PDUSessionInfo{Present: true, PDUType: PDUTypeUL, QFI: 9}, "uplink"}
	if got != want {
		t.Fatalf("UPF got %+v, want %+v", got, want)
	}
	if err := upf.Send(got.src, 0x200, 9, []byte("downlink")); err != nil {
		t.Fatal(err)
	}
	got = recv(t, dl)
	want = received{loopback(upf), 0x200, PDUSessionInfo{Present: true, PDUType: PDUTypeDL, QFI: 9}, "downlink"}
	if got != want {
		t.Fatalf("gNB got %+v, want %+v", got, want)
	}
	// Counted once the read loop has handled its batch.
	waitFor(t, "UPF RxGPDU = 1", func() bool { return upf.Stats().RxGPDU.Load() == 1 })
	if !upf.RemoveTunnel(0x100) || upf.RemoveTunnel(0x100) {
		t.Fatal("RemoveTunnel did not report existence")
	}
}

func TestUnknownTEIDYieldsErrorIndication(t *testing.T) {
	for _, bind := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		t.Run(bind, func(t *testing.T) {
			eis := make(chan ErrorIndication, 1)
			sender := startEndpoint(t, Config{OnErrorIndication: func(_ netip.AddrPort, ei ErrorIndication) { eis <- ei }})
			upf := startEndpoint(t, Config{Addr: bind})
			if err := sender.Send(loopback(upf), 0xdead, 1, []byte("lost")); err != nil {
				t.Fatal(err)
			}
			ei := recv(t, eis)
			want := ErrorIndication{TEID: 0xdead, PeerAddr: netip.MustParseAddr("127.0.0.1")}
			if ei != want {
				t.Fatalf("error indication %+v, want %+v", ei, want)
			}
			s := upf.Stats()
			waitFor(t, "error indication counted as sent", func() bool { return s.ErrorIndicationSent.Load() == 1 })
			if s.UnknownTEID.Load() != 1 {
				t.Fatalf("unknown TEID counted %d times", s.UnknownTEID.Load())
			}
			waitFor(t, "error indication counted", func() bool { return sender.Stats().RxErrorIndication.Load() == 1 })
		})
	}
}

func TestErrorIndicationRateLimit(t *testing.T) {
	var mu sync.Mutex
	got := 0
	sender := startEndpoint(t, Config{OnErrorIndication: func(netip.AddrPort, ErrorIndication) {
		mu.Lock()
		got++
		mu.Unlock()
	}})
	upf := startEndpoint(t, Config{ErrorIndicationRate: 0.001, ErrorIndicationBurst: 2})
	for i := range 5 {
		if err := sender.Send(loopback(upf), uint32(i), 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	s := upf.Stats()
	waitFor(t, "3 suppressed", func() bool { return s.ErrorIndicationSuppressed.Load() == 3 })
	if s.ErrorIndicationSent.Load() != 2 || s.UnknownTEID.Load() != 5 {
		t.Fatalf("sent %d unknown %d", s.ErrorIndicationSent.Load(), s.UnknownTEID.Load())
	}
	waitFor(t, "2 error indications", func() bool { return sender.Stats().RxErrorIndication.Load() == 2 })
	mu.Lock()
	defer mu.Unlock()
	if got != 2 {
		t.Fatalf("callback saw %d", got)
	}
}

func TestEchoAnswered(t *testing.T) {
	a := startEndpoint(t, Config{})
	b := startEndpoint(t, Config{Recovery: 7})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := a.Echo(ctx, loopback(b))
	if err != nil {
		t.Fatal(err)
	}
	if r != 7 {
		t.Fatalf("recovery %d, want 7", r)
	}
	if b.Stats().RxEchoRequest.Load() != 1 || a.Stats().RxEchoResponse.Load() != 1 {
		t.Fatal("echo not counted")
	}
}

func TestEchoTimesOut(t *testing.T) {
	a := startEndpoint(t, Config{})
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = a.Echo(ctx, silent.LocalAddr().(*net.UDPAddr).AddrPort())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Echo to a silent peer: %v", err)
	}
}

func TestEndMarkerHandedToOwner(t *testing.T) {
	ems := make(chan uint32, 1)
	a := startEndpoint(t, Config{})
	b := startEndpoint(t, Config{OnEndMarker: func(_ netip.AddrPort, teid uint32) { ems <- teid }})
	if err := a.SendEndMarker(loopback(b), 0x77); err != nil {
		t.Fatal(err)
	}
	if teid := recv(t, ems); teid != 0x77 {
		t.Fatalf("end marker for %#x", teid)
	}
}

func TestMalformedDatagramsCounted(t *testing.T) {
	e := startEndpoint(t, Config{})
	raw, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(loopback(e)))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, b := range [][]byte{
		{1, 2, 3},
		{0x30, 0xff, 0, 9, 0, 0, 0, 1},
		AppendEchoRequest(nil, 1)[:8], // length says 4 more octets
		{0x32, MsgEchoResponse, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0}, // no Recovery IE
	} {
		if _, err := raw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	s := e.Stats()
	waitFor(t, "4 malformed", func() bool { return s.MalformedTotal() == 4 })
	if s.Malformed(ErrTooShort) != 1 || s.Malformed(ErrLength) != 2 || s.Malformed(ErrMissingIE) != 1 {
		t.Fatalf("by kind: short %d length %d missing %d", s.Malformed(ErrTooShort), s.Malformed(ErrLength), s.Malformed(ErrMissingIE))
	}
}

func TestSendRejectsOtherFamily(t *testing.T) {
	e, err := New(Config{Addr: "127.0.0.1:0", Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	err = e.Send(netip.MustParseAddrPort("[::1]:2152"), 1, 1, nil)
	if !errors.Is(err, ErrUnsupportedAddr) {
		t.Fatalf("IPv6 destination on an IPv4 socket: %v", err)
	}
}

func TestRunTwiceFails(t *testing.T) {
	e := startEndpoint(t, Config{})
	waitFor(t, "first Run", e.running.Load)
	if err := e.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}
