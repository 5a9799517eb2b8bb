package controller

import (
	"fmt"
	"time"

	"github.com/corebox/corebox/orchestrator/autoscale"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// scrapeEvery is how often scaling policies look at their metrics.
const scrapeEvery = 2 * time.Second

// metricCPU is the scaling metric computed from cgroup CPU time (cores in
// use) instead of scraped.
const metricCPU = "cpu"

// autoscale runs every NF's scaling policy and records the decisions that
// change replicas, with the values behind them.
func (p *pass) autoscale() {
	now := p.c.now()
	if now.Sub(p.ls.scraped) < scrapeEvery {
		return
	}
	p.ls.scraped = now
	for i := range p.d.Profile.NFs {
		nf := &p.d.Profile.NFs[i]
		if nf.Scaling == nil {
			continue
		}
		if err := p.scaleNF(nf, now); err != nil {
			p.c.ev.emit(p.d.Name, nf.Name, "AutoscaleError", err.Error(), nil)
		}
	}
}

func (p *pass) scaleNF(nf *profiles.NF, now time.Time) error {
	s := p.ls.scalers[nf.Name]
	if s == nil {
		sc := nf.Scaling
		s = autoscale.NewScaler(autoscale.Policy{Min: sc.Min, Max: sc.Max, Metric: sc.Metric, Target: sc.Target, Cooldown: sc.Cooldown})
		p.ls.scalers[nf.Name] = s
	}
	// A scale by command is a change like the policy's own: the policy
	// leaves it alone for a cooldown.
	if at, ok := p.d.ScaledAt[nf.Name]; ok && now.Sub(at) < nf.Scaling.Cooldown {
		return nil
	}
	current := p.d.ReplicasOf(nf)
	samples := make([]autoscale.Sample, 0, current)
	for i := range current {
		name := profiles.InstanceName(p.d.Name, nf.Name, i)
		v, err := p.metric(nf, name, now)
		samples = append(samples, autoscale.Sample{Instance: name, Value: v, OK: err == nil})
	}
	dec, change := s.Decide(now, current, samples)
	if !change {
		return nil
	}
	d, err := p.c.store.UpdateProfile(p.d.Name, func(d *state.Desired) error {
		if d.Replicas == nil {
			d.Replicas = map[string]int{}
		}
		d.Replicas[nf.Name] = dec.Desired
		return nil
	})
	if err != nil {
		return err
	}
	*p.d = *d
	p.busy = true
	p.c.ev.emit(p.d.Name, nf.Name, "Autoscaled",
		fmt.Sprintf("%s: %d -> %d replicas (%s %.3g per replica, target %.3g): %s", nf.Name, dec.Current, dec.Desired, dec.Metric, dec.Average, dec.Target, dec.Reason),
		map[string]any{"metric": dec.Metric, "values": dec.Values, "average": dec.Average, "target": dec.Target, "from": dec.Current, "to": dec.Desired})
	return nil
}

// metric reads one instance's value of the NF's scaling metric; only
// ready instances count.
func (p *pass) metric(nf *profiles.NF, instance string, now time.Time) (float64, error) {
	rec := p.recs[instance]
	ctr, ok := p.ctrs[instance]
	if rec == nil || !ok || rec.Phase != state.PhaseReady {
		return 0, fmt.Errorf("%s not ready", instance)
	}
	if nf.Scaling.Metric == metricCPU {
		return p.cpuCores(instance, now)
	}
	return p.c.ops.Metric(p.ctx, ctr, nf.Scaling.Metric)
}

// cpuCores is the CPU an instance used since the last look, in cores.
func (p *pass) cpuCores(instance string, now time.Time) (float64, error) {
	st, err := p.c.be.Stats(p.ctx, instance)
	if err != nil {
		return 0, err
	}
	prev, ok := p.ls.cpu[instance]
	p.ls.cpu[instance] = cpuSample{at: now, nanos: st.CPUUsageNanos}
	if !ok || !now.After(prev.at) || st.CPUUsageNanos < prev.nanos {
		return 0, fmt.Errorf("%s: first CPU sample", instance)
	}
	return float64(st.CPUUsageNanos-prev.nanos) / float64(now.Sub(prev.at).Nanoseconds()), nil
}
