package controller

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// syncNF brings one NF to its desired replicas: missing instances are
// created once its dependencies allow, changed ones rolled one at a time,
// surplus ones drained and removed.
func (p *pass) syncNF(nf *profiles.NF) error {
	n := p.d.ReplicasOf(nf)
	blocker := p.dependencyBlocker(nf)
	// Rolls keep all but one replica serving: one roll per pass, and only
	// while the others are ready (a replica that is not ready itself may
	// always be rolled: that costs nothing).
	unready := 0
	for i := range n {
		if r := p.recs[profiles.InstanceName(p.d.Name, nf.Name, i)]; r != nil && r.Phase != state.PhaseReady {
			unready++
		}
	}
	rolled := false
	for i := 0; i < n; i++ {
		r, err := p.syncInstance(nf, i, blocker, rolled || unready > 0)
		if err != nil {
			return err
		}
		rolled = rolled || r
	}
	for _, name := range p.surplus(nf.Name, n) {
		if err := p.scaleIn(name, nf); err != nil {
			return err
		}
	}
	return nil
}

// dependencyBlocker says which dependency is not yet met, "" if all are:
// every desired replica of the dependency is started, or ready.
func (p *pass) dependencyBlocker(nf *profiles.NF) string {
	for _, dep := range edges(nf) {
		target := p.nf(dep.NF)
		if target == nil {
			return "unknown NF " + dep.NF
		}
		for i := range p.d.ReplicasOf(target) {
			rec := p.recs[profiles.InstanceName(p.d.Name, target.Name, i)]
			if rec == nil {
				return fmt.Sprintf("waiting for %s to be %s", dep.NF, condition(dep))
			}
			met := rec.Phase == state.PhaseReady ||
				(condition(dep) == profiles.ConditionStarted && rec.Phase == state.PhaseStarting)
			if !met {
				return fmt.Sprintf("waiting for %s to be %s (%s is %s)", dep.NF, condition(dep), rec.Name, rec.Phase)
			}
		}
	}
	return ""
}

func condition(d profiles.Dependency) string {
	if d.Condition == "" {
		return profiles.ConditionReady
	}
	return d.Condition
}

func (p *pass) nf(name string) *profiles.NF { return findNF(&p.d.Profile, name) }

// surplus lists the NF's instances (records or containers) at index n or
// above, highest first, so scale-in removes the newest.
func (p *pass) surplus(nf string, n int) []string {
	idx := map[string]int{}
	for name, rec := range p.recs {
		if rec.NF == nf && rec.Index >= n {
			idx[name] = rec.Index
		}
	}
	for name, ctr := range p.ctrs {
		if ctr.Spec.Labels[backend.LabelNF] != nf {
			continue
		}
		if i, err := strconv.Atoi(ctr.Spec.Labels[backend.LabelIndex]); err == nil && i >= n {
			idx[name] = i
		}
	}
	out := make([]string, 0, len(idx))
	for name := range idx {
		out = append(out, name)
	}
	sort.Slice(out, func(a, b int) bool { return idx[out[a]] > idx[out[b]] })
	return out
}
