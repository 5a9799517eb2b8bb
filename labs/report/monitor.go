package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Monitor is the time series a lab sampled while its steps ran.
type Monitor struct {
	Started   time.Time `json:"started"`
	IntervalS float64   `json:"interval_s"`
	Series    []*Series `json:"series"`
}

// Series kinds.
const (
	// KindGauge sums a metric's current values over an NF's instances.
	KindGauge = "gauge"
	// KindRate is the per-second increase of a counter summed over an NF's
	// instances; Total is its increase over the whole run.
	KindRate = "rate"
	// KindReplicas counts an NF's ready replicas.
	KindReplicas = "replicas"
	// KindLoss is 1 - received/sent of two rate series, per interval;
	// Total is the ratio over their totals.
	KindLoss = "loss"
)

// Series is one sampled quantity over time.
type Series struct {
	Name   string            `json:"name"`
	Kind   string            `json:"kind"`
	NF     string            `json:"nf,omitempty"`
	Metric string            `json:"metric,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// Scale multiplied every value (8 turns bytes into bits).
	Scale float64 `json:"scale,omitempty"`
	// Of names the sent and received series of a loss series.
	Of     []string `json:"of,omitempty"`
	Points []Point  `json:"points"`
	// Total is set for rate series (cumulative, scaled) and loss series
	// (overall ratio).
	Total *float64 `json:"total,omitempty"`
	// ScrapeErrors counts instance scrapes that failed; LastError is the
	// latest such failure.
	ScrapeErrors int    `json:"scrape_errors,omitempty"`
	LastError    string `json:"last_error,omitempty"`
}

// Point is one sample: T seconds since the monitor started, value V. It is
// written as [t, v] to keep long series small.
type Point struct{ T, V float64 }

// MarshalJSON writes [t, v].
func (p Point) MarshalJSON() ([]byte, error) { return json.Marshal([2]float64{p.T, p.V}) }

// UnmarshalJSON reads [t, v].
func (p *Point) UnmarshalJSON(b []byte) error {
	var tv [2]float64
	if err := json.Unmarshal(b, &tv); err != nil {
		return fmt.Errorf("point: want [t, v]: %w", err)
	}
	p.T, p.V = tv[0], tv[1]
	return nil
}

// SeriesMetrics are what an assert may check of a monitor series.
var SeriesMetrics = []string{"total", "max", "min", "last"}

// HasTotal says whether a series of kind has a meaningful total.
func HasTotal(kind string) bool { return kind == KindRate || kind == KindLoss }

// Value returns one of SeriesMetrics; false when the series has no such
// value yet (no points, or no total).
func (s *Series) Value(metric string) (float64, bool) {
	if metric == "total" {
		if s.Total == nil {
			return 0, false
		}
		return *s.Total, true
	}
	if len(s.Points) == 0 {
		return 0, false
	}
	vs := make([]float64, len(s.Points))
	for i, p := range s.Points {
		vs[i] = p.V
	}
	switch metric {
	case "max":
		return slices.Max(vs), true
	case "min":
		return slices.Min(vs), true
	case "last":
		return vs[len(vs)-1], true
	}
	return 0, false
}

// Find returns the series named name.
func (m *Monitor) Find(name string) *Series {
	if m == nil {
		return nil
	}
	for _, s := range m.Series {
		if s.Name == name {
			return s
		}
	}
	return nil
}
