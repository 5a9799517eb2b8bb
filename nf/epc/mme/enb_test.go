package mme

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

var errTimeout = errors.New("timed out waiting for a message")

// testENB is a minimal eNB: S1 Setup, per-connection channels of
// downlink UE-associated messages (by eNB UE S1AP ID), a channel of
// Paging, and a GTP-U socket for the user plane.
type testENB struct {
	conn    sctp.Conn
	id      uint32
	tac     uint16
	plmn    s1ap.PLMN
	gtpu    *net.UDPConn
	mu      sync.Mutex
	ues     map[uint32]chan s1ap.Message
	other   chan s1ap.Message // non-UE-associated, and UE messages for unknown IDs
	paging  chan *s1ap.Paging
	nextID  atomic.Uint32
	nextTEI atomic.Uint32
	done    chan struct{}
	log     *pduLog // when set, every S1AP PDU both ways
}

// dialENB opens an association to the MME (no S1 Setup yet) with a GTP-U
// socket at gtpuAddr (port 0 picks one).
func dialENB(t testing.TB, m *MME, id uint32, tac uint16, gtpuAddr netip.AddrPort) *testENB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := sctp.Dial(ctx, sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}, "127.0.0.1:0",
		m.S1Addr().String(), nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	u, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(gtpuAddr))
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	e := &testENB{conn: c, id: id, tac: tac, plmn: s1ap.PLMN{MCC: "001", MNC: "01"}, gtpu: u,
		ues: map[uint32]chan s1ap.Message{}, other: make(chan s1ap.Message, 64), paging: make(chan *s1ap.Paging, 64),
		done: make(chan struct{})}
	go e.read()
	t.Cleanup(e.close)
	return e
}

func (e *testENB) close() {
	_ = e.conn.Close()
	_ = e.gtpu.Close()
	<-e.done
}

func (e *testENB) read() {
	defer close(e.done)
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		k, _, err := e.conn.ReadMsg(buf)
		if err != nil {
			return
		}
		e.log.add("s1ap", buf[:k])
		msg, err := s1ap.Decode(append([]byte(nil), buf[:k]...))
		if err != nil {
			continue
		}
		e.deliver(msg)
	}
}

// deliver routes a downlink message to its connection's channel; a UE
// Context Release Command for a connection no UE listens on is completed
// here, as an eNB does.
func (e *testENB) deliver(msg s1ap.Message) {
	if p, ok := msg.(*s1ap.Paging); ok {
		e.paging <- p
		return
	}
	ch := e.other
	if id, ok := enbIDOf(msg); ok {
		e.mu.Lock()
		if c := e.ues[id]; c != nil {
			ch = c
		} else if rc, ok := msg.(*s1ap.UEContextReleaseCommand); ok {
			ch = nil
			_ = e.send(&s1ap.UEContextReleaseComplete{UEIDs: rc.UEIDs})
		}
		e.mu.Unlock()
		if ch == nil {
			return
		}
	}
	select {
	case ch <- msg:
	default: // a test that stopped listening
	}
}

// enbIDOf is the eNB UE S1AP ID of a downlink message.
func enbIDOf(msg s1ap.Message) (uint32, bool) {
	switch v := msg.(type) {
	case *s1ap.DownlinkNASTransport:
		return v.ENBUES1APID, true
	case *s1ap.InitialContextSetupRequest:
		return v.ENBUES1APID, true
	case *s1ap.ERABSetupRequest:
		return v.ENBUES1APID, true
	case *s1ap.ERABReleaseCommand:
		return v.ENBUES1APID, true
	case *s1ap.UEContextReleaseCommand:
		return v.ENBUES1APID, !v.MMEIDOnly
	case *s1ap.ErrorIndication:
		if v.ENBUES1APID != nil {
			return *v.ENBUES1APID, true
		}
	}
	return 0, false
}

func (e *testENB) send(msg s1ap.Message) error {
	b, err := msg.Encode()
	if err != nil {
		return err
	}
	stream := uint16(1)
	if _, ok := msg.(*s1ap.S1SetupRequest); ok {
		stream = 0
	}
	e.log.add("s1ap", b)
	return e.conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: sctp.PPIDS1AP})
}

