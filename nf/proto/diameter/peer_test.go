package diameter

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/sm/smparser"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func TestRequestAnswer(t *testing.T) {
	nfkittest.NoLeaks(t)
	rec := newRecorder()
	s := newServer(t, rec, nil)
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)

	if p.OriginHost() != hssHost || p.OriginRealm() != realm {
		t.Errorf("client sees %q/%q", p.OriginHost(), p.OriginRealm())
	}
	nfkittest.Eventually(t, 5*time.Second, "server knows the MME", func() bool { _, ok := s.Peer(mmeHost); return ok })
	// Concurrent requests on one connection: each answer finds its request.
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			ans, err := c.Request(ctxT(t, 5*time.Second), air(t, imsi))
			if err == nil {
				var a *AIA
				if a, err = ParseAIA(ans); err == nil && (len(a.Vectors) != 1 || !a.Result.OK()) {
					err = errors.New("unexpected AIA")
				}
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The server counts an answer once written: it may trail the client.
	nfkittest.Eventually(t, 5*time.Second, "20 AIR answers counted", func() bool { return rec.count(rec.answered, "AIR 2001") == 20 })
	if s.PeerCount() != 1 {
		t.Errorf("PeerCount = %d", s.PeerCount())
	}
}

func TestServerInitiatedRequest(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil)
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	got := make(chan *CLR, 1)
	c.Handle(AppS6a, CmdCancelLocation, func(_ context.Context, p *Peer, m *diam.Message) (*diam.Message, error) {
		clr, err := ParseCLR(m)
		if err != nil {
			return nil, err
		}
		got <- clr
		return (&CLA{AnswerHeader: AnswerHeader{SessionID: clr.SessionID, OriginHost: mmeHost, OriginRealm: realm, Result: Success}}).Build()
	})
	startClient(t, c)
	var p *Peer
	nfkittest.Eventually(t, 5*time.Second, "MME connected", func() bool { var ok bool; p, ok = s.Peer(mmeHost); return ok })
	m, err := (&CLR{RequestHeader: req(NewSessionID(hssHost), hssHost, mmeHost), UserName: imsi,
		CancellationType: CancelMMEUpdateProcedure}).Build()
	if err != nil {
		t.Fatal(err)
	}
	ans, err := p.Request(ctxT(t, 5*time.Second), m)
	if err != nil {
		t.Fatal(err)
	}
	if cla, err := ParseCLA(ans); err != nil || !cla.Result.OK() {
		t.Fatalf("CLA %+v, %v", cla, err)
	}
	if clr := <-got; clr.UserName != imsi || clr.DestinationHost != mmeHost {
		t.Errorf("MME got %+v", clr)
	}
}

func TestRefusals(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, func(c *PeerConfig) { c.Applications = []uint32{AppS6a, AppGx} })
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	s.Handle(AppS6a, CmdUpdateLocation, func(context.Context, *Peer, *diam.Message) (*diam.Message, error) {
		return nil, &ResultError{Result: Experimental(ExpErrorUnknownEPSSubscription), Msg: "no APN"}
	})
	s.Handle(AppS6a, CmdPurgeUE, func(context.Context, *Peer, *diam.Message) (*diam.Message, error) {
		panic("handler bug")
	})
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, func(c *PeerConfig) { c.Applications = []uint32{AppS6a, AppGx, AppRx} })
	startClient(t, c)

	build := func(b builder) *diam.Message {
		m, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		m     *diam.Message
		want  Result
		eflag bool
	}{
		{"no handler", build(&CLR{RequestHeader: req("s;1;1", mmeHost, hssHost), UserName: imsi}), Result{Code: ResultCommandUnsupported}, true},
		{"application not served", build(&AAR{RequestHeader: req("s;1;2", mmeHost, "")}), Result{Code: ResultApplicationUnsupported}, true},
		{"handler result", build(&ULR{RequestHeader: req("s;1;3", mmeHost, ""), UserName: imsi, RATType: RATTypeEUTRAN, VisitedPLMN: plmn(t)}),
			Experimental(ExpErrorUnknownEPSSubscription), false},
		{"handler panic", build(&PUR{RequestHeader: req("s;1;4", mmeHost, ""), UserName: imsi}), Result{Code: ResultUnableToComply}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := c.Request(ctxT(t, 5*time.Second), tc.m)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ResultOf(ans)
			if err != nil || res != tc.want {
				t.Errorf("result %v, %v; want %v", res, err, tc.want)
			}
			if e := ans.Header.CommandFlags&diam.ErrorFlag != 0; e != tc.eflag {
				t.Errorf("E bit %v, want %v", e, tc.eflag)
			}
			if a, err := ans.FindAVP(avp.SessionID, 0); err != nil || a.Data.(datatype.UTF8String) == "" {
				t.Errorf("error answer lacks the request's Session-Id: %v", err)
			}
		})
	}
	// The connection survived all of that.
	if _, err := c.Request(ctxT(t, 5*time.Second), air(t, imsi)); err != nil {
		t.Fatal(err)
	}
}

