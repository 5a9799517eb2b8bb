package profiles

import (
	"strings"
	"testing"
)

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"256Mi", 256 << 20, ""},
		{"1Gi", 1 << 30, ""},
		{"1.5Gi", 3 << 29, ""},
		{"2Ti", 2 << 40, ""},
		{"64Ki", 64 << 10, ""},
		{"512M", 512e6, ""},
		{"64k", 64e3, ""},
		{"64K", 64e3, ""},
		{"3G", 3e9, ""},
		{"1T", 1e12, ""},
		{"4096", 4096, ""},
		{"9007199254740993", 9007199254740993, ""}, // exact, no float rounding
		{"0", 0, ""},
		{"", 0, "e.g. 256Mi"},
		{"-1Mi", 0, "e.g. 256Mi"},
		{"1 Gi", 0, "e.g. 256Mi"},
		{"1GB", 0, "e.g. 256Mi"},
		{"Inf", 0, "e.g. 256Mi"},
		{"1e3", 0, "e.g. 256Mi"},
		{"9999999Ti", 0, "too large"},
		{"99999999999999999999", 0, "too large"},
		{"9999999.5Ti", 0, "too large"},
	} {
		got, err := ParseMemory(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseMemory(%q) = %d, %v; want an error with %q", tc.in, got, err, tc.err)
		}
	}
}
