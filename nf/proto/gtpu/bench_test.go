package gtpu

import (
	"net/netip"
	"testing"

	gtpmsg "github.com/wmnsk/go-gtp/gtpv1/message"
)

// benchPacket is a DL G-PDU with a PDU Session Container and 1400 octets.
func benchPacket(tb testing.TB) []byte {
	h := withPDU(gpdu(0x12345678), PDUSessionInfo{PDUType: PDUTypeDL, QFI: 9})
	b, err := Append(nil, &h, make([]byte, 1400))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestHotPathDoesNotAllocate holds the hot path to zero allocations.
func TestHotPathDoesNotAllocate(t *testing.T) {
	pkt := benchPacket(t)
	var h Header
	if n := testing.AllocsPerRun(100, func() { _ = Parse(pkt, &h) }); n != 0 {
		t.Errorf("Parse allocates %.0f times", n)
	}
	buf := make([]byte, 64+1400)
	if n := testing.AllocsPerRun(100, func() {
		out := withPDU(gpdu(1), PDUSessionInfo{QFI: 9})
		_, _ = Prepend(buf, 64, &out)
	}); n != 0 {
		t.Errorf("Prepend allocates %.0f times", n)
	}
	// AllocsPerRun counts every goroutine's allocations, so the receiver's
	// read loop and dispatch are held to zero as well.
	rx := startEndpoint(t, Config{ErrorIndicationRate: -1})
	if err := rx.AddTunnel(1, HandlerFunc(func(netip.AddrPort, *Header, []byte) {})); err != nil {
		t.Fatal(err)
	}
	tx := startEndpoint(t, Config{})
	dst := loopback(rx)
	payload := make([]byte, 1400)
	if n := testing.AllocsPerRun(100, func() { _ = tx.Send(dst, 1, 9, payload) }); n != 0 {
		t.Errorf("Send allocates %.0f times", n)
	}
}

func BenchmarkParse(b *testing.B) {
	pkt := benchPacket(b)
	var h Header
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(pkt, &h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoGTPParse is the baseline: go-gtp parsing the same packet.
func BenchmarkGoGTPParse(b *testing.B) {
	pkt := benchPacket(b)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gtpmsg.ParseTPDU(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepend(b *testing.B) {
	buf := make([]byte, 64+1400)
	b.SetBytes(int64(len(buf) - 64))
	b.ReportAllocs()
	for b.Loop() {
		var h Header
		h.Type, h.TEID = MsgGPDU, 0x12345678
		h.SetPDUSession(PDUSessionInfo{PDUType: PDUTypeDL, QFI: 9})
		if _, err := Prepend(buf, 64, &h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoGTPMarshal is the baseline: go-gtp building the same packet.
func BenchmarkGoGTPMarshal(b *testing.B) {
	payload := make([]byte, 1400)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		eh := gtpmsg.NewExtensionHeader(gtpmsg.ExtHeaderTypePDUSessionContainer, []byte{0, 9}, 0)
		if _, err := gtpmsg.NewTPDUWithExtentionHeader(0x12345678, payload, eh).Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEndpointSend(b *testing.B) {
	rx := startEndpoint(b, Config{ErrorIndicationRate: -1})
	tx := startEndpoint(b, Config{})
	if err := rx.AddTunnel(1, HandlerFunc(func(netip.AddrPort, *Header, []byte) {})); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 1400)
	dst := loopback(rx)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := tx.Send(dst, 1, 9, payload); err != nil {
			b.Fatal(err)
		}
	}
}
