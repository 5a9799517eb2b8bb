package gtpu

import (
	"bytes"
	"net/netip"
	"testing"

	gtpie "github.com/wmnsk/go-gtp/gtpv1/ie"
	gtpmsg "github.com/wmnsk/go-gtp/gtpv1/message"
)

// These tests hold our codec against go-gtp, an independent implementation:
// each message is built by both, the octets must agree, and each side must
// parse the other's output to the same values.

func TestInteropGPDU(t *testing.T) {
	payload := []byte{0x45, 0, 0, 28, 1, 2, 3, 4}
	cases := []struct {
		name   string
		ours   Header
		theirs func() *gtpmsg.TPDU
	}{
		{"plain", gpdu(0x11223344), func() *gtpmsg.TPDU { return gtpmsg.NewTPDU(0x11223344, payload) }},
		{"seq", withSeq(gpdu(0x55), 0x1234), func() *gtpmsg.TPDU { return gtpmsg.NewTPDUWithSequence(0x55, 0x1234, payload) }},
		{"ul container", withPDU(gpdu(0x66), PDUSessionInfo{PDUType: PDUTypeUL, QFI: 9}), func() *gtpmsg.TPDU {
			eh := gtpmsg.NewExtensionHeader(gtpmsg.ExtHeaderTypePDUSessionContainer, []byte{0x10, 9}, gtpmsg.ExtHeaderTypeNoMoreExtensionHeaders)
			return gtpmsg.NewTPDUWithExtentionHeader(0x66, payload, eh)
		}},
		{"dl container ppp", withPDU(gpdu(0x77), PDUSessionInfo{PDUType: PDUTypeDL, QFI: 1, RQI: true, PPP: true, PPI: 2}), func() *gtpmsg.TPDU {
			eh := gtpmsg.NewExtensionHeader(gtpmsg.ExtHeaderTypePDUSessionContainer, []byte{0, 0xc1, 0x40, 0, 0, 0}, gtpmsg.ExtHeaderTypeNoMoreExtensionHeaders)
			return gtpmsg.NewTPDUWithExtentionHeader(0x77, payload, eh)
		}},
		{"two extensions", withExt(withPDU(gpdu(0x88), PDUSessionInfo{PDUType: PDUTypeUL, QFI: 3}), ExtUDPPort, []byte{0x08, 0x68}), func() *gtpmsg.TPDU {
			e1 := gtpmsg.NewExtensionHeader(gtpmsg.ExtHeaderTypePDUSessionContainer, []byte{0x10, 3}, gtpmsg.ExtHeaderTypeUDPPort)
			e2 := gtpmsg.NewExtensionHeader(gtpmsg.ExtHeaderTypeUDPPort, []byte{0x08, 0x68}, gtpmsg.ExtHeaderTypeNoMoreExtensionHeaders)
			return gtpmsg.NewTPDUWithExtentionHeader(0x88, payload, e1, e2)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ours, err := Append(nil, &tc.ours, payload)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := tc.theirs().Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, theirs) {
				t.Fatalf("octets differ\nours   %x\ntheirs %x", ours, theirs)
			}
			// ours → theirs
			m, err := gtpmsg.ParseTPDU(ours)
			if err != nil {
				t.Fatalf("go-gtp parse: %v", err)
			}
			if m.TEID() != tc.ours.TEID || !bytes.Equal(m.Decapsulate(), payload) || len(m.ExtensionHeaders) != tc.ours.NumExt {
				t.Fatalf("go-gtp read %s", m.Header)
			}
			// theirs → ours
			again, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var h Header
			if err := Parse(again, &h); err != nil {
				t.Fatalf("Parse(go-gtp %x): %v", again, err)
			}
			assertSameHeader(t, &tc.ours, &h)
			if !bytes.Equal(h.Payload(again), payload) {
				t.Fatalf("payload %x", h.Payload(again))
			}
		})
	}
}

