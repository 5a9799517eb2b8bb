package profiles

import (
	"reflect"
	"testing"
	"time"
)

func TestIncludeMerge(t *testing.T) {
	named := map[string]string{
		"lib/base.yaml": `name: base
variables:
  sbi: 10.1.0.0/24
  level: info
networks:
  - name: sbi
    subnet: ${sbi}
    mtu: 1400
  - name: n4
    subnet: 10.4.0.0/24
nfs:
  - name: nrf
    kind: probe
    interfaces: [{network: sbi}]
  - name: upf
    image: example.org/upf:1
    config_path: /etc/upf.yaml
    replicas: 1
    restart: on-failure
    interfaces:
      - network: n4
        addresses: [10.4.0.10]
    config:
      log: {level: "${level}", color: true}
      pools: [10.60.0.0/16]
    depends_on: [nrf]
    volumes: [data:/var/lib/upf]
    capabilities: [NET_ADMIN]
    env: [MODE=fast, KEEP=1]
    args: [--a]
    sysctls: {net.ipv4.ip_forward: 1}
    resources: {cpus: 2, memory: 1Gi}
    readiness: {http: /health, port: 8080}
`,
		"p.yaml": `name: core
include: [lib/base.yaml]
variables:
  level: debug
networks:
  - name: sbi
    subnet: 10.9.0.0/24
  - name: n6
    subnet: 10.6.0.0/24
nfs:
  - name: upf
    kind: upfsim
    replicas: 2
    interfaces:
      - network: n4
        addresses: [10.4.0.10, 10.4.0.11]
      - network: n6
    config:
      log: {color: false}
      pools: [10.61.0.0/16]
    depends_on: [{nf: nrf, condition: started}]
    volumes: ["logs:/var/log", "data:/var/lib/upf:ro"]
    capabilities: [NET_ADMIN, NET_RAW]
    env: [MODE=safe]
    args: [--b]
    sysctls: {net.ipv6.conf.all.forwarding: 1}
    resources: {memory: 2Gi}
    readiness: {tcp: 8805}
  - name: smf
    kind: probe
    config: {upf: "${upf.n4[*]}"}
`,
	}
	p := mustLoad(t, named, nil)
	if p.Name != "core" || !reflect.DeepEqual(p.Include, []string{"lib/base.yaml"}) {
		t.Errorf("name %q include %v", p.Name, p.Include)
	}
	wantNets := []Network{
		{Name: MgmtNetwork, Type: "bridge"},
		{Name: "sbi", Subnet: "10.9.0.0/24", Type: "bridge", MTU: 1400},
		{Name: "n4", Subnet: "10.4.0.0/24", Type: "bridge"},
		{Name: "n6", Subnet: "10.6.0.0/24", Type: "bridge"},
	}
	if !reflect.DeepEqual(p.Networks, wantNets) {
		t.Errorf("networks\n got %+v\nwant %+v", p.Networks, wantNets)
	}
	if names := nfNames(p); !reflect.DeepEqual(names, []string{"nrf", "upf", "smf"}) {
		t.Fatalf("NFs %v, want nrf upf smf (included first, new appended)", names)
	}
	upf := p.NFs[1]
	want := NF{
		Name: "upf", Kind: "upfsim", Replicas: 2, Restart: RestartOnFailure,
		Interfaces: []Interface{
			{Network: MgmtNetwork},
			{Network: "n4", Addresses: []string{"10.4.0.10", "10.4.0.11"}},
			{Network: "n6"},
		},
		Config: map[string]any{
			"log":   map[string]any{"level": "debug", "color": false},
			"pools": []any{"10.61.0.0/16"},
		},
		DependsOn:    []Dependency{{NF: "nrf", Condition: ConditionStarted}},
		Volumes:      []Volume{{Name: "data", Path: "/var/lib/upf", ReadOnly: true}, {Name: "logs", Path: "/var/log"}},
		Capabilities: []string{"NET_ADMIN", "NET_RAW"},
		Env:          []string{"MODE=safe", "KEEP=1"},
		Args:         []string{"--b"},
		Sysctls:      map[string]string{"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"},
		Resources:    Resources{CPUs: 2, Memory: "2Gi"},
		Readiness:    Probe{TCP: 8805, Interval: 500 * time.Millisecond, Timeout: time.Second},
		Drain:        Drain{HTTP: "/drain", Port: OpsPort, Timeout: 30 * time.Second},
	}
	if !reflect.DeepEqual(upf, want) {
		t.Errorf("merged upf\n got %+v\nwant %+v", upf, want)
	}
	smf := p.NFs[2]
	if smf.Config["upf"] != "${upf.n4[*]}" || !reflect.DeepEqual(smf.References(), []Ref{{NF: "upf", Network: "n4", All: true}}) {
		t.Errorf("smf config %v refs %v", smf.Config, smf.References())
	}
}

func TestIncludeShippedAndVariables(t *testing.T) {
	// The included profile's variables are visible to the includer, and
	// the includer's defaults win.
	p := mustLoad(t, map[string]string{"p.yaml": `name: mine
include: [demo]
variables:
  n6_subnet: 10.99.6.0/24
nfs:
  - name: extra
    kind: probe
    interfaces: [{network: n6}]
    config: {note: "${sbi_subnet}"}
`}, map[string]string{"sbi_subnet": "10.98.0.0/24"})
	if n := network(p, "n6"); n == nil || n.Subnet != "10.99.6.0/24" {
		t.Errorf("n6 %+v, want the includer's default 10.99.6.0/24", n)
	}
	if n := network(p, "sbi"); n == nil || n.Subnet != "10.98.0.0/24" {
		t.Errorf("sbi %+v, want --set 10.98.0.0/24", n)
	}
	if p.Variables["n3_subnet"] != "10.201.3.0/24" {
		t.Errorf("variables %v: the included defaults are kept", p.Variables)
	}
	if got := p.NFs[len(p.NFs)-1].Config["note"]; got != "10.98.0.0/24" {
		t.Errorf("config note %v", got)
	}
	if len(p.NFs) != 5 {
		t.Errorf("%d NFs, want demo's 4 and extra", len(p.NFs))
	}
}

func TestIncludeKeepsFilePositions(t *testing.T) {
	// A diamond: both branches include the same file, which is fine; the
	// error inside it names that file and its own path.
	got := problems(t, map[string]string{
		"p.yaml":      "name: p\ninclude: [a.yaml, b.yaml]\nnfs: [{name: x, kind: probe}]\n",
		"a.yaml":      "name: a\ninclude: [common.yaml]\n",
		"b.yaml":      "name: b\ninclude: [common.yaml]\nnfs:\n  - name: y\n    kind: probe\n    replicas: 3\n",
		"common.yaml": "name: c\nnfs:\n  - name: y\n    kind: probe\n    restart: sometimes\n",
	}, nil)
	want := []string{`common.yaml:5:14: nfs[0].restart: unknown value "sometimes" (allowed: always, on-failure, never)`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func network(p *Profile, name string) *Network {
	for i := range p.Networks {
		if p.Networks[i].Name == name {
			return &p.Networks[i]
		}
	}
	return nil
}

func nfNames(p *Profile) []string {
	var names []string
	for _, nf := range p.NFs {
		names = append(names, nf.Name)
	}
	return names
}
