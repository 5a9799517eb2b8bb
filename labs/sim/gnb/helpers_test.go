package gnb

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

const waitFor = 5 * time.Second

var testPLMN = nas5g.PLMN{MCC: "001", MNC: "01"}

// peer is a minimal AMF: an SCTP listener whose test drives NGAP by hand.
type peer struct {
	t    testing.TB
	ln   sctp.Listener
	conn sctp.Conn
	msgs chan n2.Message
}

func newPeer(t testing.TB) *peer {
	t.Helper()
	ln, err := sctp.Listen(context.Background(), sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second},
		"127.0.0.1:0", nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, ln: ln, msgs: make(chan n2.Message, 64)}
	t.Cleanup(func() { _ = ln.Close() })
	return p
}

func (p *peer) addr() string { return p.ln.Addr().String() }

// accept waits for the gNB's association and reads it in the background.
func (p *peer) accept() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	conn, err := p.ln.Accept(ctx)
	if err != nil {
		p.t.Fatalf("accept: %v", err)
	}
	p.conn = conn
	msgs := p.msgs
	go func() {
		buf := make([]byte, sctp.MaxMessageSize)
		for {
			n, _, err := conn.ReadMsg(buf)
			if err != nil {
				return
			}
			m, err := n2.Decode(buf[:n])
			if err != nil {
				p.t.Errorf("peer: gnb sent undecodable ngap: %v", err)
				continue
			}
			msgs <- m
		}
	}()
}

func (p *peer) send(m n2.Message) {
	p.t.Helper()
	b, err := m.Encode()
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(b)
}

func (p *peer) sendRaw(b []byte) {
	p.t.Helper()
	if err := p.conn.WriteMsg(b, sctp.Info{Stream: 0, PPID: sctp.PPIDNGAP}); err != nil {
		p.t.Fatal(err)
	}
}

// expect waits for the gNB's next NGAP message, which must be a T.
func expect[T n2.Message](p *peer) T {
	p.t.Helper()
	var zero T
	select {
	case m := <-p.msgs:
		t, ok := m.(T)
		if !ok {
			p.t.Fatalf("gnb sent %T, want %T", m, zero)
		}
		return t
	case <-time.After(waitFor):
		p.t.Fatalf("no %T from the gnb", zero)
	}
	return zero
}

// setUp accepts the association and answers NG Setup, serving AMF set 3
// pointer 4.
func (p *peer) setUp() *n2.NGSetupRequest {
	p.t.Helper()
	return p.setUpAs(n2.GUAMI{PLMN: testPLMN, RegionID: 1, SetID: 3, Pointer: 4})
}

func (p *peer) setUpAs(g n2.GUAMI) *n2.NGSetupRequest {
	p.t.Helper()
	p.accept()
	req := expect[*n2.NGSetupRequest](p)
	p.send(&n2.NGSetupResponse{AMFName: "peer", RelativeCapacity: 10, ServedGUAMIs: []n2.GUAMI{g},
		PLMNSupport: []n2.PLMNSupport{{PLMN: testPLMN, Slices: []n2.SNSSAI{{SST: 1}}}}})
	return req
}

func testConfig(amf string) Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.AMF = AddrList{amf}
	cfg.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.Radio.Listen = "127.0.0.1:0"
	cfg.GTPU.Listen = "127.0.0.1:0"
	cfg.NGSetupRetry = 50 * time.Millisecond
	cfg.GNBID, cfg.TAC, cfg.Name = 0x42, 7, "test-gnb"
	cfg.Slices = []Slice{{SST: 1, SD: "010203"}}
	return cfg
}

func startGNB(t testing.TB, cfg Config) *NF {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, waitFor, "sockets bound", func() bool { return n.RadioAddr() != nil && n.N3Addr().IsValid() })
	return n
}

// fakeUE is a UE simulator's radio socket, driven by hand.
type fakeUE struct {
	t    testing.TB
	c    *net.UDPConn
	gnb  netip.AddrPort
	msgs chan radio.Message
}

func newFakeUE(t testing.TB, n *NF) *fakeUE {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	u := &fakeUE{t: t, c: c, gnb: netip.MustParseAddrPort(n.RadioAddr().String()), msgs: make(chan radio.Message, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 70000)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			m, err := radio.Decode(append([]byte(nil), buf[:k]...))
			if err != nil {
				t.Errorf("gnb sent a malformed radio message: %v", err)
				continue
			}
			u.msgs <- m
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return u
}

func (u *fakeUE) send(m radio.Message) {
	u.t.Helper()
	b, err := radio.Append(nil, m)
	if err != nil {
		u.t.Fatal(err)
	}
	u.sendRaw(b)
}

func (u *fakeUE) sendRaw(b []byte) {
	u.t.Helper()
	if _, err := u.c.WriteToUDPAddrPort(b, u.gnb); err != nil {
		u.t.Fatal(err)
	}
}

func (u *fakeUE) expect(want radio.Type) radio.Message {
	u.t.Helper()
	select {
	case m := <-u.msgs:
		if m.Type != want {
			u.t.Fatalf("ue got %s, want %s", m.Type, want)
		}
		return m
	case <-time.After(waitFor):
		u.t.Fatalf("ue got no %s", want)
	}
	return radio.Message{}
}

func gather(t testing.TB, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return 0
}

// discardConn is an association that drops what is written (fuzzing).
type discardConn struct{}

func (discardConn) ReadMsg([]byte) (int, sctp.Info, error) {
	return 0, sctp.Info{}, errors.New("discard")
}
func (discardConn) WriteMsg([]byte, sctp.Info) error { return nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) LocalAddr() net.Addr              { return &net.UDPAddr{} }
func (discardConn) RemoteAddr() net.Addr             { return &net.UDPAddr{} }
