package simkit

import (
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestAddrList(t *testing.T) {
	tests := []struct {
		in   string
		want AddrList
		err  bool
	}{
		{`a: 10.0.0.1`, AddrList{"10.0.0.1"}, false},
		{`a: ""`, nil, false},
		{`a: [10.0.0.1, "10.0.0.2:36412"]`, AddrList{"10.0.0.1", "10.0.0.2:36412"}, false},
		{`a: {x: 1}`, nil, true},
	}
	for _, tt := range tests {
		var v struct{ A AddrList }
		err := yaml.Unmarshal([]byte(tt.in), &v)
		if (err != nil) != tt.err || !slices.Equal(v.A, tt.want) {
			t.Errorf("%s: %v, %v; want %v (error %v)", tt.in, v.A, err, tt.want, tt.err)
		}
	}
}

func TestCheckListen(t *testing.T) {
	for hp, ok := range map[string]bool{":9090": true, "10.0.0.1:4997": true, "[::1]:0": true,
		"host:1": false, "10.0.0.1": false, "10.0.0.1:70000": false, "10.0.0.1:x": false} {
		if err := CheckListen("k", hp); (err == nil) != ok {
			t.Errorf("CheckListen(%q) = %v, want ok %v", hp, err, ok)
		}
	}
}