// requestRaw sends already-encoded octets as a request with hop-by-hop id
// hbh and waits for the answer.
func requestRaw(t *testing.T, p *Peer, raw []byte) (*diam.Message, error) {
	t.Helper()
	id := p.hbh.Add(1)
	raw[12], raw[13], raw[14], raw[15] = byte(id>>24), byte(id>>16), byte(id>>8), byte(id)
	ch := make(chan reply, 1)
	p.mu.Lock()
	p.pending[id] = ch
	p.mu.Unlock()
	defer p.forget(id)
	if _, err := p.writeRaw(raw); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.m, r.err
	case <-time.After(5 * time.Second):
		return nil, errors.New("no answer")
	}
}

func TestMalformedKeepsConnection(t *testing.T) {
	nfkittest.NoLeaks(t)
	rec := newRecorder()
	s := newServer(t, rec, nil)
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)

	// An AIR whose grouped AVP holds an AVP claiming more octets than the
	// group has: the body does not decode.
	m := air(t, imsi)
	raw, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	g := findGroupOffset(t, raw, avp.RequestedEUTRANAuthenticationInfo)
	raw[g+12+5], raw[g+12+6], raw[g+12+7] = 0, 0, 200 // inner AVP length 200
	ans, err := requestRaw(t, p, raw)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := ResultOf(ans); res.Code != ResultInvalidAVPValue {
		t.Errorf("undecodable AIR answered %v", res)
	}
	// An AIR without User-Name: it decodes, but the parser refuses it.
	m = air(t, imsi)
	without(t, m, avp.UserName)
	ans, err = p.Request(ctxT(t, 5*time.Second), m)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := ResultOf(ans); res.Code != ResultMissingAVP {
		t.Errorf("AIR without User-Name answered %v", res)
	}
	// An unknown command: answered (our dictionary cannot read the
	// answer's body either), with the E bit of a protocol error.
	raw, _ = Encode(air(t, imsi))
	raw[5], raw[6], raw[7] = 0, 0x01, 0xFF // command 511
	_, err = requestRaw(t, p, raw)
	var de *DecodeError
	if !errors.As(err, &de) || !de.UnknownCommand || de.Header.CommandCode != 511 ||
		de.Header.CommandFlags&(diam.ErrorFlag|diam.RequestFlag) != diam.ErrorFlag {
		t.Errorf("unknown command: %v", err)
	}
	if rec.count(rec.malformed, ReasonDecode) != 2 || rec.count(rec.malformed, ReasonMissingAVP) != 1 {
		t.Errorf("malformed counts %v", rec.malformed)
	}
	nfkittest.Eventually(t, 5*time.Second, "3001 counted", func() bool { return rec.count(rec.answered, "unknown 3001") == 1 })
	// Same connection, still serving.
	if c.Peer() != p {
		t.Fatal("the client reconnected")
	}
	if _, err := p.Request(ctxT(t, 5*time.Second), air(t, imsi)); err != nil {
		t.Fatal(err)
	}
}

// findGroupOffset is the offset in raw of the first top-level AVP code.
func findGroupOffset(t *testing.T, raw []byte, code uint32) int {
	t.Helper()
	for off := diam.HeaderLength; off+8 <= len(raw); {
		c := uint32(raw[off])<<24 | uint32(raw[off+1])<<16 | uint32(raw[off+2])<<8 | uint32(raw[off+3])
		n := int(raw[off+5])<<16 | int(raw[off+6])<<8 | int(raw[off+7])
		if c == code {
			return off
		}
		off += (n + 3) &^ 3
	}
	t.Fatalf("AVP %d not found", code)
	return 0
}

