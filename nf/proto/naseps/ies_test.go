package naseps

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestQoSBitrates pins the bitrate codes of TS 24.008 10.5.6.5 and TS
// 24.301 9.9.4.3 at every range edge (as Wireshark's calc_bitrate,
// calc_bitrate_ext and calc_bitrate_ext2 read them), and that values
// between codes round down.
func TestQoSBitrates(t *testing.T) {
	cases := []struct {
		kbps            uint64
		base, ext, ext2 byte
		decoded         uint64
	}{
		{0, 0xFF, 0, 0, 0}, {1, 0x01, 0, 0, 1}, {63, 0x3F, 0, 0, 63}, {64, 0x40, 0, 0, 64},
		{100, 0x44, 0, 0, 96}, {568, 0x7F, 0, 0, 568}, {570, 0x7F, 0, 0, 568}, {576, 0x80, 0, 0, 576},
		{8640, 0xFE, 0, 0, 8640}, {8650, 0xFE, 0, 0, 8640}, {8700, 0xFE, 0x01, 0, 8700}, {16000, 0xFE, 0x4A, 0, 16000},
		{16500, 0xFE, 0x4A, 0, 16000}, {17000, 0xFE, 0x4B, 0, 17000}, {128000, 0xFE, 0xBA, 0, 128000},
		{130000, 0xFE, 0xBB, 0, 130000}, {256000, 0xFE, 0xFA, 0, 256000}, {258000, 0xFE, 0xFA, 0, 256000},
		{260000, 0xFE, 0xFA, 0x01, 260000}, {500000, 0xFE, 0xFA, 0x3D, 500000}, {510000, 0xFE, 0xFA, 0x3E, 510000},
		{1500000, 0xFE, 0xFA, 0xA1, 1500000}, {1600000, 0xFE, 0xFA, 0xA2, 1600000}, {10000000, 0xFE, 0xFA, 0xF6, 10000000},
	}
	for _, c := range cases {
		b, e, e2 := qosRate(c.kbps)
		if b != c.base || e != c.ext || e2 != c.ext2 {
			t.Errorf("qosRate(%d) = %02x %02x %02x, want %02x %02x %02x", c.kbps, b, e, e2, c.base, c.ext, c.ext2)
		}
		if got := qosKbps(b, e, e2); got != c.decoded {
			t.Errorf("qosKbps(%02x %02x %02x) = %d, want %d", b, e, e2, got, c.decoded)
		}
	}
	q := EPSQoS{QCI: 1, Bitrates: &BearerBitrates{MBRUplink: 64, MBRDownlink: 8700, GBRUplink: 0, GBRDownlink: 500000}}
	v, err := q.encode()
	if err != nil {
		t.Fatal(err)
	}
	// QCI, MBR UL/DL, GBR UL/DL, the four extended, the four extended-2.
	if got := hex.EncodeToString(v); got != "0140fefffe000100fa0000003d" {
		t.Errorf("EPS QoS = %s", got)
	}
}

func TestAMBR(t *testing.T) {
	cases := []struct {
		a   AMBR
		hex string
	}{
		{AMBR{Downlink: 1024, Uplink: 512}, "8778"},
		{AMBR{Downlink: 100000, Uplink: 64}, "fe409e00"},
		// 300 Mbit/s = 1 x 256 Mbit/s + 44 Mbit/s (extended code 102).
		{AMBR{Downlink: 300000, Uplink: 64}, "fe4066000100"},
		{AMBR{Downlink: 2 * 256000, Uplink: 0}, "ffff00000200"},
	}
	for _, c := range cases {
		v, err := c.a.encode()
		if err != nil || hex.EncodeToString(v) != c.hex {
			t.Errorf("%+v encodes to %x, %v; want %s", c.a, v, err, c.hex)
			continue
		}
		back, err := decodeAMBR(v)
		if err != nil || back != c.a {
			t.Errorf("%s decodes to %+v, %v", c.hex, back, err)
		}
	}
	if _, err := (AMBR{Downlink: maxAMBRKbps + 1}).encode(); err == nil {
		t.Error("APN-AMBR above the largest code encoded")
	}
}

