package profiles

import (
	"os"
	"reflect"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestShippedList(t *testing.T) {
	if got := Shipped(); !reflect.DeepEqual(got, []string{"5gc", "5gelastic", "5glab", "demo", "epc", "epclab", "imslab", "test12", "upfbench", "volte"}) {
		t.Errorf("Shipped() = %v", got)
	}
}

// Shipped profiles use only the NF kinds that exist so far.
var existingKinds = map[string]bool{"probe": true, "dn": true, "nrf": true, "udr": true, "udm": true, "ausf": true,
	"pcf": true, "nssf": true, "upf": true, "smf": true, "amf": true, "gnb": true, "ue": true, "gtpgen": true,
	"hss": true, "enb": true, "sgw": true, "pgw": true, "mme": true, "pcrf": true,
	"pcscf": true, "icscf": true, "scscf": true}

func TestShippedProfiles(t *testing.T) {
	for _, name := range Shipped() {
		p, err := LoadShipped(name, LoadOptions{})
		if err != nil {
			t.Fatalf("%s:\n%v", name, err)
		}
		if p.Name != name {
			t.Errorf("%s is named %q", name, p.Name)
		}
		for _, nf := range p.NFs {
			if !existingKinds[nf.Kind] {
				t.Errorf("%s: NF %s has kind %q, which corenf does not have", name, nf.Name, nf.Kind)
			}
		}
	}
}

func TestDemoShape(t *testing.T) {
	p, err := LoadShipped("demo", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := nfNames(p); !reflect.DeepEqual(got, []string{"registry", "control", "gateway", "dn"}) {
		t.Errorf("NFs %v", got)
	}
	gw := p.NFs[2]
	want := Scaling{Min: 1, Max: 4, Metric: "corebox_probe_load", Target: 0.5, Cooldown: DefaultCooldown}
	if gw.Replicas != 2 || gw.Scaling == nil || *gw.Scaling != want {
		t.Errorf("gateway replicas %d scaling %+v", gw.Replicas, gw.Scaling)
	}
	if d := p.NFs[1].DependsOn; !reflect.DeepEqual(d, []Dependency{{NF: "registry", Condition: ConditionReady}}) {
		t.Errorf("control depends on %+v", d)
	}
	if dn := p.NFs[3]; dn.Kind != "dn" || !reflect.DeepEqual(dn.DependsOn, []Dependency{{NF: "gateway", Condition: ConditionReady}}) || !dn.on("n6") {
		t.Errorf("dn %+v", dn)
	}
	if len(p.Networks) != 4 {
		t.Errorf("networks %+v, want mgmt, sbi, n3, n6", p.Networks)
	}
}

func TestTest12Shape(t *testing.T) {
	p, err := LoadShipped("test12", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.NFs) != 12 || len(p.Networks) != 4 {
		t.Errorf("%d NFs, %d networks", len(p.NFs), len(p.Networks))
	}
	waves := map[string]int{}
	for _, nf := range p.NFs {
		w := 0
		for _, d := range nf.DependsOn {
			w = max(w, waves[d.NF]+1)
		}
		waves[nf.Name] = w
	}
	if waves["dn"] != 2 || waves["cp8"] != 1 || waves["registry"] != 0 {
		t.Errorf("dependency waves %v, want registry 0, cp* and up* 1, dn 2", waves)
	}
}

// nanos finds a duration written as a bare count of nanoseconds.
var nanos = regexp.MustCompile(`(?m):\s+[0-9]{7,}\s*$`)

// TestShippedRoundTrip: a loaded profile written as YAML loads back to
// the same profile (defaults, mgmt and all).
func TestShippedRoundTrip(t *testing.T) {
	for _, name := range Shipped() {
		p, err := LoadShipped(name, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// A loaded profile is flat: its includes are merged in already.
		flat := *p
		flat.Include = nil
		out, err := yaml.Marshal(&flat)
		if err != nil {
			t.Fatal(err)
		}
		if nanos.Match(out) {
			t.Errorf("%s: durations written as nanoseconds:\n%s", name, out)
		}
		back := mustLoad(t, map[string]string{"p.yaml": string(out)}, nil)
		back.Source, back.Include = p.Source, p.Include
		if !reflect.DeepEqual(p, back) {
			t.Errorf("%s: round trip differs\nfirst %+v\nagain %+v\nYAML:\n%s", name, p, back, out)
		}
	}
}

// TestReadmeExample: the example of README.md loads.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Example\n\n```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no example")
	}
	p := mustLoad(t, map[string]string{"p.yaml": string(m[1])}, nil)
	gw := p.NFs[2]
	if gw.Name != "gateway" || gw.Replicas != 3 || gw.Scaling.Min != 3 || gw.Scaling.Metric != "corebox_probe_load" {
		t.Errorf("merged gateway %+v", gw)
	}
}
