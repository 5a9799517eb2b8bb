package lab

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestScaleAndWaitUntilReplicas: scale steps go through the API; a wait
// on replicas holds once that many are ready and no others remain (a
// scale-in waits for the drained replicas to go).
func TestScaleAndWaitUntilReplicas(t *testing.T) {
	orch := newFakeOrch("p", 4)
	orch.add("upf", 1, func(i int) string { return "10.9.0.1" })
	l := mustParse(t, `name: t
profile: p
steps:
  - scale: {nf: upf, replicas: 3}
  - wait: {until: {nf: upf, replicas: 3}, timeout: 5s}
  - scale: {nf: upf, replicas: 1}
  - wait: {until: {nf: upf, replicas: 1}, timeout: 5s}
  - wait: {until: {nf: upf, replicas: 2}, timeout: 50ms}
  - wait: {until: {nf: smf, replicas: 1}, timeout: 5s}
  - wait: {for: 1ms}
`)
	x := testExec(&Runner{API: orch, PollEvery: time.Millisecond}, "p")
	errs := runEach(t, x, l)
	for i, err := range errs[:4] {
		if err != nil {
			t.Errorf("step %d: %v", i, err)
		}
	}
	if len(orch.scales) != 2 || orch.scales[0]["upf"] != 3 || orch.scales[1]["upf"] != 1 {
		t.Errorf("scale calls %v", orch.scales)
	}
	if got := orch.instances("upf"); got != 1 {
		t.Errorf("the scale-in wait ended with %d instances left", got)
	}
	if d := x.rep.Steps[0].Detail; d != "upf: 1 → 3 replicas" {
		t.Errorf("scale detail %q", d)
	}
	if d := x.rep.Steps[1].Detail; !strings.HasPrefix(d, "upf: 3 ready of 3 after") {
		t.Errorf("wait detail %q", d)
	}
	if err := errs[4]; err == nil || !strings.Contains(err.Error(), "upf at 2 ready replicas: not so after 50ms; last seen upf: 1 ready of 1") {
		t.Errorf("timed out wait: %v", err)
	}
	if err := errs[5]; err == nil || !strings.Contains(err.Error(), `profile p has no NF "smf" (NFs: upf)`) {
		t.Errorf("wait on a missing NF: %v", err)
	}
	if errs[6] != nil {
		t.Errorf("wait for: %v", errs[6])
	}
}

// TestWaitUntilMetric: the sum over every running instance must be in
// range; a sum that misses an instance is no verdict.
func TestWaitUntilMetric(t *testing.T) {
	orch := newFakeOrch("p", 1)
	orch.add("upf", 2, func(i int) string { return []string{"10.9.0.1", "10.9.0.2"}[i] })
	fm := newFakeMetrics()
	fm.counters["10.9.0.1"] = 1
	fm.counters["10.9.0.2"] = 2
	fm.down["10.9.0.2"] = true
	l := mustParse(t, `name: t
profile: p
steps:
  - wait: {until: {nf: upf, metric: corebox_test_packets_total, labels: {direction: uplink}, min: 2}, timeout: 30ms}
  - wait: {until: {nf: upf, metric: corebox_test_packets_total, labels: {direction: uplink}, min: 30, max: 1000}, timeout: 5s}
  - wait: {until: {nf: upf, metric: corebox_test_packets_total, labels: {direction: downlink}, min: 1}, timeout: 20ms}
`)
	x := testExec(&Runner{API: orch, Metrics: fm, PollEvery: time.Millisecond}, "p")
	rs := x.r.step(x.rep, "first", "wait")
	err := x.runStep(context.Background(), l.Steps[0], rs)
	if err == nil || !strings.Contains(err.Error(), "over 1 of 2 running upf instances (p-upf-1: connection refused)") {
		t.Errorf("a partial sum held: %v", err)
	}
	fm.mu.Lock()
	fm.down["10.9.0.2"] = false
	fm.mu.Unlock()
	errs := runEach(t, x, &Lab{Steps: l.Steps[1:]})
	if errs[0] != nil {
		t.Errorf("wait for >= 30: %v", errs[0])
	}
	if d := x.rep.Steps[1].Detail; !strings.Contains(d, `corebox_test_packets_total{direction="uplink"} = `) || !strings.Contains(d, "over 2 of 2 running upf instances after") {
		t.Errorf("detail %q", d)
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), `serves no corebox_test_packets_total{direction="downlink"}`) {
		t.Errorf("wait on a label no series has: %v", errs[1])
	}
}

func TestResizeStep(t *testing.T) {
	orch := newFakeOrch("p", 1)
	orch.add("upf", 2, func(int) string { return "10.9.0.1" })
	orch.resized["p-upf-1"] = resources(2, 64<<20)
	l := mustParse(t, `name: t
profile: p
steps:
  - resize: {nf: upf, index: 1, memory: 256Mi}
  - resize: {nf: upf, index: 0, cpus: 1.5, memory: 128Mi}
  - resize: {nf: upf, index: 7, cpus: 1}
`)
	x := testExec(&Runner{API: orch}, "p")
	errs := runEach(t, x, l)
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("resize: %v", errs)
	}
	if got := orch.resized["p-upf-1"]; got != resources(2, 256<<20) {
		t.Errorf("p-upf-1 resized to %+v: cpus should stay 2", got)
	}
	if got := orch.resized["p-upf-0"]; got != resources(1.5, 128<<20) {
		t.Errorf("p-upf-0 resized to %+v", got)
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "resize p-upf-7: no container p-upf-7") {
		t.Errorf("resize of a missing replica: %v", errs[2])
	}
	if d := x.rep.Steps[1].Detail; d != "p-upf-0: cpus 1.5, memory 128Mi" {
		t.Errorf("detail %q", d)
	}
}
