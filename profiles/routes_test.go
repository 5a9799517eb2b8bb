package profiles

import (
	"encoding/json"
	"reflect"
	"testing"
)

// routes merge like depends_on: by identity (from and network together),
// the includer's items appended after the included ones.
func TestIncludeMergesRoutes(t *testing.T) {
	named := map[string]string{
		"base.yaml": `name: base
networks: [{name: n6, subnet: 10.6.0.0/24}, {name: sgi, subnet: 10.7.0.0/24}]
nfs:
  - name: upf
    kind: probe
    interfaces: [{network: n6}]
  - name: pgw
    kind: probe
    interfaces: [{network: sgi}, {network: n6}]
  - name: dn
    kind: probe
    interfaces: [{network: n6}, {network: sgi}]
    routes: [{from: upf, network: n6}, {from: pgw, network: sgi}]
`,
		"p.yaml": `name: p
include: [base.yaml]
nfs:
  - name: dn
    routes: [{network: n6, from: pgw}, {from: upf, network: n6}]
`,
	}
	p := mustLoad(t, named, nil)
	want := []Route{{From: "upf", Network: "n6"}, {From: "pgw", Network: "sgi"}, {From: "pgw", Network: "n6"}}
	if got := p.NFs[2].Routes; !reflect.DeepEqual(got, want) {
		t.Errorf("merged routes %+v, want %+v", got, want)
	}
	// The includer's item with the same identity replaced the included
	// one: a problem in it points at the includer.
	named["p.yaml"] = "name: p\ninclude: [base.yaml]\nnfs:\n  - name: dn\n    routes: [{from: upf, network: n6}, {from: upf, network: n6}]\n"
	got := problems(t, named, nil)
	wantErr := []string{`p.yaml:5:47: nfs[0].routes[1].from: routes from "upf" on "n6" are listed twice (first at line 5)`}
	if !reflect.DeepEqual(got, wantErr) {
		t.Errorf("got %q, want %q", got, wantErr)
	}
}

// A loaded profile's routes survive the JSON the orchestrator stores.
func TestRoutesRoundTripJSON(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.yaml": `name: p
networks: [{name: n6, subnet: 10.6.0.0/24}]
nfs:
  - {name: r, kind: probe, interfaces: [{network: n6}]}
  - {name: dn, kind: probe, interfaces: [{network: n6}], routes: [{from: r, network: n6}]}
`}, nil)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Profile
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if want := []Route{{From: "r", Network: "n6"}}; !reflect.DeepEqual(back.NFs[1].Routes, want) || back.NFs[0].Routes != nil {
		t.Errorf("routes after JSON: %+v and %+v", back.NFs[1].Routes, back.NFs[0].Routes)
	}
}

// routes are no dependency: routing from an NF that depends on this one
// is no cycle, and bring-up order ignores them.
func TestRoutesAreNoDependency(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.yaml": `name: p
networks: [{name: n6, subnet: 10.6.0.0/24}]
nfs:
  - {name: r, kind: probe, interfaces: [{network: n6}], depends_on: [dn]}
  - {name: dn, kind: probe, interfaces: [{network: n6}], routes: [{from: r, network: n6}]}
`}, nil)
	if refs := p.NFs[1].References(); len(refs) != 0 {
		t.Errorf("dn refers to %v", refs)
	}
}
