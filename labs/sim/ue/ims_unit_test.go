package ue

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestBearerWatch(t *testing.T) {
	at := time.Now()
	for _, tc := range []struct {
		name         string
		events       []bearerEvent
		active, gone bool
		wantEBI      uint8
	}{
		{"none", nil, false, false, 0},
		{"not voice", []bearerEvent{{ebi: 6, qci: 5, up: true}}, false, false, 0},
		{"voice", []bearerEvent{{ebi: 6, qci: 5, up: true}, {ebi: 7, qci: 1, up: true}}, true, false, 7},
		{"other released", []bearerEvent{{ebi: 7, qci: 1, up: true}, {ebi: 6, qci: 5}}, true, false, 7},
		{"released", []bearerEvent{{ebi: 7, qci: 1, up: true}, {ebi: 8, qci: 1, up: true}, {ebi: 7, qci: 1}}, true, true, 7},
		{"release before activation", []bearerEvent{{ebi: 7, qci: 1}}, false, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newBearerHub()
			w := h.watch()
			defer w.stop()
			for _, ev := range tc.events {
				ev.at = at
				h.notify(ev)
			}
			now := time.Now()
			if got := w.waitActive(context.Background(), now); got != tc.active {
				t.Errorf("active %v, want %v", got, tc.active)
			}
			if got := w.waitReleased(context.Background(), now); got != tc.gone {
				t.Errorf("released %v, want %v", got, tc.gone)
			}
			b := w.outcome(at)
			if (b != nil) != tc.active || (b != nil && (b.EBI != tc.wantEBI || b.Released != tc.gone || b.SetupMs != 0)) {
				t.Errorf("outcome %+v", b)
			}
		})
	}
	h := newBearerHub()
	w := h.watch()
	w.stop()
	h.notify(bearerEvent{ebi: 7, qci: 1, up: true})
	if w.outcome(at) != nil {
		t.Error("a stopped watch still observes")
	}
}

// fakeProxy is the far end of a sipConn: it reads what the conn sends.
func fakeProxy(t *testing.T) (net.PacketConn, chan *sip.Request) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	reqs := make(chan *sip.Request, 16)
	go func() {
		buf := make([]byte, maxSIPSize)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if m, err := parseSIP(buf[:n]); err == nil {
				if r, ok := m.(*sip.Request); ok {
					reqs <- r
				}
			}
		}
	}()
	return pc, reqs
}

func testConn(t *testing.T, proxy net.Addr, onRequest func(c *sipConn, r *sip.Request)) *sipConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := newSIPConn(pc, proxy, nfkittest.Quiet(), func(string) {})
	c.onRequest = func(r *sip.Request, _ net.Addr) {
		if onRequest != nil {
			onRequest(c, r)
		}
	}
	done := make(chan struct{})
	go func() { c.serve(); close(done) }()
	t.Cleanup(func() { c.close(); <-done })
	return c
}

func testRequest(t *testing.T, method sip.RequestMethod, local net.Addr) *sip.Request {
	t.Helper()
	ap := netip.MustParseAddrPort(local.String())
	a := &imsAgent{local: ap, impu: "sip:1@x", cfg: imsAgentConfig{imsi: "1"}}
	var ruri sip.Uri
	_ = sip.ParseUri("sip:2@x", &ruri)
	d := newDialog(roleCaller, "cid-"+string(method))
	d.localTag, d.remoteTag, d.localURI, d.remoteURI, d.remoteTarget = "a", "b", ruri, ruri, ruri
	return d.request(a, method, 1)
}

// A request the proxy does not answer is sent again at T1, 2*T1 ...;
// the answer to a retransmission ends the transaction.
func TestSIPRetransmission(t *testing.T) {
	proxy, reqs := fakeProxy(t)
	c := testConn(t, proxy.LocalAddr(), nil)
	for _, method := range []sip.RequestMethod{sip.BYE, sip.INVITE} {
		t.Run(string(method), func(t *testing.T) {
			req := testRequest(t, method, c.localAddr())
			got := make(chan *sip.Response, 1)
			start := time.Now()
			go func() {
				res, err := c.do(context.Background(), req, nil)
				if err != nil {
					t.Errorf("do: %v", err)
				}
				got <- res
			}()
			var copies []time.Duration
			for len(copies) < 3 {
				r := <-reqs
				if r.Via().Params.GetOr("branch", "") != req.Via().Params.GetOr("branch", "") {
					t.Fatalf("retransmission with another branch")
				}
				copies = append(copies, time.Since(start))
			}
			// Sent at 0, T1, 3*T1.
			if copies[1] < sipT1-50*time.Millisecond || copies[2] < 3*sipT1-100*time.Millisecond {
				t.Errorf("sent at %v, want 0, T1, 3*T1", copies)
			}
			res := sip.NewResponseFromRequest(req, 200, "OK", nil)
			if _, err := proxy.WriteTo([]byte(res.String()), c.localAddr()); err != nil {
				t.Fatal(err)
			}
			if r := <-got; r == nil || r.StatusCode != 200 {
				t.Fatalf("final response %v", r)
			}
		})
	}
}

