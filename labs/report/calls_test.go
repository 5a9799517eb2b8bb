package report

import (
	"strings"
	"testing"
)

func TestCallsTotalsAndMetrics(t *testing.T) {
	var c Calls
	good := &Media{Received: 500, LossRatio: 0, JitterMs: 1.5, MOS: 4.4, QCI: 1, BearerReleased: true}
	lossy := &Media{Received: 450, Lost: 50, LossRatio: 0.1, JitterMs: 4, MOS: 3.1, QCI: 1}
	c.Add(Call{CallID: "a", Status: 200, SetupMs: 40, AtCaller: good, AtCallee: lossy})
	c.Add(Call{CallID: "b", Status: 200, SetupMs: 80, AtCaller: good, AtCallee: nil})
	c.Add(Call{CallID: "c", Status: 480, Error: "callee not registered"})
	s := &Step{Calls: &c}
	want := map[string]float64{"calls": 3, "answered": 2, "setup_p50_ms": 40, "setup_p99_ms": 80, "rtp_loss_ratio": 0.1,
		"jitter_ms": 4, "mos_min": 3.1, "bearers_got": 3, "bearers_released": 2}
	for name, v := range want {
		got, ok := s.Metric(name)
		if !ok || got != v {
			t.Errorf("%s = %v (%v), want %v", name, got, ok, v)
		}
	}
	if _, ok := (&Step{}).Metric("mos_min"); ok {
		t.Error("a step without calls has a mos_min")
	}
	page, err := (&Report{Lab: "volte-call", Steps: []*Step{s}}).HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 of 3 calls answered", "<td>480</td>", "callee not registered", "no report", "3.10"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
