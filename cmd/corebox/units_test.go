package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/corebox/corebox/platform/container"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"256Mi", 256 << 20, false}, {"1Gi", 1 << 30, false}, {"1.5Gi", 3 << 29, false},
		{"512M", 512e6, false}, {"64k", 64e3, false}, {"4096", 4096, false},
		{"", 0, true}, {"-1Mi", 0, true}, {"lots", 0, true}, {"12Q", 0, true},
	}
	for _, tt := range tests {
		got, err := parseBytes(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "256Mi") {
			t.Errorf("parseBytes(%q) error %q gives no example", tt.in, err)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  bool
	}{
		{"100mbit", 100e6, false}, {"1Gbit", 1e9, false}, {"500kbit", 500e3, false},
		{"8000", 8000, false}, {"0mbit", 0, true}, {"fast", 0, true},
	}
	for _, tt := range tests {
		got, err := parseRate(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseRate(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"1%": 1, "0.5": 0.5, "100%": 100} {
		if got, err := parsePercent(in); err != nil || got != want {
			t.Errorf("parsePercent(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"101%", "-1", "x%"} {
		if _, err := parsePercent(in); err == nil {
			t.Errorf("parsePercent(%q) accepted", in)
		}
	}
}

func TestParseNetAndVolume(t *testing.T) {
	if r, err := parseNet("n3:10.100.3.7"); err != nil || r != (container.NetRequest{Network: "n3", IP: netip.MustParseAddr("10.100.3.7")}) {
		t.Errorf("parseNet static = %+v, %v", r, err)
	}
	if r, err := parseNet("n6"); err != nil || r.Network != "n6" || r.IP.IsValid() {
		t.Errorf("parseNet plain = %+v, %v", r, err)
	}
	for _, bad := range []string{"", ":10.0.0.1", "n3:300.1.1.1", "n3:fe80::1"} {
		if _, err := parseNet(bad); err == nil {
			t.Errorf("parseNet(%q) accepted", bad)
		}
	}
	if v, err := parseVolume("data:/var/lib/x:ro"); err != nil || v != (container.Volume{Name: "data", Path: "/var/lib/x", ReadOnly: true}) {
		t.Errorf("parseVolume ro = %+v, %v", v, err)
	}
	for _, bad := range []string{"data", "data:/x:rw", "a:b:c:d"} {
		if _, err := parseVolume(bad); err == nil {
			t.Errorf("parseVolume(%q) accepted", bad)
		}
	}
}
