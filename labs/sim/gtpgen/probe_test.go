package gtpgen

import (
	"errors"
	"math"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/nf/proto/gtpu"
)

var (
	testUE = netip.MustParseAddrPort("10.45.0.7:9000")
	testN6 = netip.MustParseAddrPort("192.0.2.6:9000")
)

func TestProbeRoundTrip(t *testing.T) {
	for _, p := range []probe{
		{dir: probeUL},
		{dir: probeDL, run: 7, session: 3, seq: 99, sentNS: 123456789},
		{dir: probeUL, run: math.MaxUint32, session: math.MaxUint32, seq: math.MaxUint64, sentNS: math.MaxInt64},
	} {
		b := make([]byte, probeLen+5)
		putProbe(b, &p)
		got, err := parseProbe(b)
		if err != nil || got != p {
			t.Errorf("probe %+v came back %+v, %v", p, got, err)
		}
	}
}

// gpdu builds a downlink G-PDU as the UPF sends it: PDU Session Container
// (DL), inner IPv4/UDP to the UE with payload.
func gpdu(t testing.TB, teid uint32, payload []byte) []byte {
	t.Helper()
	inner, err := ippkt.AppendUDP4(nil, testN6, testUE, 1, payload)
	if err != nil {
		t.Fatal(err)
	}
	var h gtpu.Header
	h.Type, h.TEID = gtpu.MsgGPDU, teid
	h.SetPDUSession(gtpu.PDUSessionInfo{PDUType: gtpu.PDUTypeDL, QFI: 1})
	b, err := gtpu.Append(nil, &h, inner)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func probeBytes(p probe, size int) []byte {
	b := make([]byte, size)
	putProbe(b, &p)
	return b
}

func TestDecodeN3(t *testing.T) {
	good := probe{dir: probeDL, run: 1, session: 2, seq: 3, sentNS: 4}
	ok := gpdu(t, 5, probeBytes(good, 40))
	var h gtpu.Header
	got, err := decodeN3(ok, &h)
	if err != nil || got.teid != 5 || got.ue != testUE || got.size != ipUDPLen+40 || got.probe != good {
		t.Fatalf("decodeN3 = %+v, %v", got, err)
	}
	echo := []byte{0x32, gtpu.MsgEchoRequest, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0}
	badVersion := append([]byte(nil), ok...)
	badVersion[0] = 0x52
	notUDP := gpdu(t, 5, probeBytes(good, 40))
	notUDP[gtpHeaderLen+9] = 6 // inner protocol TCP
	badMagic := gpdu(t, 5, probeBytes(good, 40))
	badMagic[gtpHeaderLen+ipUDPLen] ^= 0xff
	badDir := gpdu(t, 5, probeBytes(probe{dir: 9}, 40))
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"empty":       {nil, errGTPU},
		"truncated":   {ok[:len(ok)-1], errGTPU},
		"bad version": {badVersion, errGTPU},
		"echo":        {echo, errNotGPDU},
		"not udp":     {notUDP, errInner},
		"short probe": {gpdu(t, 5, probeBytes(good, 40)[:probeLen-1]), errProbe},
		"bad magic":   {badMagic, errProbe},
		"bad dir":     {badDir, errProbe},
	} {
		if _, err := decodeN3(tc.b, &h); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// A G-PDU with nothing inside is not an IP packet.
func TestDecodeN3EmptyGPDU(t *testing.T) {
	var h gtpu.Header
	h.Type, h.TEID = gtpu.MsgGPDU, 1
	b, err := gtpu.Append(nil, &h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeN3(b, &h); !errors.Is(err, errInner) {
		t.Errorf("empty G-PDU: %v", err)
	}
}

func TestIPv4UDPHeader(t *testing.T) {
	b := make([]byte, 100)
	putIPv4UDP(b, testUE, testN6, 77, len(b))
	putProbe(b[ipUDPLen:], &probe{dir: probeUL, seq: 1})
	u, err := ippkt.ParseUDP4(b)
	if err != nil || u.Src != testUE || u.Dst != testN6 || u.ID != 77 || len(u.Payload) != 100-ipUDPLen {
		t.Fatalf("parsed %+v, %v", u, err)
	}
	if ipChecksum(b[:20]) != 0 {
		t.Errorf("IPv4 header checksum does not verify: % x", b[:20])
	}
}

func TestDataPathDoesNotAllocate(t *testing.T) {
	b := gpdu(t, 5, probeBytes(probe{dir: probeDL, run: 1}, 1000))
	var h gtpu.Header
	buf := make([]byte, 1500)
	p := probe{dir: probeUL, run: 1, seq: 2}
	n := testing.AllocsPerRun(1000, func() {
		if _, err := decodeN3(b, &h); err != nil {
			t.Fatal(err)
		}
		putIPv4UDP(buf[gtpHeaderLen:], testUE, testN6, 1, 1400)
		putProbe(buf[gtpHeaderLen+ipUDPLen:], &p)
	})
	if n != 0 {
		t.Errorf("decode and fill allocate %v times per packet", n)
	}
}
