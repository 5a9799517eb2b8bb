package profiles

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestVariables(t *testing.T) {
	yaml := `name: p
variables:
  n: 2
  mcc: "001"
  subnet: 10.1.0.0/24
networks: [{name: sbi, subnet: "${subnet}"}]
nfs:
  - name: a
    kind: probe
    replicas: ${n}
    config:
      plmn: ${mcc}-01
      mcc_text: "${mcc}"
      mcc_plain: ${mcc}
      url: http://${a.sbi}:${n}
    interfaces: [{network: sbi}]
`
	p := mustLoad(t, map[string]string{"p.yaml": yaml}, nil)
	a := p.NFs[0]
	if a.Replicas != 2 {
		t.Errorf("replicas %d, want 2 from ${n}", a.Replicas)
	}
	wantCfg := map[string]any{"plmn": "001-01", "mcc_text": "001", "mcc_plain": 1, "url": "http://${a.sbi}:2"}
	if !reflect.DeepEqual(a.Config, wantCfg) {
		t.Errorf("config %#v\nwant %#v", a.Config, wantCfg)
	}
	p = mustLoad(t, map[string]string{"p.yaml": yaml}, map[string]string{"n": "3", "subnet": "10.7.0.0/16"})
	if p.NFs[0].Replicas != 3 || network(p, "sbi").Subnet != "10.7.0.0/16" {
		t.Errorf("--set: replicas %d subnet %s", p.NFs[0].Replicas, network(p, "sbi").Subnet)
	}
	if !reflect.DeepEqual(p.Variables, map[string]string{"n": "3", "mcc": "001", "subnet": "10.7.0.0/16"}) {
		t.Errorf("variables %v: the values used", p.Variables)
	}
}

