package gnb

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
)

// fuzzGNB is a gNB with bound sockets and an AMF link that is "up" on an
// association that swallows what is written, so every handler runs.
func fuzzGNB(t testing.TB) (*NF, *amfLink) {
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
	l := n.amfs[0]
	l.setUp(discardConn{}, &n2.NGSetupResponse{ServedGUAMIs: []n2.GUAMI{{PLMN: testPLMN, SetID: 3, Pointer: 4}}})
	return n, l
}

// nowhere is a UE simulator address nobody listens on.
var nowhere = netip.MustParseAddrPort("127.0.0.1:9")

// FuzzRadioInput: arbitrary datagrams on the radio never panic, and the
// undecodable ones are counted as malformed.
func FuzzRadioInput(f *testing.F) {
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0x7e, 0x00, 0x41})
	f.Add([]byte{1, 8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{2, 0, 0})
	n, _ := fuzzGNB(f)
	reg := n.Ops().Registry()
	f.Fuzz(func(t *testing.T, b []byte) {
		before := gather(t, reg, "corebox_gnb_malformed_total", "source", "radio")
		_, decErr := radio.Decode(b)
		n.handleRadio(nowhere, b)
		if after := gather(t, reg, "corebox_gnb_malformed_total", "source", "radio"); decErr != nil && after != before+1 {
			t.Fatalf("undecodable datagram not counted (%v)", decErr)
		}
	})
}

// FuzzNGAPInput: arbitrary NGAP PDUs from the AMF never panic, and the
// malformed ones are counted. A UE context (RAN UE NGAP ID 1) exists, so
// UE-associated messages reach their handlers.
func FuzzNGAPInput(f *testing.F) {
	f.Add([]byte{0x00, 0x0f, 0x40, 0xff, 0xff})
	n, l := fuzzGNB(f)
	reg := n.Ops().Registry()
	connectMsg, err := radio.Append(nil, radio.Message{Type: radio.Connect, UE: 1, Body: registrationRequestPDU(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n.ConnectedUEs() == 0 { // released by an input: start over as RAN UE NGAP ID 1
			n.ues.mu.Lock()
			n.ues.nextID = 1
			n.ues.mu.Unlock()
			n.handleRadio(nowhere, connectMsg)
		}
		before := gather(t, reg, "corebox_gnb_malformed_total", "source", "ngap")
		_, decErr := n2.Decode(b)
		n.handleNGAP(l, b)
		after := gather(t, reg, "corebox_gnb_malformed_total", "source", "ngap")
		if decErr != nil && !errors.Is(decErr, n2.ErrUnsupported) && after != before+1 {
			t.Fatalf("malformed ngap not counted (%v)", decErr)
		}
	})
}
