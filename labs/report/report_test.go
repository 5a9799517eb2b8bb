package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestSummarizeNearestRank(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1, unsorted on purpose
	}
	s := Summarize(xs)
	if s.N != 100 || s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 || s.Mean != 50.5 {
		t.Errorf("summary %+v", s)
	}
	if Summarize(nil) != nil {
		t.Error("empty sample should have no summary")
	}
}

func TestBinCountsEverySample(t *testing.T) {
	h := Bin([]float64{1, 1, 2, 10}, 3)
	total := 0
	for _, c := range h.Counts {
		total += c
	}
	if total != 4 || h.Counts[0] != 3 || h.Counts[2] != 1 {
		t.Errorf("bins %+v", h)
	}
	if same := Bin([]float64{5, 5}, 4); same.Counts[0] != 2 {
		t.Errorf("equal samples: %+v", same)
	}
}

func TestWriteBothFiles(t *testing.T) {
	dir := t.TempDir()
	r := &Report{Lab: "x", Passed: true, Steps: []*Step{{Name: "register", Kind: "register", UEs: 2, OK: 2,
		Samples: []float64{3, 4}, LatencyMs: Summarize([]float64{3, 4})}}}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	var back Report
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &back); err != nil || back.Steps[0].LatencyMs.P99 != 4 {
		t.Errorf("report.json round trip: %v %+v", err, back.Steps)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Error(err)
	}
	if v, ok := r.Steps[0].Metric("ok_ratio"); !ok || v != 1 {
		t.Errorf("ok_ratio %v %v", v, ok)
	}
}