// marshalGTP marshals a go-gtp message or fails the test.
func marshalGTP(t *testing.T, m gtpmsg.Message) []byte {
	t.Helper()
	b, err := gtpmsg.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInteropEcho(t *testing.T) {
	req := AppendEchoRequest(nil, 0x4242)
	if theirs := marshalGTP(t, gtpmsg.NewEchoRequest(0x4242)); !bytes.Equal(req, theirs) {
		t.Fatalf("echo request\nours   %x\ntheirs %x", req, theirs)
	}
	if m, err := gtpmsg.ParseEchoRequest(req); err != nil || m.Sequence() != 0x4242 {
		t.Fatalf("go-gtp reads our echo request: %v", err)
	}

	res := AppendEchoResponse(nil, 0x4242, 9)
	theirs := marshalGTP(t, gtpmsg.NewEchoResponse(0x4242, gtpie.NewRecovery(9)))
	if !bytes.Equal(res, theirs) {
		t.Fatalf("echo response\nours   %x\ntheirs %x", res, theirs)
	}
	m, err := gtpmsg.ParseEchoResponse(res)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := m.Recovery.Recovery(); err != nil || r != 9 {
		t.Fatalf("go-gtp recovery %d, %v", r, err)
	}
	var h Header
	if err := Parse(theirs, &h); err != nil {
		t.Fatal(err)
	}
	if r, err := ParseEchoResponse(h.Payload(theirs)); err != nil || r != 9 || h.Seq != 0x4242 {
		t.Fatalf("we read recovery %d seq %x: %v", r, h.Seq, err)
	}
}

func TestInteropErrorIndication(t *testing.T) {
	for _, addr := range []string{"192.0.2.7", "2001:db8::7"} {
		t.Run(addr, func(t *testing.T) {
			ei := ErrorIndication{TEID: 0xdeadbeef, PeerAddr: netip.MustParseAddr(addr)}
			ours, err := AppendErrorIndication(nil, 3, ei)
			if err != nil {
				t.Fatal(err)
			}
			theirs := marshalGTP(t, gtpmsg.NewErrorIndication(0, 3, gtpie.NewTEIDDataI(ei.TEID), gtpie.NewGSNAddress(addr)))
			if !bytes.Equal(ours, theirs) {
				t.Fatalf("error indication\nours   %x\ntheirs %x", ours, theirs)
			}
			m, err := gtpmsg.ParseErrorIndication(ours)
			if err != nil {
				t.Fatal(err)
			}
			teid, _ := m.TEIDDataI.TEID()
			peer, _ := m.GTPUPeerAddress.GSNAddress()
			if teid != ei.TEID || netip.MustParseAddr(peer) != ei.PeerAddr {
				t.Fatalf("go-gtp read TEID %#x peer %s", teid, peer)
			}
			var h Header
			if err := Parse(theirs, &h); err != nil {
				t.Fatal(err)
			}
			got, err := ParseErrorIndication(h.Payload(theirs))
			if err != nil || got != ei || h.Type != MsgErrorIndication {
				t.Fatalf("we read %+v, %v", got, err)
			}
		})
	}
}

func TestInteropEndMarker(t *testing.T) {
	ours := AppendEndMarker(nil, 0x0badf00d)
	em := gtpmsg.NewEndMarker()
	em.Header.TEID = 0x0badf00d
	theirs := marshalGTP(t, em)
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("end marker\nours   %x\ntheirs %x", ours, theirs)
	}
	m, err := gtpmsg.ParseEndMarker(ours)
	if err != nil || m.TEID() != 0x0badf00d {
		t.Fatalf("go-gtp read %v, %v", m, err)
	}
	var h Header
	if err := Parse(theirs, &h); err != nil || h.Type != MsgEndMarker || h.TEID != 0x0badf00d {
		t.Fatalf("we read %+v, %v", h, err)
	}
}
