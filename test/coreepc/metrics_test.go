package coreepc

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/nf/nfkit"
)

// value is the sum of a metric family's samples whose labels include
// labels (name, value pairs): one sample, or all of them with no labels.
// A family never written reads 0.
func value(t testing.TB, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				sum += sampleValue(m)
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// metric reads a metric of an NF's ops registry.
func (c *core) metric(o *nfkit.Ops, name string, labels ...string) float64 {
	c.t.Helper()
	return value(c.t, o.Registry(), name, labels...)
}

// waitGauge polls until the metric reads want (gauges and counters that
// move after the step that caused them has answered).
func (c *core) waitGauge(o *nfkit.Ops, want float64, name string, labels ...string) {
	c.t.Helper()
	var got float64
	c.eventually(fmt.Sprintf("%s%v == %v", name, labels, want), func() bool {
		got = c.metric(o, name, labels...)
		return got == want
	}, func() string { return fmt.Sprintf("last read %v", got) })
}

// expect checks a metric now.
func (c *core) expect(o *nfkit.Ops, want float64, name string, labels ...string) {
	c.t.Helper()
	if got := c.metric(o, name, labels...); got != want {
		c.t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// eventually polls cond for up to readyWait; why, when given, says what
// was last seen.
func (c *core) eventually(what string, cond func() bool, why ...func() string) {
	c.t.Helper()
	deadline := time.Now().Add(readyWait)
	for !cond() {
		if time.Now().After(deadline) {
			seen := ""
			for _, w := range why {
				seen += "; " + w()
			}
			c.t.Fatalf("timed out after %v waiting for %s%s", readyWait, what, seen)
		}
		time.Sleep(poll)
	}
}

// delta is the change a scenario expects in one counter of one NF
// (as opsOf names them; "ue" is the scenario's simulator).
type delta struct {
	nf     string
	name   string
	labels []string
	want   float64
}

// reading is the value of every delta's counter at one moment.
type reading []float64

func (c *core) opsOf(nf string, sim *ue.NF) *nfkit.Ops {
	c.t.Helper()
	switch nf {
	case "udr":
		return c.udr.Ops()
	case "hss":
		return c.hss.Ops()
	case "pcrf":
		return c.pcrf.Ops()
	case "pgw":
		return c.pgw.Ops()
	case "sgw":
		return c.sgw.Ops()
	case "mme":
		return c.mme.Ops()
	case "enb":
		return c.enb.Ops()
	case "ue":
		return sim.Ops()
	}
	c.t.Fatalf("no NF %q", nf)
	return nil
}

func (c *core) read(ds []delta, sim *ue.NF) reading {
	c.t.Helper()
	r := make(reading, len(ds))
	for i, d := range ds {
		r[i] = c.metric(c.opsOf(d.nf, sim), d.name, d.labels...)
	}
	return r
}

// checkDeltas waits until every counter moved by its want since before
// (some move after the step answered), then fails t for those that did
// not.
func (c *core) checkDeltas(ds []delta, sim *ue.NF, before reading) {
	c.t.Helper()
	deadline := time.Now().Add(readyWait)
	for {
		now := c.read(ds, sim)
		bad := []string{}
		for i, d := range ds {
			if got := now[i] - before[i]; got != d.want {
				bad = append(bad, fmt.Sprintf("%s %s%v moved by %v, want %v", d.nf, d.name, d.labels, got, d.want))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, b := range bad {
				c.t.Error(b)
			}
			return
		}
		time.Sleep(poll)
	}
}
