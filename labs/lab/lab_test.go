package lab

import (
	"maps"
	"strings"
	"testing"
	"time"
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

const monitorOK = `monitor:
  series:
    - {name: ul, nf: upf, metric: corebox_upf_rx_packets_total, labels: {direction: uplink}, rate: true}
    - {name: load, nf: upf, metric: corebox_upf_sessions}
    - {name: upfs, nf: upf, replicas: true}
    - {name: loss, loss: {sent: ul, received: ul}}
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
		{"unknown step key", good + "  - register: {nf: ue, bogus: 1}\n", nil, `x.yaml:9: unknown key "bogus" in steps[1].register`},
		{"misspelt background", good + "  - traffic: {nf: ue, target: 'a:7', count: 1, size: 1, backgroud: true}\n", nil, `unknown key "backgroud"`},
		{"traffic count and duration", good + "  - traffic: {nf: ue, target: 'a:7', count: 1, duration: 1s, interval: 1s, size: 1}\n", nil, "steps[1].traffic.count: give count or duration, not both"},
		{"traffic duration no interval", good + "  - traffic: {nf: ue, target: 'a:7', duration: 1s, size: 1}\n", nil, "steps[1].traffic.interval: duration 1s needs an interval > 0"},
		{"traffic too many", good + "  - traffic: {nf: ue, target: 'a:7', duration: 1h, interval: 1ms, size: 1}\n", nil, "3600000: want 1..1000000 requests per UE"},
		{"traffic max_loss", good + "  - traffic: {nf: ue, target: 'a:7', count: 1, size: 1, max_loss: 2}\n", nil, "steps[1].traffic.max_loss: 2: want a ratio 0..1"},
		{"wait both", good + "  - wait: {for: 1s, until: {nf: upf, replicas: 3}}\n", nil, "x.yaml:9: steps[1].wait: give for (a fixed time) or until (a condition), not both"},
		{"wait neither", good + "  - wait: {timeout: 1s}\n", nil, "steps[1].wait: give for"},
		{"wait for timeout", good + "  - wait: {for: 1s, timeout: 2s}\n", nil, "steps[1].wait.timeout: goes with until"},
		{"wait no nf", good + "  - wait: {until: {replicas: 3}}\n", nil, "steps[1].wait.until.nf: required"},
		{"wait replicas and metric", good + "  - wait: {until: {nf: upf, replicas: 3, metric: m, min: 1}}\n", nil, "steps[1].wait.until: give replicas (a ready replica count) or metric"},
		{"wait replicas bounds", good + "  - wait: {until: {nf: upf, replicas: 3, min: 1}}\n", nil, "steps[1].wait.until.replicas: min, max and labels go with metric"},
		{"wait metric bounds", good + "  - wait: {until: {nf: upf, metric: corebox_upf_sessions}}\n", nil, "steps[1].wait.until: give min, max or both"},
		{"wait metric min over max", good + "  - wait: {until: {nf: upf, metric: m, min: 3, max: 1}}\n", nil, "steps[1].wait.until.min: 3 is above max 1"},
		{"wait metric name", good + "  - wait: {until: {nf: upf, metric: 'a-b', min: 1}}\n", nil, `steps[1].wait.until.metric: "a-b": want a Prometheus metric name`},
		{"wait unknown key", good + "  - wait:\n      until: {nf: upf, replica: 3}\n", nil, `x.yaml:10: unknown key "replica"`},
		{"scale replicas", good + "  - scale: {nf: upf}\n", nil, "steps[1].scale.replicas: required"},
		{"scale nf", good + "  - scale: {replicas: 2}\n", nil, "steps[1].scale.nf: required"},
		{"resize nothing", good + "  - resize: {nf: upf}\n", nil, "steps[1].resize: give cpus, memory or both"},
		{"resize memory", good + "  - resize: {nf: upf, memory: lots}\n", nil, `steps[1].resize: memory: size "lots"`},
		{"resize cpus", good + "  - resize: {nf: upf, cpus: 0.001}\n", nil, "the smallest limit is 0.01"},
		{"resize index", good + "  - resize: {nf: upf, index: -1, cpus: 1}\n", nil, "steps[1].resize.index: -1"},
		{"await foreground", good + "  - await: register\n", nil, `steps[1].await: "register": name an earlier traffic step with background: true`},
		{"await later", good + "  - await: load\n  - {name: load, traffic: {nf: ue, target: 'a:7', count: 1, size: 1, background: true}}\n", nil, `"load": name an earlier traffic step`},
		{"assert unawaited", good + "  - {name: load, traffic: {nf: ue, target: 'a:7', count: 1, size: 1, background: true}}\n  - assert: {step: load, metric: sent, min: 1}\n", nil,
			`x.yaml:10: steps[2].assert.step: "load" runs in the background: await it in an earlier step first`},
		{"assert step and monitor", good + "  - assert: {step: register, monitor: x, metric: ok, min: 1}\n", nil, "steps[1].assert: give step (a step's metric) or monitor"},
		{"assert no monitor", good + "  - assert: {monitor: x, metric: max, min: 1}\n", nil, `steps[1].assert.monitor: "x": the lab has no monitor section`},
		{"assert unknown series", good + "  - assert: {monitor: x, metric: max, min: 1}\n" + monitorOK, nil, `"x": no such series (monitor.series: load, loss, ul, upfs)`},
		{"assert series metric", good + "  - assert: {monitor: ul, metric: p50_ms, min: 1}\n" + monitorOK, nil, `"p50_ms": want one of total, max, min, last for a monitor series`},
		{"assert gauge total", good + "  - assert: {monitor: load, metric: total, min: 1}\n" + monitorOK, nil, "total: series load is a gauge series; only rate and loss series have a total"},
		{"assert of later step", good + "  - assert: {step: register, metric: ok, of: {step: later, metric: ok}, min: 1}\n", nil, `steps[1].assert.of.step: "later": name an earlier step`},
		{"assert of nothing", good + "  - assert: {step: register, metric: ok, of: {metric: ok}, min: 1}\n", nil, "steps[1].assert.of: give step (a step's metric) or monitor"},
		{"monitor interval", good + "monitor:\n  interval: 10ms\n  series: [{name: r, nf: upf, replicas: true}]\n", nil, "x.yaml:10: monitor.interval: 10ms: want at least 100ms"},
		{"monitor no series", good + "monitor: {interval: 1s}\n", nil, "monitor.series: required"},
		{"monitor duplicate", good + "monitor:\n  series:\n    - {name: r, nf: upf, replicas: true}\n    - {name: r, nf: smf, replicas: true}\n", nil, `x.yaml:12: monitor.series[1].name: "r" is used by an earlier series`},
		{"monitor name", good + "monitor:\n  series: [{name: 'a b', nf: upf, replicas: true}]\n", nil, `monitor.series[0].name: "a b": want a name`},
		{"monitor nf and nfs", good + "monitor:\n  series: [{name: r, nf: upf, nfs: [upf, ue], replicas: true}]\n", nil, `monitor.series[0].nfs: give nf or nfs, not both`},
		{"monitor two kinds", good + "monitor:\n  series: [{name: r, nf: upf, replicas: true, metric: m}]\n", nil, "monitor.series[0]: give exactly one of metric"},
		{"monitor metric nf", good + "monitor:\n  series: [{name: r, metric: m}]\n", nil, "monitor.series[0].nf: required: the NF whose instances to scrape"},
		{"monitor replicas rate", good + "monitor:\n  series: [{name: r, nf: upf, replicas: true, rate: true}]\n", nil, "monitor.series[0].replicas: rate, labels and scale go with metric"},
		{"monitor loss of gauge", good + "monitor:\n  series:\n    - {name: g, nf: upf, metric: m}\n    - {name: l, loss: {sent: g, received: nope}}\n", nil, `monitor.series[1].loss.sent: "g": name a series with rate: true`},
		{"monitor unknown key", good + "monitor:\n  series: [{name: r, nf: upf, replicas: true, rates: true}]\n", nil, `x.yaml:10: unknown key "rates"`},
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

// TestElasticExample: the README's example lab parses, with its defaults
// filled in.
func TestElasticExample(t *testing.T) {
	l, err := Find("testdata/elastic-example.yaml", map[string]string{"ues": "5"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Subscribers[0].Count != 5 || l.Monitor.Interval != time.Second || len(l.Monitor.Series) != 6 {
		t.Errorf("subscribers %+v, monitor %+v", l.Subscribers, l.Monitor)
	}
	kinds := map[string]string{}
	for _, s := range l.Monitor.Series {
		kinds[s.Name] = s.Kind()
	}
	want := map[string]string{"offered": "rate", "echoed": "rate", "loss": "loss", "upf_replicas": "replicas", "upf_ul": "rate", "upf_sessions": "gauge"}
	if !maps.Equal(kinds, want) {
		t.Errorf("series kinds %v", kinds)
	}
	base, surge := l.Steps[2], l.Steps[4]
	if !base.background() || base.Traffic.requests() != 1500 || surge.Traffic.requests() != 12000 {
		t.Errorf("traffic steps %+v %+v", base.Traffic, surge.Traffic)
	}
	var names []string
	for _, s := range l.Steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "register session base wait surge scaled-out await scaled-in await-2 assert assert-2 assert-3 assert-4 deregister" {
		t.Errorf("step names %s", got)
	}
	if l.Steps[5].Line != 30 {
		t.Errorf("scaled-out is on line %d, want 30", l.Steps[5].Line)
	}
}
