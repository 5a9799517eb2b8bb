package controller

import (
	"fmt"

	"github.com/corebox/corebox/orchestrator/scheduler"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// placeInstance asks the scheduler for room and returns the instance's
// resources with its cpuset: exclusive CPUs for data-plane NFs, the shared
// set for the rest.
func (p *pass) placeInstance(nf *profiles.NF, rec *state.Instance) (container.Resources, error) {
	res, err := resourcesOf(p.d, nf, rec)
	if err != nil {
		return res, err
	}
	pl, evs, err := p.c.sched.Place(scheduler.Request{
		Instance: rec.Name, NF: nf.Name, CPUs: res.CPUs, MemoryBytes: res.MemoryBytes, Dataplane: nf.Resources.Dataplane,
	})
	for _, e := range evs {
		p.c.ev.emit(p.d.Name, e.Instance, e.Reason, e.Message, nil)
	}
	if err != nil {
		return res, fmt.Errorf("place %s: %w", rec.Name, err)
	}
	rec.Exclusive = pl.Exclusive
	rec.CPUSet = ""
	if pl.Exclusive {
		rec.CPUSet = pl.CPUSet
	}
	res.CPUSet = p.c.cpusetOf(rec)
	return res, nil
}

// cpusetOf is the cpuset an instance should have now: its own CPUs if it
// holds exclusive ones, else whatever the exclusive ones leave.
func (c *Controller) cpusetOf(rec *state.Instance) string {
	if rec.Exclusive {
		return rec.CPUSet
	}
	return c.sched.SharedCPUSet()
}

// releasePlacement frees an instance's CPUs and memory. When that widens
// the shared set, the next pass re-pins the shared instances (maintain
// compares every instance's cpuset with cpusetOf).
func (c *Controller) releasePlacement(instance string) { c.sched.Release(instance) }

// restorePlacements gives the scheduler back what instances held before
// the daemon restarted.
func (c *Controller) restorePlacements() error {
	recs, err := c.store.Instances("")
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	profiles := map[string]*state.Desired{}
	var ps []scheduler.Placement
	for _, rec := range recs {
		d := profiles[rec.Profile]
		if d == nil {
			if d, err = c.store.Profile(rec.Profile); err != nil {
				continue // its profile is gone; the loop will not place it
			}
			profiles[rec.Profile] = d
		}
		nf := findNF(&d.Profile, rec.NF)
		if nf == nil {
			continue
		}
		res, err := resourcesOf(d, nf, rec)
		if err != nil {
			return err
		}
		ps = append(ps, scheduler.Placement{Instance: rec.Name, CPUSet: rec.CPUSet, Exclusive: rec.Exclusive, CPUs: res.CPUs, MemoryBytes: res.MemoryBytes})
	}
	if err := c.sched.Restore(ps); err != nil {
		// The instances run: they keep what they hold, and the event says
		// what no longer fits this machine.
		c.ev.emit("", "scheduler", "PlacementConflict", err.Error(), nil)
	}
	return nil
}

func findNF(p *profiles.Profile, name string) *profiles.NF {
	for i := range p.NFs {
		if p.NFs[i].Name == name {
			return &p.NFs[i]
		}
	}
	return nil
}
