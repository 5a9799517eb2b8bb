package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// maintain keeps a running instance right: rolled when its spec changed
// (one replica of an NF at a time), resized when its limits changed, and
// its readiness tracked.
func (p *pass) maintain(nf *profiles.NF, rec *state.Instance, ctr container.Container, rolling bool) (bool, error) {
	if rec.ConfigHash == "" { // adopted without a record
		rec.ConfigHash = ctr.Spec.Labels[backend.LabelConfigHash]
	}
	if rec.StartedAt.IsZero() {
		rec.StartedAt = ctr.Started
	}
	_, hash, err := instanceSpec(p.d, nf, rec.Index, rec, p.addrs)
	var unresolved *errUnresolved
	if err != nil && !errors.As(err, &unresolved) {
		return false, err
	}
	if err == nil && hash != rec.ConfigHash {
		if rolling {
			p.busy = true
			return false, nil
		}
		return true, p.replace(nf, rec, "its spec changed")
	}
	if err := p.resize(nf, rec, ctr); err != nil {
		return false, err
	}
	p.trackReadiness(nf, rec, ctr)
	return false, nil
}

// replace re-creates the instance from the current spec; the addresses
// it had are kept.
func (p *pass) replace(nf *profiles.NF, rec *state.Instance, why string) error {
	p.busy = true
	if err := p.c.be.Stop(p.ctx, rec.Name, removeGrace); err != nil && !errors.Is(err, backend.ErrNotFound) {
		return fmt.Errorf("replace %s: %w", rec.Name, err)
	}
	if err := p.c.be.Remove(p.ctx, rec.Name); err != nil {
		return fmt.Errorf("replace %s: %w", rec.Name, err)
	}
	delete(p.ctrs, rec.Name)
	rec.Phase, rec.DrainStarted = state.PhasePending, time.Time{}
	p.c.ev.emit(p.d.Name, rec.Name, "Replacing", rec.Name+": "+why+"; re-creating it", nil)
	return p.create(nf, rec, "")
}

// resize applies changed limits in place.
func (p *pass) resize(nf *profiles.NF, rec *state.Instance, ctr container.Container) error {
	want, err := resourcesOf(p.d, nf, rec)
	if err != nil {
		return err
	}
	want.CPUSet = p.c.cpusetOf(rec)
	if want == ctr.Spec.Resources {
		return nil
	}
	if err := p.c.be.Resize(p.ctx, rec.Name, want); err != nil {
		return fmt.Errorf("resize %s: %w", rec.Name, err)
	}
	p.c.ev.emit(p.d.Name, rec.Name, "Resized", fmt.Sprintf("resized %s: cpus %v, memory %d, pids %d, cpuset %q",
		rec.Name, want.CPUs, want.MemoryBytes, want.Pids, want.CPUSet), nil)
	return nil
}

// trackReadiness probes the instance and records transitions.
func (p *pass) trackReadiness(nf *profiles.NF, rec *state.Instance, ctr container.Container) {
	now := p.c.now()
	ready, why := p.c.ops.Ready(p.ctx, nf, ctr)
	switch {
	case ready && rec.Phase != state.PhaseReady:
		rec.Phase, rec.Message, rec.ReadyAt = state.PhaseReady, "", now
		p.c.ev.emit(p.d.Name, rec.Name, "Ready", fmt.Sprintf("%s ready after %s", rec.Name, now.Sub(rec.StartedAt).Round(time.Millisecond)), nil)
	case !ready && rec.Phase == state.PhaseReady:
		rec.Phase, rec.Message = state.PhaseStarting, why
		p.c.ev.emit(p.d.Name, rec.Name, "NotReady", rec.Name+" not ready: "+why, nil)
	case !ready:
		rec.Phase, rec.Message = state.PhaseStarting, why
	}
	if rec.Phase != state.PhaseReady {
		p.busy = true
	}
	if rec.Backoff > 0 && now.Sub(rec.StartedAt) >= stableRun {
		rec.Backoff = 0
	}
}
