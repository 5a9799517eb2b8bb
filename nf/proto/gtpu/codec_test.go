package gtpu

import (
	"bytes"
	"errors"
	"testing"
)

func gpdu(teid uint32) Header { return Header{Type: MsgGPDU, TEID: teid} }

func withSeq(h Header, seq uint16) Header       { h.Seq, h.HasSeq = seq, true; return h }
func withNPDU(h Header, n uint8) Header         { h.NPDU, h.HasNPDU = n, true; return h }
func withPDU(h Header, p PDUSessionInfo) Header { h.SetPDUSession(p); return h }
func withExt(h Header, typ uint8, content []byte) Header {
	h.Ext[h.NumExt] = ExtHeader{Type: typ, Content: content}
	h.NumExt++
	return h
}

var codecCases = []struct {
	name    string
	h       Header
	payload []byte
	want    []byte // expected header octets, when given
}{
	{name: "plain", h: gpdu(0x01020304), payload: []byte{0x45, 0, 0, 20},
		want: []byte{0x30, 0xff, 0, 4, 1, 2, 3, 4}},
	{name: "seq", h: withSeq(gpdu(7), 0xbeef), payload: []byte("x"),
		want: []byte{0x32, 0xff, 0, 5, 0, 0, 0, 7, 0xbe, 0xef, 0, 0}},
	{name: "npdu", h: withNPDU(gpdu(7), 9), payload: []byte("x"),
		want: []byte{0x31, 0xff, 0, 5, 0, 0, 0, 7, 0, 0, 9, 0}},
	{name: "seq and npdu", h: withNPDU(withSeq(gpdu(7), 1), 2), payload: []byte("xy")},
	{name: "ul container", h: withPDU(gpdu(0x10), PDUSessionInfo{PDUType: PDUTypeUL, QFI: 9}), payload: []byte("ip"),
		want: []byte{0x34, 0xff, 0, 10, 0, 0, 0, 0x10, 0, 0, 0, 0x85, 1, 0x10, 9, 0}},
	{name: "dl container rqi", h: withPDU(gpdu(0x20), PDUSessionInfo{PDUType: PDUTypeDL, QFI: 63, RQI: true}), payload: []byte("ip"),
		want: []byte{0x34, 0xff, 0, 10, 0, 0, 0, 0x20, 0, 0, 0, 0x85, 1, 0x00, 0x7f, 0}},
	{name: "dl container ppp", h: withPDU(gpdu(0x20), PDUSessionInfo{PDUType: PDUTypeDL, QFI: 5, PPP: true, PPI: 6}), payload: []byte("ip"),
		want: []byte{0x34, 0xff, 0, 14, 0, 0, 0, 0x20, 0, 0, 0, 0x85, 2, 0x00, 0x85, 0xc0, 0, 0, 0, 0}},
	{name: "container then udp port", h: withExt(withPDU(withSeq(gpdu(1), 3), PDUSessionInfo{PDUType: PDUTypeUL, QFI: 1}), ExtUDPPort, []byte{0x08, 0x68}),
		payload: []byte("p")},
	{name: "long raw ext", h: withExt(gpdu(1), ExtNRRANContainer, bytes.Repeat([]byte{0xab}, 10)), payload: nil},
	{name: "echo request", h: withSeq(Header{Type: MsgEchoRequest}, 77), payload: nil,
		want: []byte{0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 77, 0, 0}},
}

func TestCodecRoundTrip(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Append(nil, &tc.h, tc.payload)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if tc.want != nil && !bytes.Equal(b[:len(b)-len(tc.payload)], tc.want) {
				t.Fatalf("header octets\n got %x\nwant %x", b[:len(b)-len(tc.payload)], tc.want)
			}
			var got Header
			if err := Parse(b, &got); err != nil {
				t.Fatalf("Parse(%x): %v", b, err)
			}
			assertSameHeader(t, &tc.h, &got)
			if !bytes.Equal(got.Payload(b), tc.payload) {
				t.Fatalf("payload %x, want %x", got.Payload(b), tc.payload)
			}
			again, err := Append(nil, &got, got.Payload(b))
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(again, b) {
				t.Fatalf("re-encoded\n got %x\nwant %x", again, b)
			}
		})
	}
}

