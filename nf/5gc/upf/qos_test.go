package upf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at   time.Duration
		size int
		want bool
	}
	cases := []struct {
		name  string
		kbps  uint64
		steps []step
	}{
		{"unlimited", 0, []step{{0, 1 << 20, true}, {0, 1 << 20, true}}},
		// 8000 kbit/s = 1e6 octets/s: a 100 000-octet burst.
		{"burst then refill", 8000, []step{
			{0, 60000, true}, {0, 40000, true}, {0, 1, false},
			{10 * time.Millisecond, 10000, true}, {10 * time.Millisecond, 1, false},
			{time.Hour, 100000, true}, {time.Hour, 1, false}, // never more than the burst
		}},
		// 8 kbit/s = 1000 octets/s: the burst is the 3000-octet floor.
		{"slow rate keeps whole packets", 8, []step{
			{0, 1500, true}, {0, 1500, true}, {0, 1500, false},
			{time.Second, 1000, true}, {time.Second, 1, false},
		}},
		{"clock going back earns nothing", 8, []step{
			{time.Second, 3000, true}, {0, 1, false}, {time.Second, 1, false}, {2 * time.Second, 1000, true},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b tokenBucket
			b.setRate(c.kbps)
			for i, s := range c.steps {
				if got := b.allow(t0.Add(s.at), s.size); got != s.want {
					t.Fatalf("step %d (%v, %d octets): %v, want %v", i, s.at, s.size, got, s.want)
				}
			}
		})
	}
}

func TestQERRateChangeKeepsTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	q := newQERState(pfcp.QER{ID: 1, MBR: &pfcp.Bitrate{UL: 8000, DL: 0}})
	if r := q.admit(dirUL, 100000, clock); r != dropNone {
		t.Fatalf("full bucket refused: %v", r)
	}
	q.set(pfcp.QER{ID: 1, MBR: &pfcp.Bitrate{UL: 16000}}) // an update must not refill the bucket
	if r := q.admit(dirUL, 1000, clock); r != dropMBR {
		t.Fatalf("emptied bucket after a rate change: %v", r)
	}
	if r := q.admit(dirDL, 1<<20, clock); r != dropNone {
		t.Fatalf("downlink has no MBR: %v", r)
	}
	q.set(pfcp.QER{ID: 1, GateStatus: pfcp.GateStatus{DL: pfcp.GateClosed}})
	if r := q.admit(dirDL, 1, clock); r != dropQERGate {
		t.Fatalf("closed gate: %v", r)
	}
}

func TestCompileFAR(t *testing.T) {
	gnbAddr := netip.MustParseAddr("10.0.3.5")
	ohc := &pfcp.OuterHeaderCreation{TEID: 0x55, IPv4: gnbAddr}
	cases := []struct {
		name string
		far  pfcp.FAR
		ok   bool
		want farRule
	}{
		{"missing", pfcp.FAR{ID: 1}, false, farRule{id: 1, action: actDrop}},
		{"drop wins", pfcp.FAR{ID: 1, ApplyAction: pfcp.ActionDrop | pfcp.ActionForward}, true, farRule{id: 1, action: actDrop}},
		{"to gNB", pfcp.FAR{ID: 2, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
			DestinationInterface: pfcp.InterfaceAccess, OuterHeaderCreation: ohc}}, true,
			farRule{id: 2, action: actForward, encap: true, peer: netip.AddrPortFrom(gnbAddr, 2152), teid: 0x55, pduType: gtpu.PDUTypeDL}},
		{"to N9", pfcp.FAR{ID: 3, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
			DestinationInterface: pfcp.InterfaceCore, OuterHeaderCreation: ohc}}, true,
			farRule{id: 3, action: actForward, encap: true, peer: netip.AddrPortFrom(gnbAddr, 2152), teid: 0x55, pduType: gtpu.PDUTypeUL}},
		{"to N6", pfcp.FAR{ID: 4, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
			DestinationInterface: pfcp.InterfaceCore}}, true, farRule{id: 4, action: actForward}},
		{"to access, no tunnel", pfcp.FAR{ID: 5, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
			DestinationInterface: pfcp.InterfaceAccess}}, true, farRule{id: 5, action: actDrop}},
		{"buffer", pfcp.FAR{ID: 6, ApplyAction: pfcp.ActionBuffer}, true, farRule{id: 6, action: actBuffer}},
		{"buffer, notify", pfcp.FAR{ID: 7, ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP}, true,
			farRule{id: 7, action: actBuffer, notify: true}},
	}
	for _, c := range cases {
		if got := compileFAR(c.far, c.ok, 2152); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestMergeForwarding(t *testing.T) {
	old := &pfcp.ForwardingParameters{DestinationInterface: pfcp.InterfaceCore, NetworkInstance: "internet"}
	got := mergeForwarding(old, &pfcp.ForwardingParameters{NetworkInstance: "ims"})
	if got.DestinationInterface != pfcp.InterfaceCore || got.NetworkInstance != "ims" {
		t.Errorf("update without a tunnel: %+v", got)
	}
	ohc := &pfcp.OuterHeaderCreation{TEID: 9, IPv4: loopback}
	got = mergeForwarding(old, &pfcp.ForwardingParameters{DestinationInterface: pfcp.InterfaceAccess, OuterHeaderCreation: ohc})
	if got.DestinationInterface != pfcp.InterfaceAccess || got.NetworkInstance != "internet" || got.OuterHeaderCreation != ohc {
		t.Errorf("new tunnel: %+v", got)
	}
}
