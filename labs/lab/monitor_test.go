package lab

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/report"
)

// TestCounterSum: the total is what the instances counted after the
// monitor began, through resets, restarts, missed scrapes and replicas
// that come and go.
func TestCounterSum(t *testing.T) {
	since := time.Unix(1000, 0)
	before, after, later := since.Add(-time.Minute), since.Add(time.Second), since.Add(time.Minute)
	r := func(inst string, started time.Time, v float64) reading {
		return reading{instance: inst, started: started, value: v}
	}
	cases := []struct {
		name   string
		rounds [][]reading
		incs   []float64
	}{
		{"baseline then increases", [][]reading{{r("a", before, 100)}, {r("a", before, 150)}, {r("a", before, 160)}},
			[]float64{0, 50, 10}},
		{"counter reset", [][]reading{{r("a", before, 100)}, {r("a", before, 150)}, {r("a", before, 20)}},
			[]float64{0, 50, 20}},
		{"restart seen by its start time, though the value grew", [][]reading{{r("a", before, 100)}, {r("a", later, 130)}},
			[]float64{0, 130}},
		{"new replica counts from 0", [][]reading{{r("a", before, 100)}, {r("a", before, 110), r("b", after, 40)}, {r("a", before, 120), r("b", after, 70)}},
			[]float64{0, 50, 40}},
		{"removed replica keeps what it counted", [][]reading{{r("a", before, 0), r("b", before, 0)}, {r("a", before, 10), r("b", before, 30)}, {r("a", before, 15)}, {r("a", before, 20)}},
			[]float64{0, 40, 5, 5}},
		{"missed scrape shows later", [][]reading{{r("a", before, 0)}, {}, {r("a", before, 90)}},
			[]float64{0, 0, 90}},
		{"old instance first seen late is a baseline", [][]reading{{r("a", before, 0)}, {r("a", before, 5), r("b", before, 500)}, {r("a", before, 5), r("b", before, 510)}},
			[]float64{0, 5, 10}},
		{"unknown start times: first round is the baseline", [][]reading{{r("a", time.Time{}, 100)}, {r("a", time.Time{}, 105), r("b", time.Time{}, 7)}},
			[]float64{0, 12}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := &counterSum{since: since, seen: map[string]instanceCount{}}
			want := 0.0
			for i, round := range c.rounds {
				if got := cs.add(round); got != c.incs[i] {
					t.Errorf("round %d: increase %v, want %v", i, got, c.incs[i])
				}
				want += c.incs[i]
			}
			if cs.total != want {
				t.Errorf("total %v, want %v", cs.total, want)
			}
		})
	}
}

// fakeClock advances by step on every read.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