// assertSameHeader compares what a header says, not how it is held.
func assertSameHeader(t *testing.T, want, got *Header) {
	t.Helper()
	if got.Type != want.Type || got.TEID != want.TEID || got.HasSeq != want.HasSeq ||
		got.HasNPDU != want.HasNPDU || got.NumExt != want.NumExt {
		t.Fatalf("header %+v, want %+v", got, want)
	}
	if want.HasSeq && got.Seq != want.Seq || want.HasNPDU && got.NPDU != want.NPDU {
		t.Fatalf("seq/npdu %d/%d, want %d/%d", got.Seq, got.NPDU, want.Seq, want.NPDU)
	}
	if got.PDUSession != want.PDUSession {
		t.Fatalf("PDU session %+v, want %+v", got.PDUSession, want.PDUSession)
	}
	for i := range want.NumExt {
		w, g := want.Ext[i], got.Ext[i]
		if g.Type != w.Type || (w.Content != nil && !bytes.Equal(g.Content, w.Content)) {
			t.Fatalf("ext %d = %x/%x, want %x/%x", i, g.Type, g.Content, w.Type, w.Content)
		}
	}
}

func TestPrependUsesHeadroom(t *testing.T) {
	buf := make([]byte, 64+3)
	copy(buf[64:], "abc")
	h := withPDU(gpdu(0xcafe), PDUSessionInfo{PDUType: PDUTypeDL, QFI: 9})
	pkt, err := Prepend(buf, 64, &h)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkt) != h.Len()+3 || &pkt[len(pkt)-1] != &buf[len(buf)-1] {
		t.Fatalf("Prepend did not write in place: len %d", len(pkt))
	}
	var got Header
	if err := Parse(pkt, &got); err != nil {
		t.Fatal(err)
	}
	if string(got.Payload(pkt)) != "abc" || got.PDUSession.QFI != 9 || got.TEID != 0xcafe {
		t.Fatalf("parsed %+v payload %q", got, got.Payload(pkt))
	}
	if _, err := Prepend(buf, 4, &h); !errors.Is(err, ErrNoHeadroom) {
		t.Fatalf("short headroom: %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	tooMany := gpdu(1)
	tooMany.NumExt = MaxExtHeaders + 1
	cases := []struct {
		name    string
		h       Header
		payload int
		want    error
	}{
		{"ext content not 4n-2", withExt(gpdu(1), ExtUDPPort, []byte{1, 2, 3}), 0, ErrExtContentLen},
		{"ext type zero", withExt(gpdu(1), ExtNone, []byte{1, 2}), 0, ErrExtType},
		{"qfi over 6 bits", withPDU(gpdu(1), PDUSessionInfo{QFI: 64}), 0, ErrBadPDUSession},
		{"ul with rqi", withPDU(gpdu(1), PDUSessionInfo{PDUType: PDUTypeUL, RQI: true}), 0, ErrBadPDUSession},
		{"pdu type 2", withPDU(gpdu(1), PDUSessionInfo{PDUType: 2}), 0, ErrBadPDUSession},
		{"numext", tooMany, 0, ErrNumExt},
		{"payload too long", gpdu(1), 65536, ErrPayloadTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, 64)
			if _, err := tc.h.MarshalTo(b, tc.payload); !errors.Is(err, tc.want) {
				t.Fatalf("MarshalTo = %v, want %v", err, tc.want)
			}
		})
	}
	h := withSeq(gpdu(1), 1)
	if _, err := h.MarshalTo(make([]byte, 11), 0); !errors.Is(err, ErrBufferTooSmall) {
		t.Fatalf("small buffer: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want ParseError
	}{
		{"empty", nil, ErrTooShort},
		{"seven octets", []byte{0x30, 0xff, 0, 0, 0, 0, 0}, ErrTooShort},
		{"version 2", []byte{0x40, 0xff, 0, 0, 0, 0, 0, 1}, ErrVersion},
		{"version 0", []byte{0x10, 0xff, 0, 0, 0, 0, 0, 1}, ErrVersion},
		{"gtp prime", []byte{0x20, 0xff, 0, 0, 0, 0, 0, 1}, ErrProtocolType},
		{"length past datagram", []byte{0x30, 0xff, 0, 5, 0, 0, 0, 1, 0xaa}, ErrLength},
		{"trailing octets", []byte{0x30, 0xff, 0, 0, 0, 0, 0, 1, 0xaa}, ErrLength},
		{"seq flag, no room", []byte{0x32, 0xff, 0, 2, 0, 0, 0, 1, 0, 1}, ErrOptionalFields},
		{"ext missing", []byte{0x34, 0xff, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0x85}, ErrExtTruncated},
		{"ext zero length", []byte{0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0x10, 9, 0}, ErrExtZeroLength},
		{"ext runs past end", []byte{0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 2, 0x10, 9, 0}, ErrExtTruncated},
		{"chain never ends", []byte{0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 9, 0x40}, ErrExtTruncated},
		{"container type 3", []byte{0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x30, 9, 0}, ErrPDUSession},
		{"dl ppp without ppi", []byte{0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x00, 0x89, 0}, ErrPDUSession},
		{"too many ext", tooManyExt(), ErrTooManyExt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h Header
			err := Parse(tc.b, &h)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse(%x) = %v, want %v", tc.b, err, tc.want)
			}
		})
	}
}

