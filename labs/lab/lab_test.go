package lab

import (
	"strings"
	"testing"
)

func TestShippedLabsParse(t *testing.T) {
	for _, name := range Shipped() {
		l, err := Find(name, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(l.Steps) == 0 || l.Profile == "" {
			t.Errorf("%s: no steps or profile", name)
		}
	}
	l, err := Find("5g-basic", map[string]string{"ues": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Subscribers[0].Count != 3 || l.Variables["ues"] != "3" {
		t.Errorf("--set ues=3 gave count %d, variables %v", l.Subscribers[0].Count, l.Variables)
	}
	if got := *l.Steps[1].Assert.Min; got != 3 {
		t.Errorf("assert min after --set ues=3: %v", got)
	}
	if l.Steps[0].Name != "register" || l.Steps[1].Name != "assert" || l.Steps[3].Name != "assert-2" {
		t.Errorf("default step names: %q %q %q", l.Steps[0].Name, l.Steps[1].Name, l.Steps[3].Name)
	}
}

const good = `name: x
profile: 5g-lab
variables:
  n: 2
subscribers:
  - {imsi: "001010000000001", count: ${n}, k: 465B5CE8B199B49FAA5F0A2EE238A6BC, opc: CD63CB71954A9F4E48A5994E37A02BAF, dnn: internet, sst: 1}
steps:
  - register: {nf: ue}
`

func TestBrokenLabs(t *testing.T) {
	cases := []struct {
		name, text string
		set        map[string]string
		want       string
	}{
		{"unknown top key", good + "stepz: []\n", nil, "x.yaml:9"},
		{"unknown variable", strings.Replace(good, "${n}", "${m}", 1), nil, "x.yaml:6: ${m}: no such variable (declared: n)"},
		{"bad imsi", strings.Replace(good, `"001010000000001"`, `"00101"`, 1), nil, `subscribers[0].imsi: "00101": want 15 digits`},
		{"op and opc", strings.Replace(good, "opc:", "op: 465B5CE8B199B49FAA5F0A2EE238A6BC, opc:", 1), nil, "give exactly one of op and opc"},
		{"no action", good + "  - name: nothing\n", nil, "x.yaml:9: steps[1]: want exactly one of register"},
		{"two actions", good + "  - {register: {nf: ue}, idle: {nf: ue}}\n", nil, "got 2"},
		{"no nf", good + "  - idle: {}\n", nil, "x.yaml:9: steps[1].idle.nf: required"},
		{"traffic target", good + "  - traffic: {nf: ue, target: dn, count: 1, size: 10}\n", nil, `steps[1].traffic.target: "dn": want host:port`},
		{"traffic size", good + "  - traffic: {nf: ue, target: '${dn.n6}:7', count: 1, size: 0}\n", nil, "steps[1].traffic.size: 0: want 1..60000"},
		{"assert later step", good + "  - assert: {step: later, metric: ok, min: 1}\n", nil, `steps[1].assert.step: "later": name an earlier step`},
		{"assert metric", good + "  - assert: {step: register, metric: speed, min: 1}\n", nil, `"speed": want one of ok, failed`},
		{"assert bounds", good + "  - assert: {step: register, metric: ok}\n", nil, "give min, max or both"},
		{"duplicate name", good + "  - {name: register, idle: {nf: ue}}\n", nil, `steps[1].name: "register" is used by an earlier step`},
		{"bad duration", good + "  - register: {nf: ue, timeout: soon}\n", nil, "x.yaml:9"},
		{"session id", good + "  - session: {nf: ue, dnn: internet, id: 16}\n", nil, "steps[1].session.id: 16: want a PDU session ID 1..15"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(c.text), c.set)
			if err == nil {
				t.Fatalf("accepted:\n%s", c.text)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestFindRefusesUnknownShipped(t *testing.T) {
	_, err := Find("nope", nil)
	if err == nil || !strings.Contains(err.Error(), "5g-basic") || !strings.Contains(err.Error(), "./nope.yaml") {
		t.Errorf("error %v should list shipped labs and how to give a file", err)
	}
}

func TestSetNamesWhatNobodyDeclares(t *testing.T) {
	l, err := Find("5g-basic", map[string]string{"ciphering": "NEA0", "nope": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Extra["ciphering"] != "NEA0" {
		t.Errorf("extra %v", l.Extra)
	}
	_, err = (&Runner{}).loadProfile(l)
	if err == nil || !strings.Contains(err.Error(), "--set nope: neither the lab nor profile 5glab declares it") {
		t.Errorf("got %v", err)
	}
	delete(l.Extra, "nope")
	p, err := (&Runner{}).loadProfile(l)
	if err != nil {
		t.Fatal(err)
	}
	if p.Variables["ciphering"] != "NEA0" || p.Variables["ues"] != "10" {
		t.Errorf("profile variables %v", p.Variables)
	}
}