func (e *testENB) sendRaw(b []byte) error {
	return e.conn.WriteMsg(b, sctp.Info{Stream: 0, PPID: sctp.PPIDS1AP})
}

// setup runs S1 Setup broadcasting plmn; nil when it failed.
func (e *testENB) setup(t testing.TB, plmn s1ap.PLMN) *s1ap.S1SetupResponse {
	t.Helper()
	req := &s1ap.S1SetupRequest{GlobalENBID: s1ap.GlobalENBID{PLMN: plmn, Kind: s1ap.MacroENB, ID: e.id},
		ENBName: fmt.Sprintf("test-enb-%d", e.id), DefaultPagingDRX: s1ap.PagingDRX128,
		SupportedTAs: []s1ap.SupportedTA{{TAC: e.tac, PLMNs: []s1ap.PLMN{plmn}}}}
	if err := e.send(req); err != nil {
		t.Fatal(err)
	}
	msg, err := e.next()
	if err != nil {
		t.Fatal(err)
	}
	switch v := msg.(type) {
	case *s1ap.S1SetupResponse:
		return v
	case *s1ap.S1SetupFailure:
		return nil
	}
	t.Fatalf("S1 Setup answered with %T", msg)
	return nil
}

// next is the next non-UE-associated message.
func (e *testENB) next() (s1ap.Message, error) {
	select {
	case m := <-e.other:
		return m, nil
	case <-time.After(waitFor):
		return nil, errTimeout
	}
}

// connect registers a channel for a new eNB UE S1AP ID.
func (e *testENB) connect() (uint32, chan s1ap.Message) {
	id := e.nextID.Add(1)
	ch := make(chan s1ap.Message, 16)
	e.mu.Lock()
	e.ues[id] = ch
	e.mu.Unlock()
	return id, ch
}

func (e *testENB) disconnect(id uint32) {
	e.mu.Lock()
	delete(e.ues, id)
	e.mu.Unlock()
}

func (e *testENB) tai() s1ap.TAI { return s1ap.TAI{PLMN: e.plmn, TAC: e.tac} }

func (e *testENB) ecgi() s1ap.ECGI { return s1ap.ECGI{PLMN: e.plmn, CellID: e.id<<8 | 1} }

// tunnel is a new downlink S1-U endpoint of this eNB.
func (e *testENB) tunnel() s1ap.GTPTunnel {
	a := e.gtpu.LocalAddr().(*net.UDPAddr).AddrPort()
	return s1ap.GTPTunnel{Addr: a.Addr(), TEID: 0x1000*e.id + e.nextTEI.Add(1)}
}

// sendGTPU sends payload in a G-PDU to the SGW's S1-U endpoint.
func (e *testENB) sendGTPU(to s1ap.GTPTunnel, port uint16, payload []byte) error {
	h := gtpu.Header{Type: gtpu.MsgGPDU, TEID: to.TEID}
	b, err := gtpu.Append(nil, &h, payload)
	if err != nil {
		return err
	}
	_, err = e.gtpu.WriteToUDPAddrPort(b, netip.AddrPortFrom(to.Addr, port))
	return err
}

// recvGTPU waits for a G-PDU and returns its TEID and payload.
func (e *testENB) recvGTPU(timeout time.Duration) (uint32, []byte, error) {
	buf := make([]byte, 65535)
	if err := e.gtpu.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, nil, err
	}
	for {
		n, _, err := e.gtpu.ReadFromUDPAddrPort(buf)
		if err != nil {
			return 0, nil, err
		}
		var h gtpu.Header
		if err := gtpu.Parse(buf[:n], &h); err != nil || h.Type != gtpu.MsgGPDU {
			continue
		}
		return h.TEID, append([]byte(nil), h.Payload(buf[:n])...), nil
	}
}

// expectQuiet fails if a message arrives on ch within d.
func expectQuiet(ch chan s1ap.Message, d time.Duration) error {
	select {
	case m := <-ch:
		return fmt.Errorf("unexpected %T", m)
	case <-time.After(d):
		return nil
	}
}