// tooManyExt is a G-PDU with MaxExtHeaders+1 UDP Port extensions.
func tooManyExt() []byte {
	b := []byte{0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, ExtUDPPort}
	for i := 0; i <= MaxExtHeaders; i++ {
		b = append(b, 1, 0x08, 0x68, ExtUDPPort)
	}
	b[len(b)-1] = ExtNone
	b[3] = byte(len(b) - 8)
	return b
}

func TestSignallingMessages(t *testing.T) {
	var h Header
	b := AppendEchoResponse(nil, 5, 3)
	if err := Parse(b, &h); err != nil || h.Type != MsgEchoResponse || h.Seq != 5 {
		t.Fatalf("echo response %x: %v %+v", b, err, h)
	}
	if r, err := ParseEchoResponse(h.Payload(b)); err != nil || r != 3 {
		t.Fatalf("recovery %d, %v", r, err)
	}
	if _, err := ParseEchoResponse(nil); !errors.Is(err, ErrMissingIE) {
		t.Fatalf("echo response without recovery: %v", err)
	}
	bad := []struct {
		name    string
		payload []byte
		want    ParseError
	}{
		{"unknown tv", []byte{15, 1}, ErrIE},
		{"truncated tv", []byte{IETEIDDataI, 0, 0}, ErrIE},
		{"truncated tlv", []byte{IEGSNAddress, 0, 4, 127}, ErrIE},
		{"bad address length", []byte{IETEIDDataI, 0, 0, 0, 1, IEGSNAddress, 0, 3, 1, 2, 3}, ErrIE},
		{"no address", []byte{IETEIDDataI, 0, 0, 0, 1}, ErrMissingIE},
	}
	for _, tc := range bad {
		if _, err := ParseErrorIndication(tc.payload); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseErrorNames(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range ParseErrors() {
		if e.String() == "unknown" || seen[e.String()] || e.Error() == "" {
			t.Fatalf("kind %d has no distinct name: %q", e, e.String())
		}
		seen[e.String()] = true
	}
}
