package pgw

import (
	"net/netip"
	"slices"
	"testing"
)

func TestPoolAllocRelease(t *testing.T) {
	tests := []struct {
		cidr string
		want int // usable addresses
	}{
		{"10.46.0.0/30", 2},
		{"10.46.0.0/29", 6},
		{"10.46.0.0/24", 254},
		{"10.46.0.0/22", 1022},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			pfx := netip.MustParsePrefix(tt.cidr)
			p := newPool(pfx)
			seen := map[netip.Addr]bool{}
			for range tt.want {
				a, ok := p.alloc()
				if !ok {
					t.Fatalf("exhausted after %d", len(seen))
				}
				if !pfx.Contains(a) || a == pfx.Addr() || seen[a] {
					t.Fatalf("bad or repeated address %s", a)
				}
				seen[a] = true
			}
			if a, ok := p.alloc(); ok {
				t.Fatalf("allocated %s past exhaustion", a)
			}
			if p.inUse() != tt.want {
				t.Errorf("inUse %d", p.inUse())
			}
			// Release one: it is the only one left, so it comes back.
			var one netip.Addr
			for a := range seen {
				one = a
				break
			}
			p.release(one)
			p.release(one) // twice: no effect
			p.release(netip.MustParseAddr("192.0.2.1"))
			if a, ok := p.alloc(); !ok || a != one {
				t.Fatalf("after release got %s %v, want %s", a, ok, one)
			}
		})
	}
}

// The broadcast address is never handed out.
func TestPoolSkipsBroadcast(t *testing.T) {
	p := newPool(netip.MustParsePrefix("10.0.0.0/30"))
	a, _ := p.alloc()
	b, _ := p.alloc()
	if a != netip.MustParseAddr("10.0.0.1") || b != netip.MustParseAddr("10.0.0.2") {
		t.Errorf("got %s %s", a, b)
	}
}

// The APN's DNS and P-CSCF addresses inside the pool are never handed
// out; those outside it change nothing.
func TestPoolSkipsReserved(t *testing.T) {
	dns, pcscf := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	p := newPool(netip.MustParsePrefix("10.0.0.0/29"), dns, pcscf, dns, netip.MustParseAddr("192.0.2.1"))
	var got []netip.Addr
	for {
		a, ok := p.alloc()
		if !ok {
			break
		}
		got = append(got, a)
	}
	if len(got) != 4 || slices.Contains(got, dns) || slices.Contains(got, pcscf) {
		t.Errorf("allocated %v: want the 4 addresses .3-.6", got)
	}
}

// A released address is not reused while others are free.
func TestPoolNoImmediateReuse(t *testing.T) {
	p := newPool(netip.MustParsePrefix("10.0.0.0/24"))
	a, _ := p.alloc()
	p.release(a)
	if b, _ := p.alloc(); b == a {
		t.Errorf("reused %s at once", a)
	}
}

func TestSlicePart(t *testing.T) {
	tests := []struct {
		cidr          string
		slices, slice int
		want          string
		err           bool
	}{
		{"10.46.0.0/16", 1, 0, "10.46.0.0/16", false},
		{"10.46.0.0/16", 4, 3, "10.46.192.0/18", false},
		{"10.46.0.0/16", 3, 0, "", true},
		{"10.46.0.0/16", 4, 4, "", true},
		{"10.46.0.0/29", 4, 0, "", true},
		{"10.46.0.0/31", 1, 0, "", true},
	}
	for _, tt := range tests {
		got, err := slicePart(netip.MustParsePrefix(tt.cidr), tt.slices, tt.slice)
		if (err != nil) != tt.err || (!tt.err && got.String() != tt.want) {
			t.Errorf("slicePart(%s, %d, %d) = %s, %v", tt.cidr, tt.slices, tt.slice, got, err)
		}
	}
}
