package lab

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/labs/simapi"
)

// execution is one run of a lab's steps.
type execution struct {
	r       *Runner
	profile string
	rep     *report.Report
	out     io.Writer // safe for background steps' lines
	bg      *background
	mon     *monitor // nil without a monitor section
}

// steps runs the lab's steps in order, background ones beside the next,
// with the monitor sampling throughout. A failed step cancels the
// background steps still running; the rest of the steps still run.
func (x *execution) steps(ctx context.Context, l *Lab) error {
	if l.Monitor != nil {
		x.mon = x.r.startMonitor(ctx, x.profile, l.Monitor)
		defer func() { x.rep.Monitor = x.mon.stop(ctx) }()
	}
	var names []string
	for _, s := range l.Steps {
		rs := x.r.step(x.rep, s.Name, s.Kind())
		names = append(names, s.Name)
		if s.background() {
			rs.Background = true
			fmt.Fprintf(x.out, "%-12s %-10s started in the background\n", s.Name, s.Kind())
			x.bg.start(ctx, s.Name, func(ctx context.Context) error { return x.runStep(ctx, s, rs) }, func(err error) {
				rs.finish(err)
				fmt.Fprintf(x.out, "%-12s %-10s %s\n", s.Name, s.Kind(), stepLine(rs))
			})
			continue
		}
		err := x.runStep(ctx, s, rs)
		rs.finish(err)
		fmt.Fprintf(x.out, "%-12s %-10s %s\n", s.Name, s.Kind(), stepLine(rs))
		if err != nil {
			x.bg.cancelAll(fmt.Errorf("step %s failed", s.Name))
		}
		if ctx.Err() != nil {
			break
		}
	}
	x.bg.wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var failed []string
	for _, name := range names {
		if s := x.rep.Find(name); s != nil && !s.Passed {
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("steps failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// runStep runs one lab step and fills its report entry.
func (x *execution) runStep(ctx context.Context, s Step, rs stepRun) error {
	switch {
	case s.Register != nil:
		return x.ueStep(ctx, s.Register.NF, simapi.PathRegister, simapi.RegisterRequest{Selector: selector(*s.Register)}, rs, 0, 0)
	case s.Session != nil:
		ss := s.Session
		req := simapi.SessionRequest{Selector: selector(ss.UEStep), DNN: ss.DNN, SST: ss.SST, SD: ss.SD, ID: ss.ID}
		return x.ueStep(ctx, ss.NF, simapi.PathSessions, req, rs, 0, 0)
	case s.Traffic != nil:
		return x.traffic(ctx, *s.Traffic, rs)
	case s.Idle != nil:
		return x.ueStep(ctx, s.Idle.NF, simapi.PathIdle, simapi.IdleRequest{Selector: selector(*s.Idle)}, rs, 0, 0)
	case s.Deregister != nil:
		d := s.Deregister
		return x.ueStep(ctx, d.NF, simapi.PathDeregister, simapi.DeregisterRequest{Selector: selector(d.UEStep), SwitchOff: d.SwitchOff}, rs, 0, 0)
	case s.Assert != nil:
		return x.assert(ctx, *s.Assert, rs)
	case s.Wait != nil:
		return x.wait(ctx, *s.Wait, rs)
	case s.Scale != nil:
		return x.scale(ctx, *s.Scale, rs)
	case s.Resize != nil:
		return x.resize(ctx, *s.Resize, rs)
	case s.Await != "":
		return x.bg.await(ctx, s.Await)
	case s.IMSRegister != nil:
		return x.ueStep(ctx, s.IMSRegister.NF, simapi.PathIMSRegister, imsRequest(*s.IMSRegister), rs, 0, 0)
	case s.IMSDeregister != nil:
		return x.ueStep(ctx, s.IMSDeregister.NF, simapi.PathIMSDeregister, imsRequest(*s.IMSDeregister), rs, 0, 0)
	case s.Call != nil:
		return x.call(ctx, *s.Call, rs)
	}
	return fmt.Errorf("step %s has no action", s.Name)
}

func (x *execution) assert(ctx context.Context, a AssertStep, rs stepRun) error {
	v, err := x.valueOf(ctx, a.Ref)
	if err != nil {
		return err
	}
	ra := &report.Assert{Step: a.Step, Monitor: a.Monitor, Metric: a.Metric, Value: v, Min: a.Min, Max: a.Max}
	rs.Assert = ra
	what := a.Ref.String()
	if a.Of != nil {
		ref, err := x.valueOf(ctx, *a.Of)
		if err != nil {
			return err
		}
		if ref == 0 {
			return fmt.Errorf("%s is 0: no ratio to check %s against", a.Of, what)
		}
		ra.Of, ra.OfValue, ra.Measured, ra.Value = a.Of.String(), ref, v, v/ref
		what = fmt.Sprintf("%s (%s) / %s (%s)", what, num(v), a.Of, num(ref))
		v = ra.Value
	}
	if a.Min != nil && v < *a.Min {
		return fmt.Errorf("%s is %s, want >= %s", what, num(v), num(*a.Min))
	}
	if a.Max != nil && v > *a.Max {
		return fmt.Errorf("%s is %s, want <= %s", what, num(v), num(*a.Max))
	}
	return nil
}

// valueOf reads a step's metric or a monitor series' (sampled now).
func (x *execution) valueOf(ctx context.Context, r Ref) (float64, error) {
	var v float64
	var ok bool
	if r.Monitor != "" {
		if x.mon == nil {
			return 0, fmt.Errorf("%s: the lab has no monitor", r)
		}
		v, ok = x.mon.value(ctx, r.Monitor, r.Metric)
	} else {
		target := x.rep.Find(r.Step)
		if target == nil {
			return 0, fmt.Errorf("step %s did not run", r.Step)
		}
		v, ok = target.Metric(r.Metric)
	}
	if !ok {
		return 0, fmt.Errorf("%s: no such value (yet)", r)
	}
	return v, nil
}

// num prints whole numbers whole (packet counts) and others to 4 digits.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
