package autoscale

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Sample is one replica's metric value; OK is false when its scrape
// failed (a non-finite Value counts as failed too).
type Sample struct {
	Instance string
	Value    float64
	OK       bool
}

// Decision is one evaluation of a policy, changed or not, with the
// values that led to it (for the event log).
type Decision struct {
	At               time.Time
	Current, Desired int
	Metric           string
	Values           []Sample
	Average, Target  float64
	Reason           string
}

// Scaler evaluates one NF's policy and remembers its last change; safe
// for concurrent use.
type Scaler struct {
	mu         sync.Mutex
	p          Policy
	lastChange time.Time
}

// NewScaler returns a Scaler for p. An invalid p (see Policy.Validate)
// never changes replicas; each Decision's Reason says why.
func NewScaler(p Policy) *Scaler {
	if p.Tolerance == 0 {
		p.Tolerance = DefaultTolerance
	}
	return &Scaler{p: p}
}

// LastChange is when Decide last returned a change (zero: never).
func (s *Scaler) LastChange() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastChange
}

// Decide computes the replicas the NF should run and whether that is a
// change the caller should apply now. A returned change is recorded as
// the start of a cooldown.
//
// The rule is Kubernetes' HPA rule: desired = ceil(current × average /
// target), clamped to [Min, Max]. Three things keep it from flapping:
//   - hysteresis: no change while |average/target − 1| ≤ Tolerance, so
//     noise around the target does nothing;
//   - the ceiling: after a change to d under steady load, the next
//     evaluation computes ceil(d × (current×average/d) / target) = d again,
//     and the new per-replica load is at most the target, so a scale-down
//     never lands above the band and triggers a scale-up;
//   - a cooldown after every change, up or down, so the new replicas'
//     effect shows in the metric before the next decision.
//
// Bounds are enforced at once, cooldown or not: replicas outside
// [Min, Max] (a manual scale, a changed policy) are wrong whatever the
// metric says. Metrics must be trustworthy to act on: with fewer than half
// the replicas scraped nothing changes, and with any scrape failed the NF
// is not scaled down (a replica too busy to answer is no reason to
// remove capacity).
func (s *Scaler) Decide(now time.Time, current int, samples []Sample) (Decision, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.p
	d := Decision{At: now, Current: current, Desired: current, Metric: p.Metric,
		Values: slices.Clone(samples), Target: p.Target}
	if err := p.Validate(); err != nil {
		return d.keep("invalid policy: " + err.Error())
	}
	if current < p.Min {
		return s.change(d, p.Min, fmt.Sprintf("%s is below min %d", replicas(current), p.Min))
	}
	if current > p.Max {
		return s.change(d, p.Max, fmt.Sprintf("%s is above max %d", replicas(current), p.Max))
	}
	ok, avg := average(samples)
	d.Average = avg
	if len(samples) == 0 {
		return d.keep("no samples of " + p.Metric)
	}
	if ok == 0 || ok*2 < len(samples) {
		return d.keep(fmt.Sprintf("only %d of %d scrapes of %s succeeded; need at least half to decide",
			ok, len(samples), p.Metric))
	}
	ratio := avg / p.Target
	state := fmt.Sprintf("average %s is %s× target %s", num(avg), num(ratio), num(p.Target))
	// The epsilon keeps a ratio of exactly 1.1 inside a 0.1 band despite
	// float rounding (110/100 − 1 > 0.1).
	if math.Abs(ratio-1) <= p.Tolerance+1e-9 {
		return d.keep(fmt.Sprintf("%s: within tolerance %s", state, num(p.Tolerance)))
	}
	want := int(math.Ceil(float64(current)*ratio - 1e-9))
	desired := min(max(want, p.Min), p.Max)
	switch {
	case desired == current && want > p.Max:
		return d.keep(fmt.Sprintf("%s: needs %s, already at max %d", state, replicas(want), p.Max))
	case desired == current && want < p.Min:
		return d.keep(fmt.Sprintf("%s: needs %s, already at min %d", state, replicas(want), p.Min))
	case desired == current:
		return d.keep(fmt.Sprintf("%s: needs %s, as now", state, replicas(desired)))
	case desired < current && ok < len(samples):
		return d.keep(fmt.Sprintf("%s: would scale %d → %d, but not down while %d of %d scrapes failed",
			state, current, desired, len(samples)-ok, len(samples)))
	}
	if until := s.lastChange.Add(p.Cooldown); !s.lastChange.IsZero() && now.Before(until) {
		return d.keep(fmt.Sprintf("%s: would scale %d → %d, but cooling down until %s (last change %s)",
			state, current, desired, until.Format(time.RFC3339), s.lastChange.Format(time.RFC3339)))
	}
	return s.change(d, desired, fmt.Sprintf("%s: scaling %d → %d", state, current, desired))
}

func (d Decision) keep(reason string) (Decision, bool) {
	d.Reason = reason
	return d, false
}

func (s *Scaler) change(d Decision, desired int, reason string) (Decision, bool) {
	d.Desired, d.Reason = desired, reason
	s.lastChange = d.At
	return d, true
}

// average is the mean of the usable samples and how many there were.
func average(samples []Sample) (ok int, avg float64) {
	var sum float64
	for _, x := range samples {
		if x.OK && !math.IsNaN(x.Value) && !math.IsInf(x.Value, 0) {
			ok++
			sum += x.Value
		}
	}
	if ok == 0 {
		return 0, 0
	}
	return ok, sum / float64(ok)
}

// num prints values briefly, to three decimals: 1.5, 0.675, 1234567.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }

func replicas(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return strconv.Itoa(n) + " replicas"
}
