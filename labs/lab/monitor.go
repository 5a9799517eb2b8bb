package lab

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/report"
	"github.com/corebox/corebox/orchestrator/controller"
)

// finalSampleTimeout bounds the sample taken when the steps end.
const finalSampleTimeout = 5 * time.Second

// monitor samples a lab's series while its steps run. Rounds are
// serialised: the ticker's and those an assert asks for.
type monitor struct {
	spec    *Monitor
	profile string
	api     Orchestrator
	src     MetricsSource
	now     func() time.Time

	mu       sync.Mutex
	rep      *report.Monitor
	counters map[string]*counterSum        // rate series
	gauges   map[string]map[string]float64 // gauge series: instance → last value
	prev     time.Time                     // the previous round

	cancel context.CancelFunc
	done   chan struct{}
}

// startMonitor takes a first sample now and then one every interval,
// until stop.
func (r *Runner) startMonitor(ctx context.Context, profile string, spec *Monitor) *monitor {
	m := newMonitor(r.API, r.metrics(), profile, spec, time.Now)
	lctx, cancel := context.WithCancel(ctx)
	m.cancel = cancel
	go m.loop(lctx)
	return m
}

// newMonitor prepares the series; now is the clock (tests give theirs).
func newMonitor(api Orchestrator, src MetricsSource, profile string, spec *Monitor, now func() time.Time) *monitor {
	m := &monitor{spec: spec, profile: profile, api: api, src: src, now: now,
		rep:      &report.Monitor{Started: now(), IntervalS: spec.Interval.Seconds()},
		counters: map[string]*counterSum{}, gauges: map[string]map[string]float64{}, done: make(chan struct{})}
	for _, s := range spec.Series {
		rs := &report.Series{Name: s.Name, Kind: s.Kind(), NF: strings.Join(s.nfNames(), "+"), Metric: s.Metric, Labels: s.Labels, Scale: s.scale()}
		if s.Loss != nil {
			rs.Of = []string{s.Loss.Sent, s.Loss.Received}
		}
		m.rep.Series = append(m.rep.Series, rs)
		switch s.Kind() {
		case report.KindRate:
			m.counters[s.Name] = &counterSum{since: m.rep.Started, seen: map[string]instanceCount{}}
		case report.KindGauge:
			m.gauges[s.Name] = map[string]float64{}
		}
	}
	return m
}

func (s SeriesSpec) scale() float64 {
	if s.Scale == 0 {
		return 1
	}
	return s.Scale
}

func (m *monitor) loop(ctx context.Context) {
	defer close(m.done)
	tick := time.NewTicker(m.spec.Interval)
	defer tick.Stop()
	for {
		m.sample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stop ends the sampling with a last round and returns the series.
func (m *monitor) stop(ctx context.Context) *report.Monitor {
	m.cancel()
	<-m.done
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalSampleTimeout)
	defer cancel()
	m.sample(fctx)
	return m.rep
}

// value samples now (so a total includes what was counted up to this
// moment) and returns a series' metric.
func (m *monitor) value(ctx context.Context, name, metric string) (float64, bool) {
	m.sample(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.rep.Find(name)
	if s == nil {
		return 0, false
	}
	return s.Value(metric)
}

// sample takes one round: the profile's status, one scrape per running
// instance of every NF a metric series names, then every series' point.
func (m *monitor) sample(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	st, err := m.api.Status(ctx, m.profile, false)
	if err != nil {
		if ctx.Err() == nil {
			for _, s := range m.rep.Series {
				s.ScrapeErrors++
				s.LastError = "status: " + err.Error()
			}
		}
		return
	}
	t := now.Sub(m.rep.Started).Seconds()
	dt := now.Sub(m.prev).Seconds()
	if m.prev.IsZero() {
		dt = 0
	}
	m.prev = now
	byNF := map[string][]scraped{}
	for i, spec := range m.spec.Series {
		s := m.rep.Series[i]
		if spec.Loss != nil {
			continue
		}
		ready, instances, err := nfsOf(st, spec.nfNames())
		if err != nil {
			s.ScrapeErrors++
			s.LastError = err.Error()
			continue
		}
		if spec.Replicas {
			addPoint(s, t, float64(ready))
			continue
		}
		key := strings.Join(spec.nfNames(), "+")
		scrapes, ok := byNF[key]
		if !ok {
			scrapes = scrapeAll(ctx, m.src, instances)
			byNF[key] = scrapes
		}
		if spec.Rate {
			m.rate(s, spec, scrapes, t, dt)
		} else {
			m.gauge(s, spec, scrapes, t)
		}
	}
	for i, spec := range m.spec.Series {
		if spec.Loss != nil {
			loss(m.rep.Series[i], m.rep.Find(spec.Loss.Sent), m.rep.Find(spec.Loss.Received), t)
		}
	}
}

// addPoint appends a point; a value out of float range (a sum that
// overflowed) is an error, not a point JSON could not write.
func addPoint(s *report.Series, t, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s.ScrapeErrors++
		s.LastError = fmt.Sprintf("value at %.1fs is %v", t, v)
		return
	}
	s.Points = append(s.Points, report.Point{T: t, V: v})
}

// setTotal keeps a series' total when it is a number JSON can write.
func setTotal(s *report.Series, v float64) {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		s.Total = &v
	}
}

