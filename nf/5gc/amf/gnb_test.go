package amf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// testGNB is a minimal gNB for the tests: NG Setup, and per-UE channels
// of downlink UE-associated messages (by RAN UE NGAP ID).
type testGNB struct {
	conn    sctp.Conn
	tac     uint32
	mu      sync.Mutex
	ues     map[uint32]chan n2.Message
	other   chan n2.Message // non-UE-associated, and UE messages for unknown IDs
	nextRAN atomic.Uint32
	done    chan struct{}
}

var errTimeout = errors.New("timed out waiting for a message")

// dialGNB opens an association to the AMF (no NG Setup yet).
func dialGNB(t testing.TB, amf *NF, tac uint32) *testGNB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := sctp.Dial(ctx, sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}, "127.0.0.1:0",
		amf.N2Addr().String(), nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	g := &testGNB{conn: c, tac: tac, ues: map[uint32]chan n2.Message{}, other: make(chan n2.Message, 64), done: make(chan struct{})}
	go g.read()
	t.Cleanup(g.close)
	return g
}

// newGNB dials and completes NG Setup for TAC 1.
func newGNB(t testing.TB, amf *NF) *testGNB {
	t.Helper()
	g := dialGNB(t, amf, 1)
	if m := g.setup(t, homePLMN); m == nil {
		t.Fatal("NG Setup failed")
	}
	return g
}

func (g *testGNB) close() {
	_ = g.conn.Close()
	<-g.done
}

func (g *testGNB) read() {
	defer close(g.done)
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		k, _, err := g.conn.ReadMsg(buf)
		if err != nil {
			return
		}
		m, err := n2.Decode(append([]byte(nil), buf[:k]...))
		if err != nil {
			continue
		}
		ch := g.other
		if ran, ok := ranIDOf(m); ok {
			g.mu.Lock()
			if c := g.ues[ran]; c != nil {
				ch = c
			} else if rc, ok := m.(*n2.UEContextReleaseCommand); ok {
				ch = nil // a connection the UE left: the gNB completes the release itself
				_ = g.send(&n2.UEContextReleaseComplete{UEIDs: rc.UEIDs})
			}
			g.mu.Unlock()
			if ch == nil {
				continue
			}
		}
		select {
		case ch <- m:
		default: // a test that stopped listening
		}
	}
}

// ranIDOf is the RAN UE NGAP ID of a downlink message.
func ranIDOf(m n2.Message) (uint32, bool) {
	switch v := m.(type) {
	case *n2.DownlinkNASTransport:
		return v.RANUENGAPID, true
	case *n2.InitialContextSetupRequest:
		return v.RANUENGAPID, true
	case *n2.PDUSessionResourceSetupRequest:
		return v.RANUENGAPID, true
	case *n2.PDUSessionResourceReleaseCommand:
		return v.RANUENGAPID, true
	case *n2.PDUSessionResourceModifyRequest:
		return v.RANUENGAPID, true
	case *n2.UEContextReleaseCommand:
		return v.RANUENGAPID, !v.AMFIDOnly
	case *n2.ErrorIndication:
		if v.RANUENGAPID != nil {
			return *v.RANUENGAPID, true
		}
	}
	return 0, false
}

func (g *testGNB) send(m n2.Message) error {
	b, err := m.Encode()
	if err != nil {
		return err
	}
	stream := uint16(1)
	if _, ok := m.(*n2.NGSetupRequest); ok {
		stream = 0
	}
	return g.conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: sctp.PPIDNGAP})
}

func (g *testGNB) sendRaw(b []byte) error {
	return g.conn.WriteMsg(b, sctp.Info{Stream: 0, PPID: sctp.PPIDNGAP})
}

// setup sends NG Setup Request broadcasting plmn; nil when it failed.
func (g *testGNB) setup(t testing.TB, plmn n2.PLMN) *n2.NGSetupResponse {
	t.Helper()
	req := &n2.NGSetupRequest{GlobalGNBID: n2.GlobalGNBID{PLMN: plmn, ID: 1, IDBits: 22}, RANNodeName: "test-gnb",
		SupportedTAs: []n2.SupportedTA{{TAC: g.tac, PLMNs: []n2.BroadcastPLMN{{PLMN: plmn, Slices: []n2.SNSSAI{sliceSD, sliceNoSD}}}}},
		PagingDRX:    n2.PagingDRX128}
	if err := g.send(req); err != nil {
		t.Fatal(err)
	}
	m, err := g.next(t)
	if err != nil {
		t.Fatal(err)
	}
	switch v := m.(type) {
	case *n2.NGSetupResponse:
		return v
	case *n2.NGSetupFailure:
		return nil
	}
	t.Fatalf("NG Setup answered with %T", m)
	return nil
}

// next is the next non-UE-associated message.
func (g *testGNB) next(t testing.TB) (n2.Message, error) {
	t.Helper()
	select {
	case m := <-g.other:
		return m, nil
	case <-time.After(waitFor):
		return nil, errTimeout
	}
}

// attach registers a channel for a new RAN UE NGAP ID.
func (g *testGNB) attach() (uint32, chan n2.Message) {
	id := g.nextRAN.Add(1)
	ch := make(chan n2.Message, 16)
	g.mu.Lock()
	g.ues[id] = ch
	g.mu.Unlock()
	return id, ch
}

func (g *testGNB) detach(id uint32) {
	g.mu.Lock()
	delete(g.ues, id)
	g.mu.Unlock()
}

func (g *testGNB) location() n2.UserLocation {
	return n2.UserLocation{TAI: n2.TAI{PLMN: homePLMN, TAC: g.tac}, NRCGI: n2.NRCGI{PLMN: homePLMN, CellID: 0x10}}
}

// expectQuiet fails if a message arrives on ch within d.
func expectQuiet(ch chan n2.Message, d time.Duration) error {
	select {
	case m := <-ch:
		return fmt.Errorf("unexpected %T", m)
	case <-time.After(d):
		return nil
	}
}
