package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// defaultDrainTimeout applies to NFs no longer in the profile.
const defaultDrainTimeout = 30 * time.Second

// scaleIn removes an instance the profile no longer wants, draining it
// first: its drain endpoint is called, and it is stopped only once it
// reports nothing left, or the drain timeout passed. nf is nil for an NF
// that left the profile (default drain settings then).
func (p *pass) scaleIn(name string, nf *profiles.NF) error {
	rec := p.recs[name]
	ctr, exists := p.ctrs[name]
	if !exists || exited(ctr) {
		return p.removeInstance(name, "Removed", "removed "+name)
	}
	if rec == nil {
		rec = &state.Instance{Name: name, Profile: p.d.Name, NF: ctr.Spec.Labels[backend.LabelNF]}
	}
	p.busy = true
	now := p.c.now()
	if rec.Phase != state.PhaseDraining {
		has, err := p.c.ops.StartDrain(p.ctx, nf, ctr)
		if err != nil {
			p.c.ev.emit(p.d.Name, name, "DrainFailed", fmt.Sprintf("could not start draining %s: %v; removing it", name, err), nil)
			return p.removeInstance(name, "Removed", "removed "+name)
		}
		if !has {
			return p.removeInstance(name, "Removed", "removed "+name+" (no drain endpoint)")
		}
		rec.Phase, rec.DrainStarted, rec.Message = state.PhaseDraining, now, "draining"
		p.c.ev.emit(p.d.Name, name, "DrainStarted", "draining "+name+" before removing it", nil)
		return p.c.store.PutInstance(rec)
	}
	st, err := p.c.ops.DrainStatus(p.ctx, nf, ctr)
	timeout := defaultDrainTimeout
	if nf != nil && nf.Drain.Timeout > 0 {
		timeout = nf.Drain.Timeout
	}
	switch {
	case err == nil && st.Draining && st.Remaining == 0:
		return p.removeInstance(name, "Drained", fmt.Sprintf("%s drained in %s; removed", name, now.Sub(rec.DrainStarted).Round(time.Millisecond)))
	case now.Sub(rec.DrainStarted) >= timeout:
		left := "unknown"
		if err == nil {
			left = fmt.Sprint(st.Remaining)
		}
		return p.removeInstance(name, "DrainTimeout", fmt.Sprintf("%s still held %s after the %s drain timeout; removed", name, left, timeout))
	case err == nil:
		rec.Message = fmt.Sprintf("draining: %d remaining", st.Remaining)
		return p.c.store.PutInstance(rec)
	}
	return nil
}

// removeInstance stops and removes an instance and forgets it.
func (p *pass) removeInstance(name, reason, msg string) error {
	if err := p.c.be.Stop(p.ctx, name, removeGrace); err != nil && !errors.Is(err, backend.ErrNotFound) {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if err := p.c.be.Remove(p.ctx, name); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	delete(p.ctrs, name)
	delete(p.recs, name)
	p.c.releasePlacement(name)
	if err := p.c.store.DeleteInstance(name); err != nil {
		return err
	}
	p.c.ev.emit(p.d.Name, name, reason, msg, nil)
	return nil
}
