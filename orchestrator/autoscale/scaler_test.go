package autoscale

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/profiles"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fail marks a failed scrape in a recorded row.
const fail = -1.0

// row is one evaluation of a recorded series: the replicas running then,
// each replica's scraped value, and the decision expected.
type row struct {
	at      time.Duration // since t0
	current int
	values  []float64 // fail: that replica's scrape failed
	change  bool
	desired int
	reason  string
}

func samples(values []float64) []Sample {
	s := make([]Sample, len(values))
	for i, v := range values {
		s[i] = Sample{Instance: fmt.Sprintf("5gc-upf-%d", i), Value: v, OK: v != fail}
		if v == fail {
			s[i].Value = 0
		}
	}
	return s
}

func replay(t *testing.T, p Policy, rows []row) {
	t.Helper()
	s := NewScaler(p)
	for _, r := range rows {
		now := t0.Add(r.at)
		d, change := s.Decide(now, r.current, samples(r.values))
		if change != r.change || d.Desired != r.desired || d.Reason != r.reason {
			t.Errorf("t=%v current=%d values=%v:\n got change=%v desired=%d %q\nwant change=%v desired=%d %q",
				r.at, r.current, r.values, change, d.Desired, d.Reason, r.change, r.desired, r.reason)
		}
		if !d.At.Equal(now) || d.Current != r.current || d.Metric != p.Metric || d.Target != p.Target ||
			len(d.Values) != len(r.values) {
			t.Errorf("t=%v: decision does not carry its inputs: %+v", r.at, d)
		}
		if change && !s.LastChange().Equal(now) {
			t.Errorf("t=%v: change not recorded (last change %v)", r.at, s.LastChange())
		}
	}
}

var upfPolicy = Policy{Min: 1, Max: 4, Metric: "corebox_upf_sessions", Target: 100, Cooldown: time.Minute}

// A recorded day of sessions that wanders within ±5% of the target: the
// hysteresis band must absorb all of it.
func TestNoFlapAroundTarget(t *testing.T) {
	values := [][]float64{
		{97, 103, 101}, {104, 95.5, 100}, {102, 98, 105}, {95, 96, 97}, {104.9, 105, 103},
		{99, 101, 100}, {96.2, 103.7, 95.1}, {105, 105, 105}, {95, 95, 95}, {100.4, 99.6, 98.8},
		{103.3, 104.1, 102.2}, {96.6, 95.8, 97.9}, {101, 104, 96}, {95.3, 97, 104.4}, {102.5, 102.5, 95},
		{60, 140, 100}, // one replica hot, one cold: the average is what counts
	}
	s := NewScaler(upfPolicy)
	for i, v := range values {
		// Every 15 s, for longer than many cooldowns.
		d, change := s.Decide(t0.Add(time.Duration(i)*15*time.Second), 3, samples(v))
		if change || d.Desired != 3 {
			t.Errorf("tick %d, values %v: changed to %d: %s", i, v, d.Desired, d.Reason)
		}
		if !strings.Contains(d.Reason, "within tolerance 0.1") {
			t.Errorf("tick %d: reason %q", i, d.Reason)
		}
	}
}

// Load ramps up past what four replicas carry, then falls away.
func TestRampUpThenDown(t *testing.T) {
	replay(t, upfPolicy, []row{
		{0, 1, []float64{80}, false, 1, "average 80 is 0.8× target 100: needs 1 replica, as now"},
		{15 * time.Second, 1, []float64{120}, true, 2, "average 120 is 1.2× target 100: scaling 1 → 2"},
		{30 * time.Second, 2, []float64{65, 70}, false, 2, "average 67.5 is 0.675× target 100: needs 2 replicas, as now"},
		{45 * time.Second, 2, []float64{130, 150}, false, 2, "average 140 is 1.4× target 100: would scale 2 → 3, but cooling down until 2025-03-01T12:01:15Z (last change 2025-03-01T12:00:15Z)"},
		{60 * time.Second, 2, []float64{150, 160}, false, 2, "average 155 is 1.55× target 100: would scale 2 → 4, but cooling down until 2025-03-01T12:01:15Z (last change 2025-03-01T12:00:15Z)"},
		{75 * time.Second, 2, []float64{160, 170}, true, 4, "average 165 is 1.65× target 100: scaling 2 → 4"},
		{90 * time.Second, 4, []float64{95, 90, 88, 99}, false, 4, "average 93 is 0.93× target 100: within tolerance 0.1"},
		{105 * time.Second, 4, []float64{110, 120, 130, 140}, false, 4, "average 125 is 1.25× target 100: needs 5 replicas, already at max 4"},
		{150 * time.Second, 4, []float64{60, 50, 55, 55}, true, 3, "average 55 is 0.55× target 100: scaling 4 → 3"},
		{165 * time.Second, 3, []float64{20, 25, 30}, false, 3, "average 25 is 0.25× target 100: would scale 3 → 1, but cooling down until 2025-03-01T12:03:30Z (last change 2025-03-01T12:02:30Z)"},
		{210 * time.Second, 3, []float64{20, fail, 25}, false, 3, "average 22.5 is 0.225× target 100: would scale 3 → 1, but not down while 1 of 3 scrapes failed"},
		{225 * time.Second, 3, []float64{fail, fail, 10}, false, 3, "only 1 of 3 scrapes of corebox_upf_sessions succeeded; need at least half to decide"},
		{240 * time.Second, 3, []float64{10, 12, 14}, true, 1, "average 12 is 0.12× target 100: scaling 3 → 1"},
		{255 * time.Second, 1, []float64{0}, false, 1, "average 0 is 0× target 100: needs 0 replicas, already at min 1"},
		// Someone scaled to zero by hand within the cooldown: the bound wins.
		{260 * time.Second, 0, nil, true, 1, "0 replicas is below min 1"},
		{270 * time.Second, 1, []float64{fail, 150}, false, 1, "average 150 is 1.5× target 100: would scale 1 → 2, but cooling down until 2025-03-01T12:05:20Z (last change 2025-03-01T12:04:20Z)"},
		// Half the scrapes are enough to scale up.
		{320 * time.Second, 1, []float64{fail, 150}, true, 2, "average 150 is 1.5× target 100: scaling 1 → 2"},
	})
}

