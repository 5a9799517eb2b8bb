// Package report is a lab run's outcome: per-step timings and outcomes,
// written as report.json and report.html (a per-step table, latency
// histograms, and the monitor's series over time as inline SVG).
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Report is one lab run.
type Report struct {
	Lab       string            `json:"lab"`
	Source    string            `json:"source"`
	Profile   string            `json:"profile"`
	Variables map[string]string `json:"variables,omitempty"`
	Started   time.Time         `json:"started"`
	Seconds   float64           `json:"seconds"`
	Passed    bool              `json:"passed"`
	Error     string            `json:"error,omitempty"`
	Steps     []*Step           `json:"steps"`
	// Monitor holds the time series sampled while the steps ran.
	Monitor *Monitor `json:"monitor,omitempty"`
}

// Step is one step's outcome.
type Step struct {
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Passed  bool      `json:"passed"`
	Error   string    `json:"error,omitempty"`
	// Background: the step ran while the next ones did.
	Background bool `json:"background,omitempty"`
	// Detail says what a control step did or saw ("upf: 3 ready").
	Detail string `json:"detail,omitempty"`

	// For UE steps: how many UEs acted, succeeded, and why others failed.
	UEs      int            `json:"ues,omitempty"`
	OK       int            `json:"ok,omitempty"`
	Failures map[string]int `json:"failures,omitempty"`
	// LatencyMs summarises the per-UE step times; Samples keeps them for
	// the histogram.
	LatencyMs *Summary  `json:"latency_ms,omitempty"`
	Samples   []float64 `json:"samples_ms,omitempty"`

	Traffic *Traffic `json:"traffic,omitempty"`
	Calls   *Calls   `json:"calls,omitempty"`
	Assert  *Assert  `json:"assert,omitempty"`
}

// Traffic is the echo exchange of a traffic step, over all UEs.
type Traffic struct {
	Sent      int     `json:"sent"`
	Received  int     `json:"received"`
	LossRatio float64 `json:"loss_ratio"`
	// UEsWithoutReplies got no reply at all; BrokenSessions (a superset)
	// are those and the UEs whose last reply came more than BrokenGapMs
	// (max(3 intervals, 1 s)) before their last request. UEs that failed
	// the step count in both. BrokenUEs names the first few.
	UEsWithoutReplies int       `json:"ues_without_replies"`
	BrokenSessions    int       `json:"broken_sessions"`
	BrokenUEs         []string  `json:"broken_ues,omitempty"`
	BrokenGapMs       float64   `json:"broken_gap_ms,omitempty"`
	RTTMs             *Summary  `json:"rtt_ms,omitempty"`
	RTTs              []float64 `json:"rtts_ms,omitempty"`
}

// Assert is an assert step's check: of a step's metric, or of a monitor
// series' (Monitor names it). With Of, Value is the ratio Measured /
// OfValue, OfValue being what Of names ("sent of load").
type Assert struct {
	Step     string   `json:"step,omitempty"`
	Monitor  string   `json:"monitor,omitempty"`
	Metric   string   `json:"metric"`
	Value    float64  `json:"value"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Of       string   `json:"of,omitempty"`
	OfValue  float64  `json:"of_value,omitempty"`
	Measured float64  `json:"measured,omitempty"`
}

// Summary holds percentiles of a sample.
type Summary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Summarize computes a Summary (nil for an empty sample).
func Summarize(xs []float64) *Summary {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return &Summary{N: len(s), Mean: sum / float64(len(s)), P50: quantile(s, 0.5), P90: quantile(s, 0.9),
		P99: quantile(s, 0.99), Max: s[len(s)-1]}
}

// quantile is the nearest-rank quantile of sorted s.
func quantile(s []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Metrics are the names an assert step may check.
var Metrics = []string{"ok", "failed", "ok_ratio", "p50_ms", "p90_ms", "p99_ms", "max_ms",
	"sent", "received", "loss_ratio", "rtt_p50_ms", "rtt_p99_ms", "ues_without_replies", "broken_sessions", "seconds",
	"calls", "answered", "setup_p50_ms", "setup_p99_ms", "rtp_loss_ratio", "jitter_ms", "mos_min", "bearers_got", "bearers_released"}

// Metric returns one of Metrics for this step; false when the step has no
// such value (a latency of a step without UEs).
func (s *Step) Metric(name string) (float64, bool) {
	lat, tr := s.LatencyMs, s.Traffic
	switch name {
	case "ok":
		return float64(s.OK), s.UEs > 0
	case "failed":
		return float64(s.UEs - s.OK), s.UEs > 0
	case "ok_ratio":
		if s.UEs == 0 {
			return 0, false
		}
		return float64(s.OK) / float64(s.UEs), true
	case "seconds":
		return s.Seconds, true
	case "p50_ms", "p90_ms", "p99_ms", "max_ms":
		if lat == nil {
			return 0, false
		}
		return map[string]float64{"p50_ms": lat.P50, "p90_ms": lat.P90, "p99_ms": lat.P99, "max_ms": lat.Max}[name], true
	case "sent", "received", "loss_ratio", "ues_without_replies", "broken_sessions":
		if tr == nil {
			return 0, false
		}
		return map[string]float64{"sent": float64(tr.Sent), "received": float64(tr.Received), "loss_ratio": tr.LossRatio,
			"ues_without_replies": float64(tr.UEsWithoutReplies), "broken_sessions": float64(tr.BrokenSessions)}[name], true
	case "rtt_p50_ms", "rtt_p99_ms":
		if tr == nil || tr.RTTMs == nil {
			return 0, false
		}
		if name == "rtt_p50_ms" {
			return tr.RTTMs.P50, true
		}
		return tr.RTTMs.P99, true
	}
	return s.Calls.metric(name)
}

// Find returns the step named name.
func (r *Report) Find(name string) *Step {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Write writes report.json and report.html into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "report.json"), data); err != nil {
		return err
	}
	html, err := r.HTML()
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "report.html"), html)
}

// writeFile writes through a temporary file so a report is never half written.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
