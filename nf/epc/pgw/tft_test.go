package pgw

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

func udp(src, dst string) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	p := make([]byte, 28)
	p[0], p[9] = 0x45, 17
	a, b := s.Addr().As4(), d.Addr().As4()
	copy(p[12:], a[:])
	copy(p[16:], b[:])
	p[20], p[21], p[22], p[23] = byte(s.Port()>>8), byte(s.Port()), byte(d.Port()>>8), byte(d.Port())
	return p
}

func TestParseFlowAndMatch(t *testing.T) {
	tests := []struct {
		rule    string
		match   []string // "src dst" packets that match
		nomatch []string
	}{
		{"permit out 17 from 10.47.0.10 5004 to assigned 6000",
			[]string{"10.47.0.10:5004 10.47.0.2:6000"},
			[]string{"10.47.0.10:5005 10.47.0.2:6000", "10.47.0.11:5004 10.47.0.2:6000", "10.47.0.10:5004 10.47.0.2:6001"}},
		{"permit out ip from 192.0.2.0/24 to any",
			[]string{"192.0.2.7:1 10.0.0.1:2", "192.0.2.255:9 10.0.0.1:9"},
			[]string{"192.0.3.1:1 10.0.0.1:2"}},
		{"permit out 17 from 10.47.0.2 6000 to 10.47.0.10 5004", // uplink-written: turned round
			[]string{"10.47.0.10:5004 10.47.0.2:6000"},
			[]string{"10.47.0.2:6000 10.47.0.10:5004"}},
		{"permit in 17 from assigned 6000 to 10.47.0.10 5004",
			[]string{"10.47.0.10:5004 10.47.0.2:6000"},
			[]string{"10.47.0.10:5004 10.47.0.2:6001"}},
		{"permit out 17 from any 5000-5010 to 10.46.0.2",
			[]string{"1.2.3.4:5000 10.46.0.2:9", "1.2.3.4:5010 10.46.0.2:1"},
			[]string{"1.2.3.4:4999 10.46.0.2:9", "1.2.3.4:5000 10.46.0.3:9"}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			pf, err := parseFlow(tt.rule, netip.MustParseAddr("10.47.0.2"))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.match {
				var src, dst string
				fmtSscan(t, m, &src, &dst)
				if !pf.matchDownlink(udp(src, dst)) {
					t.Errorf("%s does not match", m)
				}
			}
			for _, m := range tt.nomatch {
				var src, dst string
				fmtSscan(t, m, &src, &dst)
				if pf.matchDownlink(udp(src, dst)) {
					t.Errorf("%s matches", m)
				}
			}
		})
	}
}

func TestParseFlowErrors(t *testing.T) {
	for _, rule := range []string{
		"", "deny out 17 from any to any", "permit up 17 from any to any", "permit out udp from any to any",
		"permit out 17 from 2001:db8::1 to any", "permit out 17 from any 0 to any", "permit out 17 from any 9-1 to any",
		"permit out 17 from any to any frag", "permit out 17 to any from any",
	} {
		if _, err := parseFlow(rule, netip.Addr{}); err == nil {
			t.Errorf("%q accepted", rule)
		}
	}
}

// The TFT IE encodes and decodes to the same filters.
func TestTFTRoundTrip(t *testing.T) {
	pfs, err := filtersOf(Rule{Name: "r", Precedence: 7, Flows: []string{
		"permit out 17 from 10.47.0.10 5004 to assigned 6000", "permit out 6 from 192.0.2.0/24 80-90 to any",
		"permit out 17 from 10.47.0.2 6000 to 10.47.0.10 5004", "permit in 17 from 10.47.0.2 6000 to 10.47.0.10 5004"}},
		1, netip.MustParseAddr("10.47.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tftIE(pfs).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ie.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	tft, err := back.TrafficFlowTemplate()
	if err != nil {
		t.Fatal(err)
	}
	// The uplink-written flow and its "in" twin make one filter.
	if tft.OperationCode != ie.TFTOpCreateNewTFT || len(tft.PacketFilters) != 3 {
		t.Fatalf("TFT %+v", tft)
	}
	f0 := tft.PacketFilters[0]
	if f0.Identifier != 1 || f0.EvaluationPrecedence != 7 || f0.Direction != ie.TFTPFBidirectional || len(f0.Components) != 4 {
		t.Errorf("filter 0: %+v", f0)
	}
	if f1 := tft.PacketFilters[1]; f1.Identifier != 2 || len(f1.Components) != 3 {
		t.Errorf("filter 1: %+v", f1)
	}
	if f2 := tft.PacketFilters[2]; f2.Identifier != 3 || len(f2.Components) != 5 {
		t.Errorf("filter 2: %+v", f2)
	}
}

func fmtSscan(t *testing.T, s string, a, b *string) {
	t.Helper()
	if _, err := fmt.Sscan(s, a, b); err != nil {
		t.Fatal(err)
	}
}
