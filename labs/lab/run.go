package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/profiles"
)

// Options are a run's settings beside the lab.
type Options struct {
	ImageTag string
	// Keep leaves the profile up after the run.
	Keep bool
	// ReadyTimeout bounds the bring-up.
	ReadyTimeout time.Duration
	// Progress receives a line per event of the run.
	Progress io.Writer
	// OnNetworks, when set, is called once the profile's networks exist,
	// before its NFs talk (to start a capture, say); the func it returns is
	// called when the steps end.
	OnNetworks func(ctx context.Context, profile string) (func() error, error)
}

// Runner runs labs through the daemon's API.
type Runner struct {
	API Orchestrator
	// OpsPort is the simulators', UDR's and scraped NFs' ops port (default
	// 9090).
	OpsPort string
	// Metrics reads instances' metrics for monitor series and wait steps
	// (nil: GET /metrics on OpsPort).
	Metrics MetricsSource
	// PollEvery is how often wait steps poll (default 250ms).
	PollEvery time.Duration
}

// Run brings the lab's profile up, provisions its subscribers, runs its
// steps and, unless opts.Keep, takes the profile down again. The report is
// returned even when the run fails; err says why it failed.
func (r *Runner) Run(ctx context.Context, l *Lab, opts Options) (*report.Report, error) {
	out := opts.Progress
	if out == nil {
		out = io.Discard
	}
	rep := &report.Report{Lab: l.Name, Source: l.Source, Profile: l.Profile, Variables: l.Variables, Started: time.Now()}
	err := r.run(ctx, l, opts, rep, out)
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.Passed = err == nil
	if err != nil {
		rep.Error = err.Error()
	}
	return rep, err
}

func (r *Runner) run(ctx context.Context, l *Lab, opts Options, rep *report.Report, out io.Writer) (err error) {
	p, err := r.loadProfile(l)
	if err != nil {
		return err
	}
	rep.Profile = p.Name
	if !opts.Keep {
		defer r.down(p.Name, out)
	}
	up := r.step(rep, "up", "up")
	done, err := r.bringUp(ctx, p, l, opts, out)
	if done != nil {
		defer func() {
			if derr := done(); derr != nil && err == nil {
				err = derr
			}
		}()
	}
	up.finish(err)
	if err != nil {
		return err
	}
	st, err := r.API.Status(ctx, p.Name, false)
	if err != nil {
		return fmt.Errorf("status of %s: %w", p.Name, err)
	}
	prov := r.step(rep, "subscribers", "subscribers")
	n, err := r.provision(ctx, st, l.Subscribers)
	prov.UEs, prov.OK = n, n
	prov.finish(err)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "provisioned %d subscriber(s)\n", n)
	x := &execution{r: r, profile: p.Name, rep: rep, out: &lockedWriter{w: out}, bg: newBackground()}
	return x.steps(ctx, l)
}

// loadProfile loads the lab's profile, passing it the lab variables it
// declares.
func (r *Runner) loadProfile(l *Lab) (*profiles.Profile, error) {
	ref := l.Profile
	if l.Dir != "" && strings.Contains(ref, "/") && !filepath.IsAbs(ref) {
		ref = filepath.Join(l.Dir, ref)
	}
	plain, err := profiles.Find(ref, profiles.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("lab %s: profile %s: %w", l.Name, l.Profile, err)
	}
	set := map[string]string{}
	for k, v := range l.Variables {
		if _, declared := plain.Variables[k]; declared {
			set[k] = v
		}
	}
	var unknown []string
	for k, v := range l.Extra {
		if _, declared := plain.Variables[k]; !declared {
			unknown = append(unknown, k)
		}
		set[k] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("lab %s: --set %s: neither the lab nor profile %s declares it (lab: %s; profile: %s)", l.Name,
			strings.Join(unknown, ", "), l.Profile, strings.Join(sortedKeys(l.Variables), ", "), strings.Join(sortedKeys(plain.Variables), ", "))
	}
	if len(set) == 0 {
		return plain, nil
	}
	p, err := profiles.Find(ref, profiles.LoadOptions{Set: set})
	if err != nil {
		return nil, fmt.Errorf("lab %s: profile %s with %v: %w", l.Name, l.Profile, set, err)
	}
	return p, nil
}