func TestFramingErrorClosesAndClientReconnects(t *testing.T) {
	nfkittest.NoLeaks(t)
	rec := newRecorder()
	s := newServer(t, rec, nil)
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)

	junk := make([]byte, 20)
	junk[0] = 2 // version 2: nothing after this can be delimited
	if _, err := p.writeRaw(junk); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server kept an unframeable connection")
	}
	nfkittest.Eventually(t, 5*time.Second, "framing error counted", func() bool { return rec.count(rec.malformed, ReasonFraming) == 1 })
	// Run reconnects; requests wait for it.
	if _, err := c.Request(ctxT(t, 10*time.Second), air(t, imsi)); err != nil {
		t.Fatal(err)
	}
	if c.Peer() == p {
		t.Error("still the closed connection")
	}
}

func TestRequestTimeoutAndClose(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil)
	release := make(chan struct{})
	s.Handle(AppS6a, CmdAuthenticationInfo, func(ctx context.Context, p *Peer, m *diam.Message) (*diam.Message, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return aiaHandler(ctx, p, m)
	})
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, func(c *PeerConfig) { c.RequestTimeout = 200 * time.Millisecond })
	p := startClient(t, c)

	start := time.Now()
	_, err := c.Request(context.Background(), air(t, imsi))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Request = %v, want a deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	p.mu.Lock()
	n := len(p.pending)
	p.mu.Unlock()
	if n != 0 {
		t.Errorf("%d requests still pending", n)
	}
	close(release)
}

func TestInFlightRequestFailsOnClose(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil)
	s.Handle(AppS6a, CmdAuthenticationInfo, func(ctx context.Context, p *Peer, m *diam.Message) (*diam.Message, error) {
		<-ctx.Done() // until the connection closes
		return nil, ctx.Err()
	})
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Request(context.Background(), air(t, imsi))
		errc <- err
	}()
	nfkittest.Eventually(t, 5*time.Second, "request in flight", func() bool { return s.InFlight() == 1 })
	p.Close()
	if err := <-errc; !errors.Is(err, ErrPeerClosed) {
		t.Errorf("in-flight request = %v, want ErrPeerClosed", err)
	}
	nfkittest.Eventually(t, 5*time.Second, "server handler released", func() bool { return s.InFlight() == 0 })
}

// TestWatchdogClosesSilentPeer: a server that completes CER/CEA but never
// answers DWR loses the connection after about two intervals.
func TestWatchdogClosesSilentPeer(t *testing.T) {
	nfkittest.NoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		fakeCEA(t, nc)
		buf := make([]byte, 4096)
		for { // read and ignore DWRs until the client gives up
			if _, err := nc.Read(buf); err != nil {
				return
			}
		}
	}()
	tw := 150 * time.Millisecond
	c := newClient(t, ln.Addr().String(), mmeHost, func(c *PeerConfig) { c.WatchdogInterval = tw })
	ctx, cancel := context.WithCancel(context.Background())
	p, err := c.dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("watchdog never closed the silent connection")
	}
	if d := time.Since(start); d < 2*tw {
		t.Errorf("closed after %v, before the watchdog could have given up", d)
	}
	cancel()
	<-served
}

// fakeCEA reads a CER from nc and answers a bare successful CEA.
func fakeCEA(t *testing.T, nc net.Conn) {
	b, err := readFrame(bufio.NewReader(nc))
	if err != nil {
		t.Error(err)
		return
	}
	cer, err := Decode(b)
	if err != nil {
		t.Error(err)
		return
	}
	a := newMessage(AppBase, CmdCapabilitiesExchange, false)
	a.Header.HopByHopID, a.Header.EndToEndID = cer.Header.HopByHopID, cer.Header.EndToEndID
	put(a, Success.avp(), ident(avpOriginHost, hssHost), ident(avpOriginRealm, realm),
		diam.NewAVP(avp.HostIPAddress, avp.Mbit, 0, datatype.Address(net.IPv4(127, 0, 0, 1).To4())),
		u32(avpVendorID, Vendor3GPP), utf8(avpProductName, "fake"), u32(avpAuthAppID, AppS6a))
	raw, err := Encode(a)
	if err == nil {
		_, err = nc.Write(raw)
	}
	if err != nil {
		t.Error(err)
	}
}