func TestTAIListPartialTypes(t *testing.T) {
	p1, p2 := testPLMN, testPLMN3
	cases := []struct {
		hex  string
		want TAIList
	}{
		{"0100f11000010007", TAIList{{p1, 1}, {p1, 7}}},      // type 00
		{"2200f1100001", TAIList{{p1, 1}, {p1, 2}, {p1, 3}}}, // type 01, 3 consecutive
		{"4100f110000113001400 02", TAIList{{p1, 1}, {p2, 2}}},
		{"0000f1100001 2100f1100005", TAIList{{p1, 1}, {p1, 5}, {p1, 6}}},
	}
	for _, c := range cases {
		got, err := decodeTAIList(unhex(t, c.hex))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("decodeTAIList(%s) = %v, %v; want %v", c.hex, got, err, c.want)
		}
	}
	enc, err := TAIList{{p1, 1}, {p1, 7}, {p2, 2}, {p1, 9}}.encode()
	if err != nil || hex.EncodeToString(enc) != "0100f11000010007"+"001300140002"+"0000f1100009" {
		t.Errorf("encode = %x, %v", enc, err)
	}
	if _, err := decodeTAIList(unhex(t, "2f00f1100001 0000f1100001")); err == nil {
		t.Error("17 TAIs decoded")
	}
}

func TestAPN(t *testing.T) {
	v, err := APN("ims.mnc001.mcc001.gprs").encode()
	if err != nil || hex.EncodeToString(v) != "03696d73066d6e63303031066d63633030310467707273" {
		t.Fatalf("encode = %x, %v", v, err)
	}
	long := APN(strings.Repeat("x", 64))
	tooLong := APN(strings.Repeat("abcdefghi.", 10) + "x")
	for _, bad := range []APN{"", ".", "a.", long, tooLong} {
		if _, err := bad.encode(); err == nil {
			t.Errorf("APN %q encoded", bad)
		}
	}
	if _, err := decodeAPN([]byte{3, 'a', '.', 'b'}); err == nil {
		t.Error("label with a dot decoded")
	}
}

// TestGSM7 checks the packing against the classic SMS example: "hellohello"
// packs to e8329bfd4697d9ec37 (GSM 03.38 / TS 23.038 6.1.2.1.1).
func TestGSM7(t *testing.T) {
	septets, ok := toGSM7("hellohello")
	if !ok {
		t.Fatal("not GSM 7-bit")
	}
	packed, spare := packGSM7(septets)
	if hex.EncodeToString(packed) != "e8329bfd4697d9ec37" || spare != 2 {
		t.Fatalf("packed %x, %d spare bits", packed, spare)
	}
	for _, s := range []string{"", "a", "corebox", "8 chars!", "@$_ Lab-1 (test)?"} {
		n := NetworkName{Text: s}
		v, err := n.encode()
		if err != nil || v[0]>>4&7 != codingGSM7 {
			t.Fatalf("%q: %x, %v", s, v, err)
		}
		back, err := decodeNetworkName(v)
		if err != nil || back != n {
			t.Errorf("%q round trips to %q, %v", s, back.Text, err)
		}
	}
}

func TestTimeZoneAndTime(t *testing.T) {
	for _, c := range []struct {
		z TimeZone
		o byte
	}{{0, 0x00}, {8, 0x80}, {-20, 0x0A}, {22, 0x22}, {-79, 0x9F}} {
		o, err := c.z.encode()
		if err != nil || o != c.o {
			t.Errorf("TimeZone(%d) = %02x, %v; want %02x", c.z, o, err, c.o)
		}
		if back, _ := decodeTimeZone(o); back != c.z {
			t.Errorf("%02x decodes to %d", o, back)
		}
	}
	v, err := TimeAndZone{Time: time.Date(2026, 12, 31, 23, 59, 58, 0, time.FixedZone("x", 3600)), Zone: 4}.encode()
	if err != nil || hex.EncodeToString(v) != "62211322958540" {
		t.Errorf("time = %x, %v", v, err)
	}
	if _, err := (TimeAndZone{Time: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}).encode(); err == nil {
		t.Error("year 1999 encoded")
	}
}