func TestBoundsAndEdges(t *testing.T) {
	replay(t, Policy{Min: 2, Max: 3, Metric: "m", Target: 10, Cooldown: time.Hour, Tolerance: 0.2}, []row{
		{0, 5, []float64{1, 1, 1, 1, 1}, true, 3, "5 replicas is above max 3"},
		{time.Second, 3, nil, false, 3, "no samples of m"},
		{2 * time.Second, 3, []float64{12, 12, 12}, false, 3, "average 12 is 1.2× target 10: within tolerance 0.2"},
		{3 * time.Second, 3, []float64{8, 8, 8}, false, 3, "average 8 is 0.8× target 10: within tolerance 0.2"},
		{4 * time.Second, 1, []float64{100}, true, 2, "1 replica is below min 2"},
		{5 * time.Second, 2, []float64{math.NaN(), 30}, false, 2, "average 30 is 3× target 10: would scale 2 → 3, but cooling down until 2025-03-01T13:00:04Z (last change 2025-03-01T12:00:04Z)"},
		{time.Hour + 4*time.Second, 2, []float64{math.Inf(1), math.NaN(), 30}, false, 2, "only 1 of 3 scrapes of m succeeded; need at least half to decide"},
	})
}

func TestToleranceEdgeIsInside(t *testing.T) {
	s := NewScaler(upfPolicy)
	for _, v := range []float64{110, 90} {
		if d, change := s.Decide(t0, 2, samples([]float64{v, v})); change {
			t.Errorf("average %v changed replicas: %s", v, d.Reason)
		}
	}
	if d, change := s.Decide(t0, 2, samples([]float64{110.1, 110.1})); !change || d.Desired != 3 {
		t.Errorf("average just past the band: change=%v desired=%d %s", change, d.Desired, d.Reason)
	}
}

func TestInvalidPolicyNeverChanges(t *testing.T) {
	s := NewScaler(Policy{Min: 3, Max: 2, Target: 0, Tolerance: -1})
	d, change := s.Decide(t0, 0, samples([]float64{500}))
	want := "invalid policy: max 2 must be at least 1 and at least min 3\nno metric named\n" +
		"target 0 must be a finite number above 0\ntolerance -1 must be in [0, 1)"
	if change || d.Reason != want {
		t.Errorf("change=%v reason %q, want %q", change, d.Reason, want)
	}
}

func TestDecisionKeepsItsOwnValues(t *testing.T) {
	in := samples([]float64{150, 150})
	d, _ := NewScaler(upfPolicy).Decide(t0, 2, in)
	in[0].Value = 0
	if d.Values[0].Value != 150 || d.Average != 150 {
		t.Errorf("decision values changed with the caller's slice: %+v", d)
	}
}

func TestFromProfile(t *testing.T) {
	p := FromProfile(profiles.Scaling{Min: 1, Max: 3, Metric: "corebox_upf_sessions", Target: 500, Cooldown: time.Minute})
	want := Policy{Min: 1, Max: 3, Metric: "corebox_upf_sessions", Target: 500, Cooldown: time.Minute}
	if p != want {
		t.Errorf("FromProfile = %+v, want %+v", p, want)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}