func TestDefaults(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.yaml": `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: nrf
    kind: probe
  - name: app
    image: example.org/app:1
    depends_on: [nrf]
  - name: web
    image: example.org/web:1
    readiness: {http: /ok}
    drain: {http: /quiesce, port: 8081}
  - name: gw
    kind: probe
    readiness: {port: 9999}
    drain: {disabled: true}
    scaling: {min: 2, max: 5, metric: cpu, target: 0.7}
  - name: dn
    kind: dn
    replicas: 0
    readiness: {udp: 7, interval: 2s}
`}, nil)
	if n := network(p, "sbi"); n.Type != "bridge" {
		t.Errorf("network type %q, want bridge", n.Type)
	}
	ms := time.Millisecond
	want := map[string]struct {
		replicas  int
		readiness Probe
		drain     Drain
	}{
		"nrf": {1, Probe{HTTP: "/readyz", Port: OpsPort, Interval: 500 * ms, Timeout: time.Second}, Drain{HTTP: "/drain", Port: OpsPort, Timeout: 30 * time.Second}},
		"app": {1, Probe{Interval: 500 * ms, Timeout: time.Second}, Drain{Disabled: true}},
		"web": {1, Probe{HTTP: "/ok", Port: OpsPort, Interval: 500 * ms, Timeout: time.Second}, Drain{HTTP: "/quiesce", Port: 8081, Timeout: 30 * time.Second}},
		"gw":  {2, Probe{HTTP: "/readyz", Port: 9999, Interval: 500 * ms, Timeout: time.Second}, Drain{Disabled: true}},
		"dn":  {0, Probe{UDP: 7, Interval: 2 * time.Second, Timeout: time.Second}, Drain{HTTP: "/drain", Port: OpsPort, Timeout: 30 * time.Second}},
	}
	for _, nf := range p.NFs {
		w := want[nf.Name]
		if nf.Replicas != w.replicas || nf.Readiness != w.readiness || nf.Drain != w.drain || nf.Restart != RestartAlways {
			t.Errorf("%s: replicas %d readiness %+v drain %+v restart %q\nwant %d %+v %+v always", nf.Name, nf.Replicas, nf.Readiness, nf.Drain, nf.Restart, w.replicas, w.readiness, w.drain)
		}
	}
	if !p.NFs[1].Readiness.None() || p.NFs[0].Readiness.None() {
		t.Error("an image without a check is ready once started; a kind is not")
	}
	if d := p.NFs[1].DependsOn; len(d) != 1 || d[0].Condition != ConditionReady {
		t.Errorf("depends_on %+v, want condition ready", d)
	}
	if s := p.NFs[3].Scaling; s.Cooldown != 60*time.Second {
		t.Errorf("cooldown %v, want 60s", s.Cooldown)
	}
}

func TestMgmt(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.yaml": `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    interfaces: [{network: sbi}]
  - name: b
    kind: probe
`}, nil)
	if p.Networks[0] != (Network{Name: MgmtNetwork, Type: "bridge"}) || len(p.Networks) != 2 {
		t.Errorf("networks %+v, want mgmt (subnet allocated) first", p.Networks)
	}
	for _, nf := range p.NFs {
		if nf.Interfaces[0].Network != MgmtNetwork {
			t.Errorf("%s interfaces %+v, want mgmt first", nf.Name, nf.Interfaces)
		}
	}

	// A declared mgmt keeps its subnet and its place; an NF's own mgmt
	// interface (with its address) is not doubled.
	p = mustLoad(t, map[string]string{"p.yaml": `name: p
networks:
  - {name: sbi, subnet: 10.1.0.0/24}
  - {name: mgmt, subnet: 10.250.0.0/24}
nfs:
  - name: a
    kind: probe
    interfaces: [{network: sbi}, {network: mgmt, addresses: [10.250.0.5]}]
`}, nil)
	if len(p.Networks) != 2 || p.Networks[1].Subnet != "10.250.0.0/24" {
		t.Errorf("networks %+v", p.Networks)
	}
	want := []Interface{{Network: "sbi"}, {Network: MgmtNetwork, Addresses: []string{"10.250.0.5"}}}
	if !reflect.DeepEqual(p.NFs[0].Interfaces, want) {
		t.Errorf("interfaces %+v, want %+v", p.NFs[0].Interfaces, want)
	}
}

func TestFind(t *testing.T) {
	opts := LoadOptions{Files: files(map[string]string{"x/p.yaml": "name: x\nnfs: [{name: a, kind: probe}]\n"})}
	if p, err := Find("x/p.yaml", opts); err != nil || p.Name != "x" || p.Source != "x/p.yaml" {
		t.Errorf("Find(path) = %v, %v", p, err)
	}
	if p, err := LoadShipped("demo", LoadOptions{}); err != nil || p.Source != "shipped:demo" {
		t.Errorf("LoadShipped(demo) = %v, %v", p, err)
	}
	_, err := Find("dmeo", LoadOptions{})
	if err == nil || err.Error() != `dmeo: no shipped profile "dmeo"; did you mean "demo"? (shipped: 5gc, 5gelastic, 5glab, demo, epc, epclab, imslab, test12, upfbench, volte); a path needs a / or a .yaml suffix` {
		t.Errorf("Find(dmeo) error %v", err)
	}
}

func TestFindShippedNameBeforeFile(t *testing.T) {
	// A shipped name wins over a file of that name in the working
	// directory; an unknown name that is a file says how to load it.
	opts := LoadOptions{Files: files(map[string]string{"demo": "x", "mine": "name: m\n"})}
	if p, err := Find("demo", opts); err != nil || p.Source != "shipped:demo" {
		t.Errorf("Find(demo) = %v, %v", p, err)
	}
	_, err := Find("mine", opts)
	if err == nil || !strings.HasSuffix(err.Error(), "; for the file, write ./mine") {
		t.Errorf("Find(mine) error %v", err)
	}
}

func TestLoadFromDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("common/nets.yaml", "name: nets\nnetworks: [{name: sbi, subnet: 10.1.0.0/24}]\n")
	// Later includes win: the common sbi subnet replaces demo's.
	write("lab/p.yaml", "name: lab\ninclude: [demo, ../common/nets.yaml]\nnfs: [{name: a, kind: probe, interfaces: [{network: sbi}]}]\n")
	p, err := Load(filepath.Join(dir, "lab/p.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if network(p, "sbi").Subnet != "10.1.0.0/24" || len(p.NFs) != 5 {
		t.Errorf("sbi %+v, %d NFs", network(p, "sbi"), len(p.NFs))
	}

	missing := filepath.Join(dir, "nope.yaml")
	_, err = Load(missing, LoadOptions{})
	var ve ValidationErrors
	if !errors.As(err, &ve) || len(ve) != 1 || ve[0].Error() != missing+": cannot read: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestValidationErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    ValidationError
		want string
	}{
		{ValidationError{File: "a.yaml", Line: 3, Column: 5, Path: "nfs[0].name", Msg: "bad"}, "a.yaml:3:5: nfs[0].name: bad"},
		{ValidationError{File: "a.yaml", Line: 3, Msg: "YAML syntax: x"}, "a.yaml:3: YAML syntax: x"},
		{ValidationError{File: "--set", Path: "mcc", Msg: "not a variable"}, "--set: mcc: not a variable"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
	es := ValidationErrors{{File: "a", Line: 1, Column: 1, Msg: "x"}, {File: "a", Line: 2, Column: 1, Msg: "y"}}
	if es.Error() != "a:1:1: x\na:2:1: y" {
		t.Errorf("%q", es.Error())
	}
}
