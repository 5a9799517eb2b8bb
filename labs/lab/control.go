package lab

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// Defaults of the control steps.
const (
	defaultWaitTimeout = 2 * time.Minute
	defaultPollEvery   = 250 * time.Millisecond
)

func (r *Runner) pollEvery() time.Duration {
	if r.PollEvery > 0 {
		return r.PollEvery
	}
	return defaultPollEvery
}

func (r *Runner) metrics() MetricsSource {
	if r.Metrics != nil {
		return r.Metrics
	}
	return httpMetrics{port: r.opsPort(), client: &http.Client{}}
}

// wait sleeps for w.For, or polls until w.Until holds.
func (x *execution) wait(ctx context.Context, w WaitStep, rs stepRun) error {
	if w.Until == nil {
		t := time.NewTimer(w.For)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	timeout := w.Timeout
	if timeout == 0 {
		timeout = defaultWaitTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(x.r.pollEvery())
	defer tick.Stop()
	for {
		ok, seen, err := x.holds(wctx, *w.Until)
		if err != nil {
			return err
		}
		rs.Detail = seen
		if ok {
			rs.Detail = fmt.Sprintf("%s after %.1fs", seen, time.Since(rs.start).Seconds())
			return nil
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s: not so after %v; last seen %s", w.Until, timeout, seen)
		case <-tick.C:
		}
	}
}

// holds checks c once; seen says what was observed. err is set only when
// waiting longer cannot help.
func (x *execution) holds(ctx context.Context, c Condition) (ok bool, seen string, err error) {
	st, err := x.r.API.Status(ctx, x.profile, false)
	if err != nil {
		return false, "status: " + err.Error(), nil // the daemon may be busy: poll on
	}
	nf, err := nfOf(st, c.NF)
	if err != nil {
		return false, "", err
	}
	if c.Replicas != nil {
		// N ready and no others, so a scale-in holds once the drained
		// replicas are gone.
		return nf.Ready == *c.Replicas && len(nf.Instances) == *c.Replicas, describeNF(nf), nil
	}
	ins := running(nf)
	sum, found, missing := metricSum(scrapeAll(ctx, x.r.metrics(), ins), c.Metric, c.Labels)
	seen = fmt.Sprintf("%s%s = %g over %d of %d running %s instances", c.Metric, labelText(c.Labels), sum, found, len(ins), c.NF)
	if len(missing) > 0 {
		seen += " (" + missing[0].Error() + ")"
	}
	// A sum without every instance is partial: no verdict on it.
	ok = found > 0 && found == len(ins) && inRange(sum, c.Min, c.Max)
	return ok, seen, nil
}

func inRange(v float64, lo, hi *float64) bool {
	return (lo == nil || v >= *lo) && (hi == nil || v <= *hi)
}

// String says what the condition waits for.
func (c Condition) String() string {
	if c.Replicas != nil {
		return fmt.Sprintf("%s at %d ready replicas", c.NF, *c.Replicas)
	}
	s := fmt.Sprintf("sum of %s%s over %s", c.Metric, labelText(c.Labels), c.NF)
	if c.Min != nil {
		s += fmt.Sprintf(" >= %g", *c.Min)
	}
	if c.Max != nil {
		s += fmt.Sprintf(" <= %g", *c.Max)
	}
	return s
}

// describeNF is "upf: 1 ready of 3, 5gc-upf-2 draining" for messages.
func describeNF(nf *controller.NFStatus) string {
	s := fmt.Sprintf("%s: %d ready of %d", nf.Name, nf.Ready, len(nf.Instances))
	for _, in := range nf.Instances {
		if in.Phase == state.PhaseReady {
			continue
		}
		s += fmt.Sprintf(", %s %s", in.Name, in.Phase)
		if in.Message != "" {
			s += " (" + in.Message + ")"
		}
	}
	return s
}

// scale sets the NF's replica count; a wait step follows it to see the
// replicas come or go.
func (x *execution) scale(ctx context.Context, s ScaleStep, rs stepRun) error {
	st, err := x.r.API.Status(ctx, x.profile, false)
	if err != nil {
		return fmt.Errorf("status of %s: %w", x.profile, err)
	}
	nf, err := nfOf(st, s.NF)
	if err != nil {
		return err
	}
	if err := x.r.API.Scale(ctx, x.profile, map[string]int{s.NF: *s.Replicas}); err != nil {
		return fmt.Errorf("scale %s to %d: %w", s.NF, *s.Replicas, err)
	}
	rs.Detail = fmt.Sprintf("%s: %d → %d replicas", s.NF, nf.Desired, *s.Replicas)
	return nil
}

// resize changes one instance's limits in place (the daemon records them
// in the profile's desired state).
func (x *execution) resize(ctx context.Context, s ResizeStep, rs stepRun) error {
	name := profiles.InstanceName(x.profile, s.NF, s.Index)
	cur, err := x.r.API.Inspect(ctx, name)
	if err != nil {
		return fmt.Errorf("resize %s: %w", name, err)
	}
	res, err := s.over(cur.Spec.Resources)
	if err != nil {
		return err
	}
	got, err := x.r.API.Resize(ctx, name, res)
	if err != nil {
		return fmt.Errorf("resize %s: %w", name, err)
	}
	r := got.Spec.Resources
	rs.Detail = fmt.Sprintf("%s: cpus %s, memory %s", name, limitText(r.CPUs, fmt.Sprintf("%g", r.CPUs)), limitText(r.MemoryBytes, sizeText(r.MemoryBytes)))
	return nil
}

// limitText is text, or "unlimited" for a zero limit.
func limitText[T float64 | int64](v T, text string) string {
	if v == 0 {
		return "unlimited"
	}
	return text
}

// sizeText writes bytes in the largest binary unit that divides them.
func sizeText(b int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if b%u.size == 0 {
			return fmt.Sprintf("%d%s", b/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%d", b)
}

// resources are the limits the step sets, checked.
func (s ResizeStep) resources() (container.Resources, error) {
	return s.over(container.Resources{})
}

// over applies the step's limits over cur.
func (s ResizeStep) over(cur container.Resources) (container.Resources, error) {
	if s.CPUs != nil {
		cur.CPUs = *s.CPUs
	}
	if s.Memory != "" {
		b, err := profiles.ParseMemory(s.Memory)
		if err != nil {
			return cur, fmt.Errorf("memory: %w", err)
		}
		cur.MemoryBytes = b
	}
	return cur, cur.Validate()
}