// bringUp applies the profile, calls opts.OnNetworks once its networks
// exist, and waits until it is ready. done is OnNetworks' finisher.
func (r *Runner) bringUp(ctx context.Context, p *profiles.Profile, l *Lab, opts Options, out io.Writer) (done func() error, err error) {
	set := maps.Clone(p.Variables)
	plan, err := r.API.Apply(ctx, api.ApplyRequest{Profile: *p, Set: set, ImageTag: opts.ImageTag})
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", p.Name, err)
	}
	fmt.Fprintf(out, "lab %s: profile %s: %s\n", l.Name, p.Name, plan.Summary())
	timeout := opts.ReadyTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if opts.OnNetworks != nil {
		if err := r.waitNetworks(wctx, p.Name); err != nil {
			return nil, err
		}
		if done, err = opts.OnNetworks(ctx, p.Name); err != nil {
			return nil, err
		}
	}
	return done, r.API.WaitProfileReady(wctx, p.Name, out)
}

// waitNetworks polls until every network of the profile exists.
func (r *Runner) waitNetworks(ctx context.Context, name string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := r.API.Status(ctx, name, false)
		if err != nil {
			return fmt.Errorf("networks of %s: %w", name, err)
		}
		if allTrue(st.Networks, func(n controller.NetworkStatus) bool { return n.Exists }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("networks of %s not created: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
}

// allTrue: xs is not empty and ok holds for each.
func allTrue[T any](xs []T, ok func(T) bool) bool {
	for _, x := range xs {
		if !ok(x) {
			return false
		}
	}
	return len(xs) > 0
}

// down removes the profile even when the run's context has ended.
func (r *Runner) down(name string, out io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := r.API.Down(ctx, name)
	if err == nil {
		err = r.API.WaitRemoved(ctx, name)
	}
	if err != nil {
		fmt.Fprintf(out, "down %s: %v (run `corebox down %s`)\n", name, err, name)
		return
	}
	fmt.Fprintf(out, "profile %s removed\n", name)
}

// stepRun is a report step being timed.
type stepRun struct {
	*report.Step
	start time.Time
}

func (r *Runner) step(rep *report.Report, name, kind string) stepRun {
	s := &report.Step{Name: name, Kind: kind, Started: time.Now()}
	rep.Steps = append(rep.Steps, s)
	return stepRun{Step: s, start: s.Started}
}

func (s stepRun) finish(err error) {
	s.Seconds = time.Since(s.start).Seconds()
	s.Passed = err == nil
	if err != nil {
		s.Error = err.Error()
	}
}

func stepLine(s stepRun) string {
	var b strings.Builder
	if s.Passed {
		b.WriteString("pass")
	} else {
		b.WriteString("FAIL")
	}
	fmt.Fprintf(&b, "  %.2fs", s.Seconds)
	if s.UEs > 0 {
		fmt.Fprintf(&b, "  %d/%d ok", s.OK, s.UEs)
	}
	if l := s.LatencyMs; l != nil {
		fmt.Fprintf(&b, "  p50 %.1fms p99 %.1fms", l.P50, l.P99)
	}
	if t := s.Traffic; t != nil {
		fmt.Fprintf(&b, "  %d/%d echoed", t.Received, t.Sent)
	}
	if s.Error != "" {
		b.WriteString("  " + s.Error)
	}
	return b.String()
}

// instancesOf returns the mgmt addresses of an NF's ready instances.
func instancesOf(st *controller.Status, nf string) ([]string, error) {
	for _, n := range st.NFs {
		if n.Name != nf {
			continue
		}
		var addrs []string
		for _, in := range n.Instances {
			if a := in.Addresses["mgmt"]; a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("NF %s has no running instance", nf)
		}
		return addrs, nil
	}
	return nil, fmt.Errorf("profile %s has no NF %q", st.Name, nf)
}

// resolveAddrs replaces ${nf.net} with replica 0's address on net.
func resolveAddrs(st *controller.Status, s string) (string, error) {
	var errs []error
	out := reference.ReplaceAllStringFunc(s, func(m string) string {
		nf, net, ok := strings.Cut(m[2:len(m)-1], ".")
		if !ok {
			errs = append(errs, fmt.Errorf("%s: want ${nf.network}", m))
			return m
		}
		for _, n := range st.NFs {
			if n.Name == nf && len(n.Instances) > 0 {
				if a := n.Instances[0].Addresses[net]; a != "" {
					return a
				}
			}
		}
		errs = append(errs, fmt.Errorf("%s: %s has no address on %s", m, nf, net))
		return m
	})
	return out, errors.Join(errs...)
}
