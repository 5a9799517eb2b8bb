package enb

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
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

const waitFor = 5 * time.Second

var testPLMN = s1ap.PLMN{MCC: "001", MNC: "01"}

// fakeMME is an in-process MME: an S1AP listener on SCTP over UDP whose
// test drives S1AP by hand.
type fakeMME struct {
	t    testing.TB
	ln   sctp.Listener
	conn sctp.Conn
	msgs chan s1ap.Message
	done chan struct{} // closed when the reader of conn ends
}

func newFakeMME(t testing.TB) *fakeMME {
	t.Helper()
	ln, err := sctp.Listen(context.Background(), sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second},
		"127.0.0.1:0", nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return &fakeMME{t: t, ln: ln}
}

func (p *fakeMME) addr() string { return p.ln.Addr().String() }

// accept waits for the eNB's association and reads it in the background.
func (p *fakeMME) accept() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	conn, err := p.ln.Accept(ctx)
	if err != nil {
		p.t.Fatalf("accept: %v", err)
	}
	p.conn, p.msgs, p.done = conn, make(chan s1ap.Message, 64), make(chan struct{})
	msgs, done := p.msgs, p.done
	go func() {
		defer close(done)
		buf := make([]byte, sctp.MaxMessageSize)
		for {
			n, info, err := conn.ReadMsg(buf)
			if err != nil {
				return
			}
			if info.PPID != s1ap.SCTPPPID {
				p.t.Errorf("fake mme: message with PPID %d", info.PPID)
			}
			m, err := s1ap.Decode(buf[:n])
			if err != nil {
				p.t.Errorf("fake mme: enb sent undecodable s1ap: %v", err)
				continue
			}
			msgs <- m
		}
	}()
	p.t.Cleanup(func() { _ = conn.Close(); <-done })
}

func (p *fakeMME) send(m s1ap.Message) {
	p.t.Helper()
	b, err := m.Encode()
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(b)
}

func (p *fakeMME) sendRaw(b []byte) {
	p.t.Helper()
	if err := p.conn.WriteMsg(b, sctp.Info{Stream: 0, PPID: s1ap.SCTPPPID}); err != nil {
		p.t.Fatal(err)
	}
}

// expect waits for the eNB's next S1AP message, which must be a T.
func expect[T s1ap.Message](p *fakeMME) T {
	p.t.Helper()
	var zero T
	select {
	case m := <-p.msgs:
		t, ok := m.(T)
		if !ok {
			p.t.Fatalf("enb sent %T, want %T", m, zero)
		}
		return t
	case <-time.After(waitFor):
		p.t.Fatalf("no %T from the enb", zero)
	}
	return zero
}

// setUp accepts the association and answers S1 Setup as MME code 7.
func (p *fakeMME) setUp() *s1ap.S1SetupRequest {
	p.t.Helper()
	return p.setUpAs(7)
}

func (p *fakeMME) setUpAs(mmec uint8) *s1ap.S1SetupRequest {
	p.t.Helper()
	p.accept()
	req := expect[*s1ap.S1SetupRequest](p)
	p.send(&s1ap.S1SetupResponse{MMEName: "fake-mme", RelativeCapacity: 10,
		ServedGUMMEIs: []s1ap.ServedGUMMEI{{PLMNs: []s1ap.PLMN{testPLMN}, GroupIDs: []uint16{1}, Codes: []uint8{mmec}}}})
	return req
}

func testConfig(mme string) Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.MME = AddrList{mme}
	cfg.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.Radio.Listen = "127.0.0.1:0"
	cfg.GTPU.Listen = "127.0.0.1:0"
	cfg.S1SetupRetry = 50 * time.Millisecond
	cfg.ENBID, cfg.TAC, cfg.CellID, cfg.Name = 0x42, 7, 3, "test-enb"
	return cfg
}

func startENB(t testing.TB, cfg Config) *ENB {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, waitFor, "sockets bound", func() bool { return n.RadioAddr() != nil && n.S1UAddr().IsValid() })
	return n
}

// fakeUE is a UE simulator's radio socket, driven by hand.
type fakeUE struct {
	t    testing.TB
	c    *net.UDPConn
	enb  netip.AddrPort
	msgs chan radio.Message
}