// TestMonitorSeriesThroughScaling: rate, gauge, replica and loss series
// over a scale-out and scale-in, with a scrape that fails.
func TestMonitorSeriesThroughScaling(t *testing.T) {
	orch := newFakeOrch("p", 1)
	upfAddr := func(i int) string { return "10.9.0." + string(rune('1'+i)) }
	orch.add("upf", 1, upfAddr)
	orch.add("ue", 1, func(int) string { return "10.9.1.1" })
	fm := newFakeMetrics()
	for i := range 3 {
		fm.counters[upfAddr(i)] = 10 // 10 packets per scrape, i.e. per second
	}
	fm.set("10.9.1.1", Sample{Name: "corebox_ue_uplink_packets_total", Value: 0}, Sample{Name: "corebox_ue_downlink_packets_total", Value: 0})
	spec := &Monitor{Interval: time.Second, Series: []SeriesSpec{
		{Name: "ul", NF: "upf", Metric: "corebox_test_packets_total", Labels: map[string]string{"direction": "uplink"}, Rate: true},
		{Name: "ul_bits", NF: "upf", Metric: "corebox_test_packets_total", Rate: true, Scale: 8},
		{Name: "upfs", NF: "upf", Replicas: true},
		{Name: "g", NF: "upf", Metric: "corebox_test_packets_total"},
		{Name: "sent", NF: "ue", Metric: "corebox_ue_uplink_packets_total", Rate: true},
		{Name: "recv", NF: "ue", Metric: "corebox_ue_downlink_packets_total", Rate: true},
		{Name: "loss", Loss: &LossSpec{Sent: "sent", Received: "recv"}},
	}}
	clock := &fakeClock{t: time.Now(), step: time.Second}
	m := newMonitor(orch, fm, "p", spec, clock.now)
	ctx := context.Background()
	ueSends := func(sent, recv float64) {
		fm.set("10.9.1.1", Sample{Name: "corebox_ue_uplink_packets_total", Value: sent}, Sample{Name: "corebox_ue_downlink_packets_total", Value: recv})
	}
	m.sample(ctx) // t=1: upf-0 at 10: the baseline
	ueSends(100, 100)
	m.sample(ctx) // t=2: upf-0 20
	if err := orch.Scale(ctx, "p", map[string]int{"upf": 3}); err != nil {
		t.Fatal(err)
	}
	ueSends(200, 150)
	m.sample(ctx) // t=3: upf-0 30, upf-1 and upf-2 ready at 10 each (new: all theirs)
	fm.down[upfAddr(1)] = true
	m.sample(ctx) // t=4: upf-0 40, upf-2 20, upf-1 missed (its counter stays 10)
	fm.down[upfAddr(1)] = false
	m.sample(ctx) // t=5: upf-0 50, upf-1 20, upf-2 30: 30 more
	if err := orch.Scale(ctx, "p", map[string]int{"upf": 1}); err != nil {
		t.Fatal(err)
	}
	m.sample(ctx) // t=6: the two extra replicas drained away; upf-0 60
	m.sample(ctx) // t=7: upf-0 70

	ul := m.rep.Find("ul")
	// upf-0: 70-10 = 60; upf-1: 20; upf-2: 30.
	if v, _ := ul.Value("total"); v != 110 {
		t.Errorf("ul total %v, want 110", v)
	}
	wantRates := []float64{10, 30, 20, 30, 10, 10}
	if len(ul.Points) != len(wantRates) {
		t.Fatalf("ul points %v", ul.Points)
	}
	for i, p := range ul.Points {
		if p.V != wantRates[i] || p.T != float64(i+2) {
			t.Errorf("ul point %d: %+v, want t=%d v=%v", i, p, i+2, wantRates[i])
		}
	}
	if ul.ScrapeErrors != 1 || ul.LastError == "" {
		t.Errorf("ul scrape errors %d %q", ul.ScrapeErrors, ul.LastError)
	}
	if v, _ := m.rep.Find("ul_bits").Value("total"); v != 880 {
		t.Errorf("scaled total %v, want 880", v)
	}
	var replicas []float64
	for _, p := range m.rep.Find("upfs").Points {
		replicas = append(replicas, p.V)
	}
	if want := []float64{1, 1, 3, 3, 3, 1, 1}; !equalFloats(replicas, want) {
		t.Errorf("replicas %v, want %v", replicas, want)
	}
	// The gauge keeps upf-1's last value while its scrape fails.
	g := m.rep.Find("g")
	if g.Points[3].V != 40+10+20 {
		t.Errorf("gauge at t=4: %v, want 70 (upf-1's last 10 kept)", g.Points[3].V)
	}
	loss := m.rep.Find("loss")
	if loss.Points[0].V != 0 || loss.Points[1].V != 0.5 {
		t.Errorf("loss points %v", loss.Points)
	}
	if v, _ := loss.Value("total"); math.Abs(v-0.25) > 1e-9 {
		t.Errorf("loss total %v, want 0.25", v)
	}
	if v, ok := m.rep.Find("upfs").Value("max"); !ok || v != 3 {
		t.Errorf("max replicas %v", v)
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMonitorAssertSamplesNow: an assert on a total takes a fresh sample,
// so counts up to that moment are in it.
func TestMonitorAssertSamplesNow(t *testing.T) {
	orch := newFakeOrch("p", 1)
	orch.add("upf", 1, func(int) string { return "10.9.0.1" })
	fm := newFakeMetrics()
	fm.counters["10.9.0.1"] = 5
	spec := &Monitor{Interval: time.Hour, Series: []SeriesSpec{{Name: "ul", NF: "upf", Metric: "corebox_test_packets_total", Rate: true}}}
	x := testExec(&Runner{API: orch, Metrics: fm}, "p")
	x.mon = x.r.startMonitor(context.Background(), "p", spec)
	var rep *report.Monitor
	defer func() {
		if rep == nil {
			x.mon.stop(context.Background())
		}
	}()
	l := mustParse(t, "name: t\nprofile: p\nsteps:\n  - assert: {monitor: ul, metric: total, min: 5, max: 5}\n  - assert: {monitor: ul, metric: total, min: 10, max: 10}\n"+
		"monitor:\n  interval: 1h\n  series: [{name: ul, nf: upf, metric: corebox_test_packets_total, rate: true}]\n")
	// The ticker's first round may or may not have run: wait for it, so
	// each assert adds exactly one scrape.
	waitPoints(t, x.mon, 0)
	for i, err := range runEach(t, x, l) {
		if err != nil {
			t.Errorf("assert %d: %v", i, err)
		}
	}
	rep = x.mon.stop(context.Background())
	if v, _ := rep.Find("ul").Value("total"); v != 15 {
		t.Errorf("total after stop %v, want 15 (a last sample when the steps end)", v)
	}
	if a := x.rep.Steps[1].Assert; a == nil || a.Monitor != "ul" || a.Value != 10 {
		t.Errorf("assert recorded %+v", a)
	}
}

// waitPoints polls until the monitor's first series has a total and n
// points (the loop's first round done).
func waitPoints(t *testing.T, m *monitor, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		s := m.rep.Series[0]
		done := s.Total != nil && len(s.Points) >= n
		m.mu.Unlock()
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the monitor took no first sample")
}

// TestAssertRatio: with of, an assert checks the ratio of a monitor
// total to a step's metric (UPF packets counted per request sent).
func TestAssertRatio(t *testing.T) {
	orch := newFakeOrch("p", 1)
	orch.add("upf", 1, func(int) string { return "10.9.0.1" })
	fm := newFakeMetrics()
	fm.counters["10.9.0.1"] = 990
	spec := &Monitor{Interval: time.Hour, Series: []SeriesSpec{{Name: "ul", NF: "upf", Metric: "corebox_test_packets_total", Rate: true}}}
	x := testExec(&Runner{API: orch, Metrics: fm}, "p")
	x.mon = x.r.startMonitor(context.Background(), "p", spec)
	defer x.mon.stop(context.Background())
	waitPoints(t, x.mon, 0)
	x.rep.Steps = append(x.rep.Steps, &report.Step{Name: "load", Traffic: &report.Traffic{Sent: 1000}})
	l := mustParse(t, `name: t
profile: p
steps:
  - {name: load, register: {nf: ue}}
  - assert: {monitor: ul, metric: total, of: {step: load, metric: sent}, min: 0.99, max: 1}
  - assert: {monitor: ul, metric: total, of: {step: load, metric: sent}, max: 1.5}
  - assert: {monitor: ul, metric: total, of: {step: load, metric: rtt_p50_ms}, min: 1}
monitor:
  series: [{name: ul, nf: upf, metric: corebox_test_packets_total, rate: true}]
`)
	errs := runEach(t, x, &Lab{Steps: l.Steps[1:]})
	if errs[0] != nil {
		t.Errorf("ratio 0.99: %v", errs[0])
	}
	if a := x.rep.Steps[1].Assert; a.Value != 0.99 || a.Measured != 990 || a.OfValue != 1000 || a.Of != "sent of load" {
		t.Errorf("recorded %+v", a)
	}
	// Each assert samples: 990 more packets counted by now.
	if errs[1] == nil || errs[1].Error() != "total of monitor.ul (1980) / sent of load (1000) is 1.98, want <= 1.5" {
		t.Errorf("second ratio: %v", errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "rtt_p50_ms of load: no such value") {
		t.Errorf("ratio to a missing value: %v", errs[2])
	}
}