func TestGPRSTimer(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want GPRSTimer
	}{{0, GPRSTimer{TimerUnit2s, 0}}, {60 * time.Second, GPRSTimer{TimerUnit2s, 30}}, {12 * time.Minute, GPRSTimer{TimerUnitMinute, 12}},
		{54 * time.Minute, GPRSTimer{TimerUnitDecihour, 9}}, {186 * time.Minute, GPRSTimer{TimerUnitDecihour, 31}}} {
		got, err := NewGPRSTimer(c.d)
		if err != nil || got != c.want {
			t.Errorf("NewGPRSTimer(%v) = %+v, %v", c.d, got, err)
		}
		if d, ok := got.Duration(); !ok || d != c.d {
			t.Errorf("%+v.Duration() = %v, %v", got, d, ok)
		}
	}
	for _, d := range []time.Duration{7 * time.Second, 192 * time.Minute, -time.Minute} {
		if _, err := NewGPRSTimer(d); err == nil {
			t.Errorf("NewGPRSTimer(%v) accepted", d)
		}
	}
	if _, ok := TimerDeactivated.Duration(); ok {
		t.Error("deactivated timer has a duration")
	}
	if got := decodeGPRSTimer(0x65); got != (GPRSTimer{TimerUnitMinute, 5}) {
		t.Errorf("unit 3 decodes to %+v, want minutes", got)
	}
}

func TestPCO(t *testing.T) {
	p := testPCOResponse()
	if dns := p.IPv4s(PCODNSServerIPv4); len(dns) != 2 || dns[1] != netip.MustParseAddr("8.8.4.4") {
		t.Errorf("DNS servers %v", dns)
	}
	if c, ok := p.Find(PCOPCSCFIPv4); !ok || hex.EncodeToString(c) != "0a2d0001" {
		t.Errorf("P-CSCF %x, %v", c, ok)
	}
	if p.Has(PCOIPCP) {
		t.Error("Has reports a container that is not there")
	}
	v, err := p.encode()
	if err != nil || hex.EncodeToString(v) != "80000d0408080808000d0408080404000c040a2d0001" {
		t.Errorf("encode = %x, %v", v, err)
	}
	if err := p.AddIPv4(PCOPCSCFIPv4, netip.MustParseAddr("::1")); !errors.Is(err, ErrInvalid) {
		t.Errorf("IPv6 in an IPv4 container: %v", err)
	}
	req := testPCORequest()
	if !req.Has(PCODNSServerIPv4) || !req.Has(PCOPCSCFIPv4) {
		t.Error("request containers missing")
	}
}

func TestCapabilitiesAndStatus(t *testing.T) {
	sc := testUECap.SecurityCapability()
	if sc.EEA != testUECap.EEA || !reflect.DeepEqual(sc.Extra, []byte{0xE0, 0x60}) {
		t.Errorf("replayed capability %+v", sc)
	}
	if !sc.SupportsEEA(EEA2) || sc.SupportsEEA(EEA3) || !sc.SupportsEIA(EIA1) || sc.SupportsEIA(EIA0) || sc.SupportsEEA(9) {
		t.Errorf("Supports* wrong for %+v", sc)
	}
	s := EPSBearerContextStatus(1<<5 | 1<<15)
	if !s.Active(5) || s.Active(6) || !s.Active(15) || s.Active(16) || hex.EncodeToString(s.encode()) != "2080" {
		t.Errorf("bearer status %04x encodes %x", uint16(s), s.encode())
	}
}

func TestEPSMobileIdentityEncoding(t *testing.T) {
	cases := []struct {
		id  EPSMobileIdentity
		hex string
	}{
		{IMSIIdentity("001010000000001"), "0910100000000010"},
		{IMSIIdentity("31041012345678"), "31011410325476f8"},
		{GUTIIdentity(testGUTI), "f600f110800101c0de0001"},
		{EPSMobileIdentity{Type: EPSIdentityIMEI, Digits: "353490069873319"}, "3b35940096783391"},
	}
	for _, c := range cases {
		v, err := c.id.encode()
		if err != nil || hex.EncodeToString(v) != c.hex {
			t.Errorf("%+v encodes to %x, %v; want %s", c.id, v, err, c.hex)
			continue
		}
		back, err := decodeEPSMobileIdentity(v)
		if err != nil || back != c.id {
			t.Errorf("%s decodes to %+v, %v", c.hex, back, err)
		}
	}
}
