package enb

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// fuzzENB is an eNB with bound sockets and an MME link that is "up" on an
// association that swallows what is written, so every handler runs.
func fuzzENB(t testing.TB) (*ENB, *mmeLink) {
	t.Helper()
	cfg := testConfig("127.0.0.1")
	cfg.MaxUEs = 64
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	rc, ep, err := n.bind(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close(); _ = ep.Close() })
	l := n.mmes[0]
	l.setUp(discardConn{}, &s1ap.S1SetupResponse{ServedGUMMEIs: []s1ap.ServedGUMMEI{{PLMNs: []s1ap.PLMN{testPLMN}, GroupIDs: []uint16{1}, Codes: []uint8{7}}}})
	return n, l
}

// nowhere is a UE simulator address nobody listens on.
var nowhere = netip.MustParseAddrPort("127.0.0.1:9")

// FuzzRadioInput: arbitrary datagrams on the radio never panic, and the
// undecodable ones are counted as malformed.
func FuzzRadioInput(f *testing.F) {
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0x07, 0x41, 0x71})
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7, 0, 7, 0, 0, 0, 1, 0xC7})
	f.Add([]byte{1, 4, 0, 5, 0, 0, 0, 1, 0, 0, 0, 1, 0x45})
	f.Add([]byte{2, 0, 0})
	n, _ := fuzzENB(f)
	reg := n.Ops().Registry()
	f.Fuzz(func(t *testing.T, b []byte) {
		before := gather(t, reg, "corebox_enb_malformed_total", "source", "radio")
		_, decErr := radio.Decode(b)
		n.handleRadio(nowhere, b)
		if after := gather(t, reg, "corebox_enb_malformed_total", "source", "radio"); decErr != nil && after != before+1 {
			t.Fatalf("undecodable datagram not counted (%v)", decErr)
		}
	})
}

// FuzzS1APInput: arbitrary S1AP PDUs from the MME never panic, and the
// malformed ones are counted. A UE context (eNB UE S1AP ID 1) exists, so
// UE-associated messages reach their handlers.
func FuzzS1APInput(f *testing.F) {
	f.Add([]byte{0x00, 0x0b, 0x40, 0xff, 0xff})
	for _, m := range []s1ap.Message{
		&s1ap.DownlinkNASTransport{UEIDs: s1ap.UEIDs{MMEUES1APID: 1, ENBUES1APID: 1}, NASPDU: []byte{7, 0x52}},
		&s1ap.UEContextReleaseCommand{UEIDs: s1ap.UEIDs{MMEUES1APID: 1, ENBUES1APID: 1}, Cause: s1ap.CauseDetach},
	} {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	n, l := fuzzENB(f)
	reg := n.Ops().Registry()
	connectMsg, err := radio.Append(nil, radio.Message{Type: radio.Connect, UE: 1, Body: attachRequestPDU(f, 1)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n.ConnectedUEs() == 0 { // released by an input: start over as eNB UE S1AP ID 1
			n.ues.mu.Lock()
			n.ues.nextID = 1
			n.ues.mu.Unlock()
			n.handleRadio(nowhere, append([]byte(nil), connectMsg...))
		}
		before := gather(t, reg, "corebox_enb_malformed_total", "source", "s1ap")
		_, decErr := s1ap.Decode(b)
		n.handleS1AP(l, b)
		after := gather(t, reg, "corebox_enb_malformed_total", "source", "s1ap")
		if decErr != nil && !errors.Is(decErr, s1ap.ErrUnsupported) && after != before+1 {
			t.Fatalf("malformed s1ap not counted (%v)", decErr)
		}
	})
}
