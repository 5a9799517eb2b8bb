package nfkit_test

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestOpsRoutes(t *testing.T) {
	ops, srv := newOps(t, nil)
	steps := []struct {
		name     string
		network  string
		set      []netip.Prefix
		wantBody string
	}{
		{"nothing announced", "", nil, `{"routes":{}}`},
		{"sorted by address then length, masked, repeats dropped", "n6",
			prefixes("10.45.64.5/32", "10.45.0.0/18", "10.45.0.1/18", "10.45.0.0/16", "10.45.64.5/32"),
			`{"routes":{"n6":["10.45.0.0/16","10.45.0.0/18","10.45.64.5/32"]}}`},
		{"a second network, keys sorted", "n3", prefixes("10.1.0.0/24"),
			`{"routes":{"n3":["10.1.0.0/24"],"n6":["10.45.0.0/16","10.45.0.0/18","10.45.64.5/32"]}}`},
		{"replace one network's set", "n6", prefixes("10.46.0.0/16"),
			`{"routes":{"n3":["10.1.0.0/24"],"n6":["10.46.0.0/16"]}}`},
		{"invalid prefixes are dropped", "n6", []netip.Prefix{{}, netip.MustParsePrefix("10.47.0.0/16")},
			`{"routes":{"n3":["10.1.0.0/24"],"n6":["10.47.0.0/16"]}}`},
		{"empty withdraws", "n3", []netip.Prefix{}, `{"routes":{"n6":["10.47.0.0/16"]}}`},
		{"nil withdraws", "n6", nil, `{"routes":{}}`},
		{"only invalid withdraws", "n6", []netip.Prefix{{}}, `{"routes":{}}`},
	}
	for _, s := range steps {
		if s.network != "" {
			ops.SetRoutes(s.network, s.set)
		}
		code, body := nfkittest.Do(t, "GET", srv.URL+"/routes", "")
		if code != 200 || body != s.wantBody+"\n" {
			t.Errorf("%s: GET /routes = %d %q, want 200 %q", s.name, code, body, s.wantBody)
		}
	}
	if code, _ := nfkittest.Do(t, "POST", srv.URL+"/routes", ""); code != 405 {
		t.Errorf("POST /routes = %d, want 405", code)
	}
}

// The body decodes back into what Routes reports.
func TestOpsRoutesRoundTrip(t *testing.T) {
	ops, srv := newOps(t, nil)
	ops.SetRoutes("n6", prefixes("10.45.64.0/18", "10.45.0.0/18"))
	ops.SetRoutes("", prefixes("10.9.0.0/16")) // no network: ignored
	_, body := nfkittest.Do(t, "GET", srv.URL+"/routes", "")
	var got nfkit.RoutesStatus
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][]netip.Prefix{"n6": prefixes("10.45.0.0/18", "10.45.64.0/18")}
	if !reflect.DeepEqual(got.Routes, want) || !reflect.DeepEqual(ops.Routes(), want) {
		t.Errorf("decoded %v, Routes() %v, want %v", got.Routes, ops.Routes(), want)
	}
	// Routes hands out a copy.
	ops.Routes()["n6"][0] = netip.MustParsePrefix("1.0.0.0/8")
	if !reflect.DeepEqual(ops.Routes(), want) {
		t.Errorf("Routes() shares its slices: %v", ops.Routes())
	}
}