func TestWatchdogKeepsIdleConnection(t *testing.T) {
	nfkittest.NoLeaks(t)
	tw := 200 * time.Millisecond
	s := newServer(t, NopObserver{}, func(c *PeerConfig) { c.WatchdogInterval = tw })
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, func(c *PeerConfig) { c.WatchdogInterval = tw })
	p := startClient(t, c)
	first := p.lastRx.Load()
	// Idle for several intervals: DWR/DWA keep it alive and refresh it.
	nfkittest.Eventually(t, 5*time.Second, "DWA received", func() bool {
		return p.lastRx.Load() > first+int64(3*tw)
	})
	if c.Peer() != p {
		t.Error("the idle connection was dropped")
	}
}

func TestNoCommonApplication(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil) // S6a only
	addr := startServer(t, s)
	c := newClient(t, addr, pgwHost, func(c *PeerConfig) { c.Applications = []uint32{AppGx} })
	_, err := c.dial(context.Background())
	if err == nil {
		t.Fatal("a Gx client exchanged capabilities with an S6a server")
	}
	var fr *smparser.ErrFailedResultCode
	if !errors.As(err, &fr) || fr.CEA.ResultCode != ResultNoCommonApplication {
		t.Errorf("dial = %v, want a CEA with 5010", err)
	}
	if s.PeerCount() != 0 {
		t.Error("server kept the peer")
	}
}

func TestDisconnectPeer(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil)
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)
	m := newMessage(AppBase, CmdDisconnectPeer, true)
	put(m, ident(avpOriginHost, mmeHost), ident(avpOriginRealm, realm), u32(avpDisconnectCause, DisconnectRebooting))
	ans, err := p.Request(ctxT(t, 5*time.Second), m)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := ResultOf(ans); !res.OK() {
		t.Errorf("DPA %v", res)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("connection still up after DPR/DPA")
	}
}

func TestDrainRefusesNewRequests(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil)
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	addr := startServer(t, s)
	c := newClient(t, addr, mmeHost, nil)
	startClient(t, c)
	s.StartDrain()
	ans, err := c.Request(ctxT(t, 5*time.Second), air(t, imsi))
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := ResultOf(ans); res.Code != ResultTooBusy {
		t.Errorf("draining server answered %v", res)
	}
}

func TestSameHostReplacesOldConnection(t *testing.T) {
	nfkittest.NoLeaks(t)
	s := newServer(t, NopObserver{}, nil)
	addr := startServer(t, s)
	p1 := startClient(t, newClient(t, addr, mmeHost, nil))
	nfkittest.Eventually(t, 5*time.Second, "first connection known", func() bool { _, ok := s.Peer(mmeHost); return ok })
	old, _ := s.Peer(mmeHost)
	c2 := newClient(t, addr, mmeHost, nil)
	startClient(t, c2)
	nfkittest.Eventually(t, 5*time.Second, "newer connection registered", func() bool {
		p, ok := s.Peer(mmeHost)
		return ok && p != old
	})
	select {
	case <-old.Done():
	case <-time.After(5 * time.Second):
		t.Error("the older connection stayed open")
	}
	_ = p1
}

func TestServerRestartClientReconnects(t *testing.T) {
	nfkittest.NoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	s1 := newServer(t, NopObserver{}, nil)
	s1.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s1.Serve(ctx, ln) }()
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	s2 := newServer(t, NopObserver{}, nil)
	s2.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s not free again: %v", addr, err)
	}
	serveOn(t, s2, ln2)
	if _, err := c.Request(ctxT(t, 15*time.Second), air(t, imsi)); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := serverConfig()
	if err := good.WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*PeerConfig){
		"no host":       func(c *PeerConfig) { c.OriginHost = "" },
		"bad host":      func(c *PeerConfig) { c.OriginHost = "hss_1" },
		"dotted realm":  func(c *PeerConfig) { c.OriginRealm = "epc..org" },
		"no apps":       func(c *PeerConfig) { c.Applications = nil },
		"base app":      func(c *PeerConfig) { c.Applications = []uint32{0} },
		"tiny watchdog": func(c *PeerConfig) { c.WatchdogInterval = time.Millisecond },
	} {
		c := serverConfig()
		mod(&c)
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewClient(clientConfig(mmeHost), "no-port"); err == nil {
		t.Error("NewClient accepted an address without port")
	}
}
