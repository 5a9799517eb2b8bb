package profiles

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// addrs is a lookup over a fixed table.
func addrs(table map[string][]string) func(nf, network string) ([]string, error) {
	return func(nf, network string) ([]string, error) {
		a, ok := table[nf+"."+network]
		if !ok {
			return nil, fmt.Errorf("%s has no instances yet", nf)
		}
		return a, nil
	}
}

func TestResolveRefs(t *testing.T) {
	lookup := addrs(map[string][]string{
		"nrf.sbi": {"10.1.0.2"},
		"upf.n4":  {"10.4.0.2", "10.4.0.3", "10.4.0.4"},
	})
	config := map[string]any{
		"nrf":    "http://${nrf.sbi}:8000",
		"upfs":   "${upf.n4[*]}",
		"second": "${upf.n4[1]}",
		"both":   "${nrf.sbi},${upf.n4[2]}",
		"nested": map[string]any{"list": []any{"${nrf.sbi}", 7, true, nil}},
		"plain":  "no $ref here",
		"port":   8000,
		"self":   "${self.sbi}:8000",
	}
	got, err := ResolveRefs(config, lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"nrf":    "http://10.1.0.2:8000",
		"upfs":   []any{"10.4.0.2", "10.4.0.3", "10.4.0.4"},
		"second": "10.4.0.3",
		"both":   "10.1.0.2,10.4.0.4",
		"nested": map[string]any{"list": []any{"10.1.0.2", 7, true, nil}},
		"plain":  "no $ref here",
		"port":   8000,
		"self":   "${self.sbi}:8000", // the NF resolves it (nfkit.Load)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if config["nrf"] != "http://${nrf.sbi}:8000" {
		t.Error("ResolveRefs changed its input")
	}
	if got, err := ResolveRefs(nil, lookup); got != nil || err != nil {
		t.Errorf("nil config: %v, %v", got, err)
	}
}

func TestResolveRefsErrors(t *testing.T) {
	lookup := addrs(map[string][]string{"upf.n4": {"10.4.0.2"}})
	for _, tc := range []struct {
		config map[string]any
		want   string
	}{
		{map[string]any{"a": map[string]any{"b": "${smf.sbi}"}}, "config.a.b: ${smf.sbi}: smf has no instances yet"},
		{map[string]any{"a": []any{"x", "${upf.n4[1]}"}}, "config.a[1]: ${upf.n4[1]}: replica 1 has no address (upf has 1 on n4)"},
		{map[string]any{"a": "x${upf.n4[*]}"}, "config.a: ${upf.n4[*]}: a list of addresses must be the whole value"},
		{map[string]any{"a": "${mcc}"}, "config.a: ${mcc} is a variable, not an address reference (variables are substituted when the profile loads)"},
		{map[string]any{"a.b": "${upf"}, `config["a.b"]: unclosed ${ in "${upf"`},
	} {
		_, err := ResolveRefs(tc.config, lookup)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v\nwant %s", tc.config, err, tc.want)
		}
	}
	// The lookup's own error stays reachable.
	sentinel := errors.New("down")
	_, err := ResolveRefs(map[string]any{"a": "${x.y}"}, func(string, string) ([]string, error) { return nil, sentinel })
	if !errors.Is(err, sentinel) {
		t.Errorf("error %v does not wrap the lookup's", err)
	}
}

func TestResolveSelfIndex(t *testing.T) {
	table := addrs(map[string][]string{"nrf.sbi": {"10.1.0.2"}, "self.index": {"2"}})
	got, err := ResolveRefs(map[string]any{"slice": "${self.index}", "name": "upf-${self.index}", "own": "${self.n3}"}, table)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"slice": 2, "name": "upf-2", "own": "${self.n3}"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if s, err := ResolveString("I=${self.index}", table); err != nil || s != "I=2" {
		t.Errorf("env: %q, %v", s, err)
	}
	// Without a replica to ask about (lookup has none), it is an error.
	if _, err := ResolveRefs(map[string]any{"slice": "${self.index}"}, addrs(nil)); err == nil ||
		!strings.Contains(err.Error(), "config.slice: ${self.index}: self has no instances yet") {
		t.Errorf("no replica: %v", err)
	}
}

func TestResolveString(t *testing.T) {
	lookup := addrs(map[string][]string{"nrf.sbi": {"10.1.0.2", "10.1.0.3"}})
	if got, err := ResolveString("NRF=${nrf.sbi[1]}", lookup); err != nil || got != "NRF=10.1.0.3" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := ResolveString("${nrf.sbi[*]}", lookup); err == nil || !strings.Contains(err.Error(), "a list of addresses cannot stand in a string") {
		t.Errorf("list in a string: %v", err)
	}
}

func TestReferences(t *testing.T) {
	nf := NF{
		Name: "smf",
		Config: map[string]any{
			"z":   "${nrf.sbi}",
			"a":   []any{"${upf.n4[*]}", "${upf.n4[1]}"},
			"dup": "http://${nrf.sbi}/",
		},
		Env:  []string{"SELF=${smf.sbi}", "OWN=${self.sbi}"},
		Args: []string{"--pcf", "${pcf.sbi[0]}"},
	}
	want := []Ref{
		{NF: "upf", Network: "n4", All: true},
		{NF: "upf", Network: "n4", Index: 1},
		{NF: "nrf", Network: "sbi"},
		{NF: "smf", Network: "sbi"},
		{NF: "pcf", Network: "sbi"},
	}
	if got := nf.References(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if s := want[0].String() + want[1].String() + want[2].String(); s != "${upf.n4[*]}${upf.n4[1]}${nrf.sbi}" {
		t.Errorf("String: %s", s)
	}
}

func TestReferencesOfLoadedProfile(t *testing.T) {
	p, err := LoadShipped("demo", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, nf := range p.NFs {
		refs := nf.References()
		if nf.Name == "control" {
			if !reflect.DeepEqual(refs, []Ref{{NF: "registry", Network: "sbi"}}) {
				t.Errorf("control refers to %+v, want ${registry.sbi}", refs)
			}
			got, err := ResolveString(nf.Env[0], addrs(map[string][]string{"registry.sbi": {"10.201.0.2"}}))
			if err != nil || got != "REGISTRY=10.201.0.2" {
				t.Errorf("env %q, %v", got, err)
			}
		} else if len(refs) != 0 {
			t.Errorf("%s refers to %+v", nf.Name, refs)
		}
	}
}