func newFakeUE(t testing.TB, n *ENB) *fakeUE {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	u := &fakeUE{t: t, c: c, enb: netip.MustParseAddrPort(n.RadioAddr().String()), msgs: make(chan radio.Message, 64)}
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
				t.Errorf("enb sent a malformed radio message: %v", err)
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
	if _, err := u.c.WriteToUDPAddrPort(b, u.enb); err != nil {
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

// fakeSGW is an SGW's S1-U socket: it reports the G-PDUs it gets and
// sends downlink ones.
type fakeSGW struct {
	t    testing.TB
	c    *net.UDPConn
	pkts chan sgwPacket
}

type sgwPacket struct {
	h       gtpu.Header
	payload []byte
}

func newFakeSGW(t testing.TB) *fakeSGW {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSGW{t: t, c: c, pkts: make(chan sgwPacket, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 70000)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			pkt := append([]byte(nil), buf[:k]...)
			var h gtpu.Header
			if err := gtpu.Parse(pkt, &h); err != nil {
				t.Errorf("enb sent malformed gtp-u: %v", err)
				continue
			}
			s.pkts <- sgwPacket{h: h, payload: h.Payload(pkt)}
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return s
}

func (s *fakeSGW) addr() netip.AddrPort { return netip.MustParseAddrPort(s.c.LocalAddr().String()) }

func (s *fakeSGW) expect() sgwPacket {
	s.t.Helper()
	select {
	case p := <-s.pkts:
		return p
	case <-time.After(waitFor):
		s.t.Fatal("sgw got no G-PDU")
	}
	return sgwPacket{}
}

// sendGPDU sends a plain S1-U G-PDU for teid to the eNB.
func (s *fakeSGW) sendGPDU(to netip.AddrPort, teid uint32, payload []byte) {
	s.t.Helper()
	pkt, err := gtpu.Append(nil, &gtpu.Header{Type: gtpu.MsgGPDU, TEID: teid}, payload)
	if err != nil {
		s.t.Fatal(err)
	}
	s.sendRaw(to, pkt)
}

func (s *fakeSGW) sendRaw(to netip.AddrPort, pkt []byte) {
	s.t.Helper()
	if _, err := s.c.WriteToUDPAddrPort(pkt, to); err != nil {
		s.t.Fatal(err)
	}
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

// attachRequestPDU is a plain Attach Request of attach type typ.
func attachRequestPDU(t testing.TB, typ naseps.EPSAttachType) []byte {
	t.Helper()
	pdn := mustMarshal(t, &naseps.PDNConnectivityRequest{ESMHeader: naseps.ESMHeader{PTI: 1},
		RequestType: naseps.RequestInitial, PDNType: naseps.PDNTypeIPv4})
	return mustMarshal(t, &naseps.AttachRequest{AttachType: typ, KSI: naseps.KSI{Value: naseps.KSINoKey},
		Identity: naseps.IMSIIdentity("001010000000001"), UENetworkCapability: naseps.UENetworkCapability{EEA: 0xF0, EIA: 0x70},
		ESMContainer: pdn})
}

// serviceRequestPDU is a SERVICE REQUEST (security header type 12).
func serviceRequestPDU(t testing.TB) []byte {
	t.Helper()
	return mustMarshal(t, &naseps.ServiceRequest{KSI: 1, SeqNum: 3, ShortMAC: [2]byte{0xAB, 0xCD}})
}

// withSTMSI prefixes a Connect body with the UE's S-TMSI.
func withSTMSI(s s1ap.STMSI, nasPDU []byte) []byte {
	b := stmsiBody(s)
	return append(b[:], nasPDU...)
}

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// discardConn is an association that drops what is written (fuzzing and
// benchmarks).
type discardConn struct{}

func (discardConn) ReadMsg([]byte) (int, sctp.Info, error) {
	return 0, sctp.Info{}, errors.New("discard")
}
func (discardConn) WriteMsg([]byte, sctp.Info) error { return nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) LocalAddr() net.Addr              { return &net.UDPAddr{} }
func (discardConn) RemoteAddr() net.Addr             { return &net.UDPAddr{} }
