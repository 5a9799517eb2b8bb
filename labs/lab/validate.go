package lab

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/labs/report"
)

var (
	digits15   = regexp.MustCompile(`^[0-9]{15}$`)
	hex32      = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	hex6       = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// Limits of the lab format.
const (
	maxEchoRequests    = 1000000
	minMonitorInterval = 100 * time.Millisecond
	defaultMonitorTick = time.Second
)

// stepActions lists the actions a step may have, for error messages.
const stepActions = "register, session, traffic, idle, deregister, assert, wait, scale, resize, await, ims_register, ims_deregister, call"

// checker collects validation errors as file:line: key: message.
type checker struct {
	file string
	pos  positions
	errs []error
}

func (c *checker) fail(key, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s:%d: %s: %s", c.file, c.pos.line(key), key, fmt.Sprintf(format, args...)))
}

// under returns a fail func for keys below prefix.
func (c *checker) under(prefix string) func(key, format string, args ...any) {
	return func(key, format string, args ...any) { c.fail(prefix+key, format, args...) }
}

// validate checks the decoded lab, names unnamed steps and fills defaults.
func (l *Lab) validate(file string, pos positions) error {
	c := &checker{file: file, pos: pos}
	if l.Name == "" {
		c.fail("name", "required: the lab's name")
	}
	if l.Profile == "" {
		c.fail("profile", "required: a shipped profile name or a path")
	}
	for i, s := range l.Subscribers {
		s.check(c.under(fmt.Sprintf("subscribers[%d].", i)))
	}
	sc := &scope{earlier: map[string]bool{}, background: map[string]bool{}, awaited: map[string]bool{}}
	if l.Monitor != nil {
		sc.series = l.Monitor.check(c.under("monitor."))
	}
	for i := range l.Steps {
		s := &l.Steps[i]
		key := fmt.Sprintf("steps[%d]", i)
		s.Line = pos.line(key)
		if s.actions() != 1 {
			c.fail(key, "want exactly one of %s; got %d", stepActions, s.actions())
			continue
		}
		if s.Name == "" {
			s.Name = s.Kind()
			for n := 2; sc.earlier[s.Name]; n++ {
				s.Name = s.Kind() + "-" + strconv.Itoa(n)
			}
		}
		if sc.earlier[s.Name] {
			c.fail(key+".name", "%q is used by an earlier step; names must be unique", s.Name)
		}
		s.check(sc, c.under(key+"."+s.Kind()))
		sc.earlier[s.Name] = true
		if s.background() {
			sc.background[s.Name] = true
		}
	}
	return errors.Join(c.errs...)
}

// scope is what a step may refer to: the steps before it and the
// monitor's series (name → kind).
type scope struct {
	earlier, background, awaited map[string]bool
	series                       map[string]string
}

func (s Subscribers) check(fail func(key, format string, args ...any)) {
	if !digits15.MatchString(s.IMSI) {
		fail("imsi", "%q: want 15 digits (MCC, MNC, MSIN)", s.IMSI)
	}
	if s.Count < 1 {
		fail("count", "%d: want at least 1", s.Count)
	}
	if !hex32.MatchString(s.K) {
		fail("k", "want 32 hex digits")
	}
	if (s.OP == "") == (s.OPc == "") {
		fail("op", "give exactly one of op and opc")
	}
	for key, v := range map[string]string{"op": s.OP, "opc": s.OPc} {
		if v != "" && !hex32.MatchString(v) {
			fail(key, "want 32 hex digits")
		}
	}
	if s.DNN == "" {
		fail("dnn", "required: the subscribed data network name")
	}
	seen := map[string]bool{s.DNN: true}
	for i, dnn := range s.DNNs {
		switch {
		case !apnName.MatchString(dnn):
			fail(fmt.Sprintf("dnns[%d]", i), "%q: want a data network name (letters, digits, '-' and '.')", dnn)
		case seen[dnn]:
			fail(fmt.Sprintf("dnns[%d]", i), "%q is listed twice (or is dnn)", dnn)
		}
		seen[dnn] = true
	}
	if s.SST < 0 || s.SST > 255 {
		fail("sst", "%d: want 0..255", s.SST)
	}
	if s.SD != "" && !hex6.MatchString(s.SD) {
		fail("sd", "%q: want 6 hex digits", s.SD)
	}
}

// check validates one step's action; fail takes keys below the action
// (".nf"), or "" for the action itself.
func (s Step) check(sc *scope, fail func(key, format string, args ...any)) {
	switch {
	case s.Register != nil:
		s.Register.check(fail)
	case s.Idle != nil:
		s.Idle.check(fail)
	case s.Deregister != nil:
		s.Deregister.check(fail)
	case s.Session != nil:
		s.Session.check(fail)
		if s.Session.DNN == "" {
			fail(".dnn", "required: the data network name")
		}
		if s.Session.ID < 0 || s.Session.ID > 15 {
			fail(".id", "%d: want a PDU session ID 1..15", s.Session.ID)
		}
	case s.Traffic != nil:
		s.Traffic.check(fail)
	case s.Assert != nil:
		s.Assert.check(sc, fail)
	case s.Wait != nil:
		s.Wait.check(fail)
	case s.Scale != nil:
		if s.Scale.NF == "" {
			fail(".nf", "required: the NF to scale (e.g. upf)")
		}
		if s.Scale.Replicas == nil || *s.Scale.Replicas < 0 {
			fail(".replicas", "required: the replica count, 0 or more")
		}
	case s.Resize != nil:
		s.Resize.check(fail)
	case s.IMSRegister != nil:
		s.IMSRegister.check(fail)
	case s.IMSDeregister != nil:
		s.IMSDeregister.check(fail)
	case s.Call != nil:
		s.Call.check(fail)
	case s.Await != "":
		switch {
		case !sc.background[s.Await]:
			fail("", "%q: name an earlier traffic step with background: true", s.Await)
		default:
			sc.awaited[s.Await] = true
		}
	}
}

func (u UEStep) check(fail func(key, format string, args ...any)) {
	if u.NF == "" {
		fail(".nf", "required: the simulator NF whose UEs act (e.g. ue)")
	}
	if u.Concurrency < 0 {
		fail(".concurrency", "%d: want >= 0 (0: all at once)", u.Concurrency)
	}
	if u.Timeout < 0 {
		fail(".timeout", "%v: want >= 0", u.Timeout)
	}
}

func (s IMSStep) check(fail func(key, format string, args ...any)) {
	s.UEStep.check(fail)
	if s.APN != "" && !apnName.MatchString(s.APN) {
		fail(".apn", "%q: want an APN name (letters, digits, '-' and '.')", s.APN)
	}
}

func (c CallStep) check(fail func(key, format string, args ...any)) {
	c.UEStep.check(fail)
	switch {
	case c.To == "":
		fail(".to", "required: the simulator NF whose UEs answer (e.g. callee)")
	case c.To == c.NF:
		fail(".to", "%q is also nf: callers and callees must be different simulators, or RTP never leaves the container", c.To)
	}
	if c.Talk < 0 || c.Talk > maxTalk {
		fail(".talk", "%v: want 0 (default 10s) up to %v", c.Talk, maxTalk)
	}
	if c.HangUp != "" && c.HangUp != "caller" && c.HangUp != "callee" {
		fail(".hang_up", "%q: want caller or callee", c.HangUp)
	}
	if c.BearerWait < 0 {
		fail(".bearer_wait", "%v: want >= 0", c.BearerWait)
	}
	if c.MaxLoss != nil && (*c.MaxLoss < 0 || *c.MaxLoss > 1) {
		fail(".max_loss", "%v: want a ratio 0..1 of RTP packets", *c.MaxLoss)
	}
}

// maxTalk bounds a call step's talk time.
const maxTalk = time.Hour

// apnName is an APN's network identifier (TS 23.003 9.1.1).
var apnName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$`)

func (t TrafficStep) check(fail func(key, format string, args ...any)) {
	t.UEStep.check(fail)
	if _, port, err := net.SplitHostPort(t.Target); err != nil || port == "" {
		fail(".target", "%q: want host:port of a UDP echo server (e.g. ${dn.n6}:7)", t.Target)
	}
	switch {
	case t.Count != 0 && t.Duration != 0:
		fail(".count", "give count or duration, not both")
	case t.Duration < 0:
		fail(".duration", "%v: want > 0", t.Duration)
	case t.Duration > 0 && t.Interval <= 0:
		fail(".interval", "duration %v needs an interval > 0 (requests = duration / interval)", t.Duration)
	case t.requests() < 1 || t.requests() > maxEchoRequests:
		fail(".count", "%d: want 1..%d requests per UE (count, or duration / interval)", t.requests(), maxEchoRequests)
	}
	if t.Size < 1 || t.Size > 60000 {
		fail(".size", "%d: want 1..60000 bytes", t.Size)
	}
	if t.Interval < 0 || t.Wait < 0 {
		fail(".interval", "durations must be >= 0")
	}
	if t.MaxLoss < 0 || t.MaxLoss > 1 {
		fail(".max_loss", "%v: want a ratio 0..1 of requests that may go unanswered", t.MaxLoss)
	}
}

func (a AssertStep) check(sc *scope, fail func(key, format string, args ...any)) {
	a.Ref.check(sc, fail)
	if a.Of != nil {
		a.Of.check(sc, func(key, format string, args ...any) { fail(".of"+key, format, args...) })
	}
	bounds(a.Min, a.Max, fail)
}

func (r Ref) check(sc *scope, fail func(key, format string, args ...any)) {
	switch {
	case (r.Step == "") == (r.Monitor == ""):
		fail("", "give step (a step's metric) or monitor (a monitor series'), not both")
	case r.Monitor != "":
		kind, ok := sc.series[r.Monitor]
		switch {
		case sc.series == nil:
			fail(".monitor", "%q: the lab has no monitor section", r.Monitor)
		case !ok:
			fail(".monitor", "%q: no such series (monitor.series: %s)", r.Monitor, strings.Join(sortedKeys(sc.series), ", "))
		case !slices.Contains(report.SeriesMetrics, r.Metric):
			fail(".metric", "%q: want one of %s for a monitor series", r.Metric, strings.Join(report.SeriesMetrics, ", "))
		case r.Metric == "total" && !report.HasTotal(kind):
			fail(".metric", "total: series %s is a %s series; only rate and loss series have a total", r.Monitor, kind)
		}
	default:
		switch {
		case !sc.earlier[r.Step]:
			fail(".step", "%q: name an earlier step", r.Step)
		case sc.background[r.Step] && !sc.awaited[r.Step]:
			fail(".step", "%q runs in the background: await it in an earlier step first", r.Step)
		}
		if !slices.Contains(report.Metrics, r.Metric) {
			fail(".metric", "%q: want one of %s", r.Metric, strings.Join(report.Metrics, ", "))
		}
	}
}

// bounds checks an optional [min, max] range of which one end is needed.
func bounds(lo, hi *float64, fail func(key, format string, args ...any)) {
	switch {
	case lo == nil && hi == nil:
		fail("", "give min, max or both")
	case lo != nil && hi != nil && *lo > *hi:
		fail(".min", "%v is above max %v", *lo, *hi)
	}
}

func (w WaitStep) check(fail func(key, format string, args ...any)) {
	switch {
	case (w.For == 0) == (w.Until == nil):
		fail("", "give for (a fixed time) or until (a condition), not both")
	case w.For < 0:
		fail(".for", "%v: want > 0", w.For)
	case w.For > 0 && w.Timeout != 0:
		fail(".timeout", "goes with until, not with for")
	case w.Timeout < 0:
		fail(".timeout", "%v: want > 0 (default %v)", w.Timeout, defaultWaitTimeout)
	case w.Until != nil:
		w.Until.check(func(key, format string, args ...any) { fail(".until"+key, format, args...) })
	}
}

func (c Condition) check(fail func(key, format string, args ...any)) {
	if c.NF == "" {
		fail(".nf", "required: the NF whose replicas or metric to watch")
	}
	switch {
	case (c.Replicas == nil) == (c.Metric == ""):
		fail("", "give replicas (a ready replica count) or metric (with min and/or max), not both")
	case c.Replicas != nil:
		if *c.Replicas < 0 {
			fail(".replicas", "%d: want 0 or more", *c.Replicas)
		}
		if c.Min != nil || c.Max != nil || c.Labels != nil {
			fail(".replicas", "min, max and labels go with metric, not with replicas")
		}
	default:
		if !metricName.MatchString(c.Metric) {
			fail(".metric", "%q: want a Prometheus metric name", c.Metric)
		}
		bounds(c.Min, c.Max, fail)
	}
}

func (r ResizeStep) check(fail func(key, format string, args ...any)) {
	if r.NF == "" {
		fail(".nf", "required: the NF whose instance to resize (e.g. upf)")
	}
	if r.Index < 0 {
		fail(".index", "%d: want a replica index, 0 or more", r.Index)
	}
	if r.CPUs == nil && r.Memory == "" {
		fail("", "give cpus, memory or both")
	}
	if _, err := r.resources(); err != nil {
		fail("", "%v", err)
	}
}

func (m *Monitor) check(fail func(key, format string, args ...any)) map[string]string {
	switch {
	case m.Interval == 0:
		m.Interval = defaultMonitorTick
	case m.Interval < minMonitorInterval:
		fail("interval", "%v: want at least %v", m.Interval, minMonitorInterval)
	}
	if len(m.Series) == 0 {
		fail("series", "required: at least one series")
	}
	kinds := map[string]string{}
	for i, s := range m.Series {
		key := fmt.Sprintf("series[%d]", i)
		switch {
		case !identifier.MatchString(s.Name):
			fail(key+".name", "%q: want a name of letters, digits and _", s.Name)
		case kinds[s.Name] != "":
			fail(key+".name", "%q is used by an earlier series", s.Name)
		}
		kinds[s.Name] = s.Kind()
		s.check(func(k, format string, args ...any) { fail(key+k, format, args...) })
	}
	for i, s := range m.Series {
		if s.Loss == nil {
			continue
		}
		for k, ref := range map[string]string{"sent": s.Loss.Sent, "received": s.Loss.Received} {
			if kinds[ref] != report.KindRate {
				fail(fmt.Sprintf("series[%d].loss.%s", i, k), "%q: name a series with rate: true", ref)
			}
		}
	}
	return kinds
}

func (s SeriesSpec) check(fail func(key, format string, args ...any)) {
	kinds := 0
	for _, set := range []bool{s.Metric != "", s.Replicas, s.Loss != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		fail("", "give exactly one of metric (a Prometheus metric), replicas: true, loss: {sent, received}")
		return
	}
	metricOnly := s.Rate || s.Labels != nil || s.Scale != 0
	switch {
	case s.NF != "" && len(s.NFs) > 0:
		fail(".nfs", "give nf or nfs, not both")
	case s.Metric != "":
		if len(s.nfNames()) == 0 || slices.Contains(s.NFs, "") {
			fail(".nf", "required: the NF whose instances to scrape (or nfs: a list)")
		}
		if !metricName.MatchString(s.Metric) {
			fail(".metric", "%q: want a Prometheus metric name", s.Metric)
		}
		if s.Scale < 0 {
			fail(".scale", "%v: want > 0 (default 1)", s.Scale)
		}
	case s.Replicas:
		if len(s.nfNames()) == 0 || slices.Contains(s.NFs, "") {
			fail(".nf", "required: the NF whose ready replicas to count (or nfs: a list)")
		}
		if metricOnly {
			fail(".replicas", "rate, labels and scale go with metric")
		}
	default:
		if len(s.nfNames()) > 0 || metricOnly {
			fail(".loss", "nf, rate, labels and scale go with metric; loss names two rate series")
		}
	}
}
