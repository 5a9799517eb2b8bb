package gtpu

import (
	"bytes"
	"net/netip"
	"testing"
)

// canonical reports whether b is in the form our encoder writes: spare bit
// clear, and the E flag set exactly when a next extension type is given.
func canonical(b []byte) bool {
	if b[0]&flagSpare != 0 {
		return false
	}
	return b[0]&flagsOpt == 0 || (b[0]&flagE != 0) == (b[11] != ExtNone)
}

func FuzzParseHeader(f *testing.F) {
	for _, tc := range codecCases {
		b, err := Append(nil, &tc.h, tc.payload)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		if err := Parse(b, &h); err != nil {
			if _, ok := err.(ParseError); !ok {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		out, err := Append(nil, &h, h.Payload(b))
		if err != nil {
			t.Fatalf("re-encoding a parsed header: %v", err)
		}
		if canonical(b) && !bytes.Equal(out, b) {
			t.Fatalf("round trip changed canonical input\n in %x\nout %x", b, out)
		}
		var h2 Header
		if err := Parse(out, &h2); err != nil {
			t.Fatalf("our own output %x does not parse: %v", out, err)
		}
		out2, err := Append(nil, &h2, h2.Payload(out))
		if err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("encoding is not a fixed point: %x then %x (%v)", out, out2, err)
		}
	})
}

func FuzzParseIEs(f *testing.F) {
	f.Add([]byte{IERecovery, 3})
	f.Add([]byte{IETEIDDataI, 0, 0, 0, 1, IEGSNAddress, 0, 4, 127, 0, 0, 1})
	f.Add([]byte{IEExtHeaderList, 1, 0x85, IEPrivateExtension, 0, 2, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseEchoResponse(b); err != nil {
			if _, ok := err.(ParseError); !ok {
				t.Fatalf("untyped error %v", err)
			}
		}
		ei, err := ParseErrorIndication(b)
		if err != nil {
			return
		}
		msg, err := AppendErrorIndication(nil, 1, ei)
		if err != nil {
			t.Fatalf("cannot re-encode %+v: %v", ei, err)
		}
		var h Header
		if err := Parse(msg, &h); err != nil {
			t.Fatal(err)
		}
		if again, err := ParseErrorIndication(h.Payload(msg)); err != nil || again != ei {
			t.Fatalf("re-parsed %+v (%v), want %+v", again, err, ei)
		}
	})
}

// FuzzEndpointHandle feeds datagrams to an endpoint's dispatch: nothing may
// panic, every datagram must land in exactly one counter, and every G-PDU
// for an unknown TEID is answered with an Error Indication or counted as
// suppressed by the rate limit.
func FuzzEndpointHandle(f *testing.F) {
	for _, tc := range codecCases {
		b, _ := Append(nil, &tc.h, tc.payload)
		f.Add(b)
	}
	f.Add(AppendEchoResponse(nil, 1, 0))
	f.Add(AppendEndMarker(nil, 1))
	ei, _ := AppendErrorIndication(nil, 1, ErrorIndication{TEID: 1, PeerAddr: netip.MustParseAddr("127.0.0.1")})
	f.Add(ei)
	e, err := New(Config{Addr: "127.0.0.1:0", Logger: quietLog})
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	if err := e.AddTunnel(1, HandlerFunc(func(netip.AddrPort, *Header, []byte) {})); err != nil {
		f.Fatal(err)
	}
	// Replies go to the discard port on loopback.
	src := netip.MustParseAddrPort("127.0.0.1:9")
	r := e.newReader(0, nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := rxPacket{buf: b, n: len(b), src: src}
		r.handle(&p)
		r.publish()
		s := e.Stats()
		handled := s.MalformedTotal() + s.RxGPDU.Load() + s.UnknownTEID.Load() + s.RxEchoRequest.Load() +
			s.RxEchoResponse.Load() + s.RxErrorIndication.Load() + s.RxEndMarker.Load() + s.RxOtherType.Load()
		if handled != s.RxPackets.Load() {
			t.Fatalf("%d datagrams, %d counted", s.RxPackets.Load(), handled)
		}
		if answered := s.ErrorIndicationSent.Load() + s.ErrorIndicationSuppressed.Load(); answered != s.UnknownTEID.Load() {
			t.Fatalf("%d G-PDUs for unknown TEIDs, %d answered or suppressed", s.UnknownTEID.Load(), answered)
		}
	})
}
