package pcrf

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/corebox/corebox/nf/proto/diameter"
)

func TestRxToGx(t *testing.T) {
	ue := netip.MustParseAddr("10.46.0.2")
	dl, ul := diameter.FlowDirectionDownlink, diameter.FlowDirectionUplink
	tests := []struct {
		name, rx, gx string
		dir          uint32
	}{
		{"downlink as is", "permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000",
			"permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", dl},
		{"uplink in turned round", "permit in 17 from 10.46.0.2 40000 to 10.0.0.1 50000",
			"permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", ul},
		{"uplink written out turned round", "permit out 17 from 10.46.0.2 40000 to 10.0.0.1 50000",
			"permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", ul},
		{"extra blanks", "permit  out 17  from 10.0.0.1 50000 to 10.46.0.2 40000",
			"permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", dl},
		{"no ports, any protocol", "permit out ip from 10.0.0.0/24 to 10.46.0.2", "permit out ip from 10.0.0.0/24 to 10.46.0.2", dl},
		{"port ranges and lists", "permit in 6 from 10.46.0.2 1000-1010,2000 to any 80",
			"permit out 6 from any 80 to 10.46.0.2 1000-1010,2000", ul},
		{"IPv6", "permit out 17 from 2001:db8::1 5000 to 2001:db8::2 6000", "permit out 17 from 2001:db8::1 5000 to 2001:db8::2 6000", dl},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := rxToGx(tc.rx, ue)
			if err != nil {
				t.Fatal(err)
			}
			if f.Description != tc.gx || f.Direction != tc.dir {
				t.Errorf("got %q dir %d, want %q dir %d", f.Description, f.Direction, tc.gx, tc.dir)
			}
			// A Gx description reads back to itself.
			r, err := parseIPFilter(f.Description)
			if err != nil || r.String() != f.Description {
				t.Errorf("Gx form %q reads back as %q (%v)", f.Description, r.String(), err)
			}
		})
	}
}

func TestRxToGxRefuses(t *testing.T) {
	ue := netip.MustParseAddr("10.46.0.2")
	for _, rx := range []string{
		"",
		"deny out 17 from 10.0.0.1 to 10.46.0.2",
		"permit both 17 from 10.0.0.1 to 10.46.0.2",
		"permit out udp from 10.0.0.1 to 10.46.0.2",
		"permit out 256 from 10.0.0.1 to 10.46.0.2",
		"permit out 17 from 10.0.0.1 to assigned",
		"permit out 17 from !10.0.0.1 to 10.46.0.2",
		"permit out 17 from 10.0.0.1 70000 to 10.46.0.2",
		"permit out 17 from 10.0.0.1 60-50 to 10.46.0.2",
		"permit out 17 from 10.0.0.1 5000 to 10.46.0.2 6000 frag",
		"permit out 17 to 10.46.0.2 from 10.0.0.1",
		"permit out 17 from 10.0.0.1/33 to 10.46.0.2",
		"permit out 17 from fe80::1%eth0 to 10.46.0.2",
	} {
		if f, err := rxToGx(rx, ue); !errors.Is(err, errFilter) {
			t.Errorf("%q: got %+v, %v; want an errFilter", rx, f, err)
		}
	}
}