// failed records why instances gave no value this round.
func failed(s *report.Series, errs []error) {
	if len(errs) > 0 {
		s.ScrapeErrors += len(errs)
		s.LastError = errs[len(errs)-1].Error()
	}
}

// rate adds the counter's per-second increase since the last round (no
// point on the first round, which only sets the baseline).
func (m *monitor) rate(s *report.Series, spec SeriesSpec, scrapes []scraped, t, dt float64) {
	var rs []reading
	var errs []error
	for _, sc := range scrapes {
		v, _, missing := metricSum([]scraped{sc}, spec.Metric, spec.Labels)
		if len(missing) > 0 {
			errs = append(errs, missing...)
			continue
		}
		rs = append(rs, reading{instance: sc.in.Name, started: sc.in.StartedAt, value: v})
	}
	failed(s, errs)
	c := m.counters[spec.Name]
	inc := c.add(rs)
	setTotal(s, c.total*spec.scale())
	if dt > 0 {
		addPoint(s, t, inc*spec.scale()/dt)
	}
}

// gauge sums the current values; an instance that could not be scraped
// this round counts with its last value, so a missed scrape is no dip.
func (m *monitor) gauge(s *report.Series, spec SeriesSpec, scrapes []scraped, t float64) {
	last := m.gauges[spec.Name]
	now := map[string]float64{}
	var errs []error
	for _, sc := range scrapes {
		v, found, missing := metricSum([]scraped{sc}, spec.Metric, spec.Labels)
		switch {
		case found == 1:
			now[sc.in.Name] = v
		case hasKey(last, sc.in.Name):
			now[sc.in.Name] = last[sc.in.Name]
		}
		errs = append(errs, missing...)
	}
	failed(s, errs)
	m.gauges[spec.Name] = now
	if len(now) == 0 && len(scrapes) > 0 {
		return // no instance answered: nothing to plot
	}
	sum := 0.0
	for _, v := range now {
		sum += v
	}
	addPoint(s, t, sum*spec.scale())
}

func hasKey(m map[string]float64, k string) bool {
	_, ok := m[k]
	return ok
}

// loss is 1 - received/sent of this round's rates, and of the totals.
func loss(s, sent, recv *report.Series, t float64) {
	ratio := func(a, b float64) float64 {
		if a <= 0 {
			return 0
		}
		return max(0, (a-b)/a)
	}
	if sent == nil || recv == nil || sent.Total == nil || recv.Total == nil {
		return
	}
	setTotal(s, ratio(*sent.Total, *recv.Total))
	ns, nr := len(sent.Points), len(recv.Points)
	if ns == 0 || nr == 0 || sent.Points[ns-1].T != t || recv.Points[nr-1].T != t {
		return // one of them has no rate this round
	}
	addPoint(s, t, ratio(sent.Points[ns-1].V, recv.Points[nr-1].V))
}

// counterSum follows a counter over an NF's instances: its increase
// since the monitor began, through counter resets (a restarted instance)
// and instances coming and going (a removed replica's counts stay in the
// total: each instance's last value is kept).
type counterSum struct {
	since  time.Time
	seen   map[string]instanceCount
	total  float64
	rounds int
}

type instanceCount struct {
	started time.Time
	last    float64
}

// reading is one instance's counter value in a round.
type reading struct {
	instance string
	started  time.Time // when its container started; zero when unknown
	value    float64
}

// add folds in one round's readings (instances that could not be
// scraped are left out: their increase shows in a later round) and
// returns the increase since the previous round.
func (c *counterSum) add(rs []reading) float64 {
	first := c.rounds == 0
	c.rounds++
	inc := 0.0
	for _, r := range rs {
		prev, ok := c.seen[r.instance]
		switch {
		case ok && prev.started.Equal(r.started) && r.value >= prev.last:
			inc += r.value - prev.last
		case ok:
			inc += r.value // a reset or a new container: it counted from 0
		case r.started.IsZero() && first, !r.started.IsZero() && r.started.Before(c.since):
			// It counted before the monitor began: only later increases are ours.
		default:
			inc += r.value // a new instance: all it counted is ours
		}
		c.seen[r.instance] = instanceCount{started: r.started, last: r.value}
	}
	c.total += inc
	return inc
}

// nfsOf sums the ready replicas and lists the running instances of names.
func nfsOf(st *controller.Status, names []string) (ready int, instances []controller.InstanceStatus, err error) {
	for _, name := range names {
		nf, err := nfOf(st, name)
		if err != nil {
			return 0, nil, err
		}
		ready += nf.Ready
		instances = append(instances, running(nf)...)
	}
	return ready, instances, nil
}
