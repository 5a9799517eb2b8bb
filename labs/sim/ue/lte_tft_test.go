package ue

import (
	"net/netip"
	"testing"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// testBearers are two dedicated bearers of default bearer 5: 6 for SIP
// (UDP 5060 to the P-CSCF /24, precedence 10) and 7 for anything to
// 10.200.0.0/16 (precedence 20), plus a downlink-only filter that must
// not steer uplink packets.
func testBearers() []*epsBearer {
	udp := uint8(17)
	return []*epsBearer{
		{ebi: 6, linked: 5, qci: 5, filters: []naseps.PacketFilter{
			{ID: 1, Direction: naseps.FilterBidirectional, Precedence: 10, Protocol: &udp,
				RemoteAddress: netip.MustParsePrefix("10.47.255.0/24"), RemotePorts: &naseps.PortRange{Low: 5060, High: 5060}},
			{ID: 2, Direction: naseps.FilterDownlink, Precedence: 5, RemoteAddress: netip.MustParsePrefix("0.0.0.0/0")},
		}},
		{ebi: 7, linked: 5, qci: 1, filters: []naseps.PacketFilter{
			{ID: 3, Direction: naseps.FilterUplink, Precedence: 20, RemoteAddress: netip.MustParsePrefix("10.200.0.0/16"),
				LocalPorts: &naseps.PortRange{Low: 1000, High: 2000}},
		}},
	}
}

func TestUplinkEBI(t *testing.T) {
	e := newEPSUE()
	e.pdns[5] = &pdnConn{ebi: 5}
	e.bearers[5] = &epsBearer{ebi: 5, linked: 5}
	e.pdns[8] = &pdnConn{ebi: 8}
	e.bearers[8] = &epsBearer{ebi: 8, linked: 8}
	for _, b := range testBearers() {
		e.bearers[b.ebi] = b
	}
	e.rebuildFilters()
	udp := func(src, dst string) []byte {
		b, err := ippkt.AppendUDP4(nil, netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst), 1, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tcp := udp("10.46.0.2:1500", "10.200.1.1:80")
	tcp[9] = 6
	frag := udp("10.46.0.2:1500", "10.47.255.10:5060")
	frag[6], frag[7] = 0x00, 0x10 // a later fragment: no ports to match
	for _, tc := range []struct {
		name   string
		linked uint8
		pkt    []byte
		want   uint8
	}{
		{"sip to the p-cscf", 5, udp("10.46.0.2:5060", "10.47.255.10:5060"), 6},
		{"sip elsewhere", 5, udp("10.46.0.2:5060", "10.48.0.1:5060"), 5},
		{"other port to the p-cscf", 5, udp("10.46.0.2:5060", "10.47.255.10:5061"), 5},
		{"local port in range", 5, udp("10.46.0.2:1500", "10.200.1.1:9"), 7},
		{"tcp, local port in range", 5, tcp, 7},
		{"local port out of range", 5, udp("10.46.0.2:3000", "10.200.1.1:9"), 5},
		{"later fragment", 5, frag, 5},
		{"other pdn", 8, udp("10.46.0.2:5060", "10.47.255.10:5060"), 8},
		{"not ipv4", 5, []byte{0x60, 0, 0, 0}, 5},
	} {
		if got := e.uplinkEBI(tc.linked, tc.pkt); got != tc.want {
			t.Errorf("%s: bearer %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestFilterString(t *testing.T) {
	got := filterString(testBearers()[0].filters[0])
	want := "id 1 prec 10 both proto 17 remote 10.47.255.0/24 rport 5060"
	if got != want {
		t.Errorf("filterString = %q, want %q", got, want)
	}
}
