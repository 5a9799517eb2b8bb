package smf

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

func mustRange(first, last string) addrRange {
	return addrRange{first: addrU32(netip.MustParseAddr(first)), last: addrU32(netip.MustParseAddr(last))}
}

// TestSliceAllocation: every usable address once, never the pool's
// network and broadcast, next-fit reuse, double release refused.
func TestSliceAllocation(t *testing.T) {
	p := newDNNPool("internet", netip.MustParsePrefix("10.45.0.0/24"), 0)
	s, err := p.sliceFor("upf-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.Addr]bool{}
	for range 254 {
		a, err := s.alloc()
		if err != nil {
			t.Fatal(err)
		}
		if seen[a] || a == netip.MustParseAddr("10.45.0.0") || a == netip.MustParseAddr("10.45.0.255") {
			t.Fatalf("handed out %v (seen before: %v)", a, seen[a])
		}
		seen[a] = true
	}
	if _, err := s.alloc(); !errors.Is(err, errPoolExhausted) {
		t.Fatalf("255th allocation: %v", err)
	}
	if p.inUse.Load() != 254 || p.usable.Load() != 254 || s.free() != 0 {
		t.Errorf("in use %d, usable %d, free %d", p.inUse.Load(), p.usable.Load(), s.free())
	}
	freed := netip.MustParseAddr("10.45.0.77")
	if !s.release(freed) || s.release(freed) {
		t.Fatal("release: first must succeed, second must not")
	}
	for _, bad := range []string{"10.45.0.0", "10.45.0.255", "10.46.0.1", "::1"} {
		if s.release(netip.MustParseAddr(bad)) {
			t.Errorf("released %s", bad)
		}
	}
	if a, err := s.alloc(); err != nil || a != freed {
		t.Errorf("after release got %v %v, want %v", a, err, freed)
	}
	// Next-fit: with room everywhere, a freed address waits its turn.
	s2, _ := newDNNPool("x", netip.MustParsePrefix("10.1.0.0/29"), 0).sliceFor("u", nil)
	a1, _ := s2.alloc()
	s2.release(a1)
	if a2, _ := s2.alloc(); a2 == a1 {
		t.Errorf("freed %v handed out again at once", a1)
	}
}

// TestPoolSlices: advertised ranges are used as they are (clipped to the
// pool); other UPFs get carved subnets; overlaps and outsiders fail.
func TestPoolSlices(t *testing.T) {
	p := newDNNPool("internet", netip.MustParsePrefix("10.45.0.0/16"), 18)
	a, err := p.sliceFor("a", []addrRange{mustRange("10.45.0.0", "10.45.63.255")})
	if err != nil || a.r != mustRange("10.45.0.0", "10.45.63.255") {
		t.Fatalf("advertised slice %v %v", a, err)
	}
	if again, _ := p.sliceFor("a", nil); again != a {
		t.Error("a UPF got a second slice")
	}
	b, err := p.sliceFor("b", nil)
	if err != nil || b.r != mustRange("10.45.64.0", "10.45.127.255") {
		t.Fatalf("carved slice %v %v, want the first free /18", b.r, err)
	}
	clipped, err := p.sliceFor("c", []addrRange{mustRange("10.45.192.0", "10.46.255.255")})
	if err != nil || clipped.r != mustRange("10.45.192.0", "10.45.255.255") {
		t.Fatalf("clipped slice %v %v", clipped.r, err)
	}
	if _, err := p.sliceFor("d", []addrRange{mustRange("10.45.100.0", "10.45.100.255")}); !errors.Is(err, errNoSlice) {
		t.Errorf("overlapping range: %v", err)
	}
	if _, err := p.sliceFor("e", []addrRange{mustRange("10.99.0.0", "10.99.0.255")}); !errors.Is(err, errNoSlice) {
		t.Errorf("range outside the pool: %v", err)
	}
	if _, err := p.sliceFor("f", nil); err != nil {
		t.Errorf("the last /18: %v", err)
	}
	if _, err := p.sliceFor("g", nil); !errors.Is(err, errNoSlice) {
		t.Errorf("pool fully sliced: %v", err)
	}
	// The broadcast address is in c's slice and never handed out there.
	if clipped.usable != 64*256-1 || a.usable != 64*256-1 || b.usable != 64*256 {
		t.Errorf("usable: a %d b %d c %d", a.usable, b.usable, clipped.usable)
	}
}

// TestSessionRulesEncode: the rules survive PFCP encoding (what a UPF
// decodes is what we built).
func TestSessionRulesEncode(t *testing.T) {
	e := &dnnEntry{name: "internet"}
	c := &smContext{entry: e, ueAddr: netip.MustParseAddr("10.45.0.9"),
		qos: qos{fiveQI: 9, arp: 8, ambr: bitrates{UL: 100e6, DL: 300e6}}}
	s := sessionRules(c)
	if s.QERs[0].MBR.UL != 100000 || s.QERs[0].MBR.DL != 300000 {
		t.Errorf("MBR %+v kbit/s, want the AMBR 100000/300000", s.QERs[0].MBR)
	}
	for _, p := range s.PDRs {
		back, err := pfcp.ParseCreatePDR(pfcp.CreatePDRIE(&p))
		if err != nil || dump(back) != dump(p) {
			t.Errorf("PDR %d: %s (%v), want %s", p.ID, dump(back), err, dump(p))
		}
	}
	for _, f := range append(s.FARs, forwardFAR(mustTunnel()), bufferNotifyFAR()) {
		back, err := pfcp.ParseCreateFAR(pfcp.CreateFARIE(&f))
		if err != nil || dump(back) != dump(f) {
			t.Errorf("FAR %d: %s (%v), want %s", f.ID, dump(back), err, dump(f))
		}
	}
	for _, m := range []*pfcp.Modification{forwardDownlink(mustTunnel()), bufferDownlink()} {
		back, err := pfcp.ParseUpdateFAR(pfcp.UpdateFARIE(&m.UpdateFARs[0]))
		if err != nil || dump(back) != dump(m.UpdateFARs[0]) {
			t.Errorf("update FAR: %s (%v), want %s", dump(back), err, dump(m.UpdateFARs[0]))
		}
	}
}

func mustTunnel() n2.GTPTunnel {
	return n2.GTPTunnel{Addr: netip.MustParseAddr("192.0.2.77"), TEID: gnbTEID}
}