// A retransmitted request gets our last response again and is not handed
// to the agent twice.
func TestSIPServerRetransmission(t *testing.T) {
	proxy, _ := fakeProxy(t)
	seen := make(chan *sip.Request, 4)
	c := testConn(t, proxy.LocalAddr(), func(c *sipConn, r *sip.Request) {
		seen <- r
		if err := c.respond(r, sip.NewResponseFromRequest(r, 486, "Busy Here", nil)); err != nil {
			t.Error(err)
		}
	})
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	req := testRequest(t, sip.INVITE, peer.LocalAddr())
	buf := make([]byte, maxSIPSize)
	for i := range 2 {
		if _, err := peer.WriteTo([]byte(req.String()), c.localAddr()); err != nil {
			t.Fatal(err)
		}
		if err := peer.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, _, err := peer.ReadFrom(buf)
		if err != nil {
			t.Fatalf("copy %d: no response: %v", i, err)
		}
		m, err := parseSIP(buf[:n])
		if err != nil || m.(*sip.Response).StatusCode != 486 {
			t.Fatalf("copy %d: %v %v, want 486", i, m, err)
		}
	}
	if len(seen) != 1 {
		t.Errorf("the agent saw the request %d times, want once", len(seen))
	}
}

func TestCalleeParams(t *testing.T) {
	a := &imsAgent{cfg: imsAgentConfig{calleeBearer: time.Second}}
	for _, tc := range []struct {
		value   string
		bye     bool
		talk    time.Duration
		wantErr bool
	}{
		{"", false, maxTalk, false},
		{"1500ms", true, 1500 * time.Millisecond, false},
		{"-1s", false, maxTalk, true},
		{"2h", false, maxTalk, true},
		{"soon", false, maxTalk, true},
	} {
		inv := testRequest(t, sip.INVITE, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060})
		if tc.value != "" {
			inv.AppendHeader(sip.NewHeader(headerHangUp, tc.value))
		}
		p, err := a.calleeParams(inv)
		if (err != nil) != tc.wantErr || p.calleeBye != tc.bye || p.talk != tc.talk || p.bearerWait != time.Second {
			t.Errorf("%q: %+v %v", tc.value, p, err)
		}
	}
}

func TestParseSIP(t *testing.T) {
	const head = "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:2@x>;tag=a\r\nTo: <sip:1@x>\r\nCall-ID: c\r\n"
	for _, tc := range []struct {
		name, msg string
		ok        bool
	}{
		{"request", "BYE sip:1@x SIP/2.0\r\n" + head + "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", true},
		{"response", "SIP/2.0 180 Ringing\r\n" + head + "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", true},
		{"cseq method", "BYE sip:1@x SIP/2.0\r\n" + head + "CSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n", false},
		{"no cseq", "BYE sip:1@x SIP/2.0\r\n" + head + "Content-Length: 0\r\n\r\n", false},
		{"no branch", "BYE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\nFrom: <sip:2@x>;tag=a\r\nTo: <sip:1@x>\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n", false},
		{"no call-id", "BYE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:2@x>;tag=a\r\nTo: <sip:1@x>\r\nCSeq: 2 BYE\r\n\r\n", false},
		{"garbage", "hello", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseSIP([]byte(tc.msg))
			if (err == nil) != tc.ok {
				t.Fatalf("parse: %v, want ok %v", err, tc.ok)
			}
			if tc.ok && !strings.HasPrefix(txKey(m), "z9hG4bK1/") {
				t.Errorf("transaction key %q", txKey(m))
			}
		})
	}
}

func TestSDPPeer(t *testing.T) {
	for _, tc := range []struct {
		name, sdp, want string
	}{
		{"session c=", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", "10.0.0.1:4000"},
		{"media c=", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\nc=IN IP4 10.0.0.9\r\n", "10.0.0.9:4002"},
		{"video only", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n", ""},
		{"no address", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", ""},
		{"not sdp", "hello", ""},
	} {
		got, err := sdpPeer([]byte(tc.sdp))
		if (err == nil) != (tc.want != "") || (err == nil && got.String() != tc.want) {
			t.Errorf("%s: %v %v, want %q", tc.name, got, err, tc.want)
		}
	}
}
