package controller

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// Restart backoff: doubling from minBackoff to maxBackoff; a run longer
// than stableRun resets it. crashLoopAfter quick restarts in a row make the
// instance a crash loop (still restarted, at the longest backoff).
const (
	minBackoff     = time.Second
	maxBackoff     = 60 * time.Second
	stableRun      = 30 * time.Second
	crashLoopAfter = 3
	removeGrace    = 10 * time.Second
)

// syncInstance brings replica i of nf to its desired state and reports
// whether it was rolled. holdRolls: another replica is not serving, so this
// one may roll only if it is not serving either.
func (p *pass) syncInstance(nf *profiles.NF, i int, blocker string, holdRolls bool) (bool, error) {
	name := profiles.InstanceName(p.d.Name, nf.Name, i)
	rec := p.recs[name]
	if rec == nil {
		rec = &state.Instance{Name: name, Profile: p.d.Name, NF: nf.Name, Index: i, Phase: state.PhasePending}
		p.recs[name] = rec
	}
	before := *rec
	ctr, exists := p.ctrs[name]
	var rolled bool
	var err error
	switch {
	case !exists:
		err = p.create(nf, rec, blocker)
	case rec.Phase == state.PhaseDraining:
		// Wanted again while it drained (scaled back up): a drain cannot
		// be undone, so the replica is replaced.
		err = p.replace(nf, rec, "it was draining and is wanted again")
	case exited(ctr):
		err = p.restart(nf, rec, ctr)
	default:
		rolled, err = p.maintain(nf, rec, ctr, holdRolls && rec.Phase == state.PhaseReady)
	}
	if err != nil {
		return false, err
	}
	if !sameRecord(&before, rec) {
		if err := p.c.store.PutInstance(rec); err != nil {
			return false, err
		}
	}
	return rolled, nil
}

func sameRecord(a, b *state.Instance) bool {
	return a.Phase == b.Phase && a.Message == b.Message && a.ConfigHash == b.ConfigHash &&
		a.Restarts == b.Restarts && a.NextRestart.Equal(b.NextRestart) && a.CPUSet == b.CPUSet &&
		a.StartedAt.Equal(b.StartedAt) && a.ReadyAt.Equal(b.ReadyAt) && a.Backoff == b.Backoff &&
		fmt.Sprint(a.Addresses) == fmt.Sprint(b.Addresses) && fmt.Sprint(a.LastExit) == fmt.Sprint(b.LastExit)
}

func exited(ctr container.Container) bool {
	return ctr.ExitCode != nil || ctr.Status == container.StatusUnknown || ctr.Status == container.StatusStopped
}

// create makes a missing instance once nothing blocks it.
func (p *pass) create(nf *profiles.NF, rec *state.Instance, blocker string) error {
	now := p.c.now()
	p.busy = true
	for _, j := range p.creates {
		if j.rec.Name == rec.Name {
			return nil // already queued in this pass
		}
	}
	if blocker != "" {
		rec.Phase, rec.Message = state.PhasePending, blocker
		return nil
	}
	if rec.Phase == state.PhaseFailed && now.Before(rec.NextRestart) {
		return nil
	}
	spec, hash, err := instanceSpec(p.d, nf, rec.Index, rec, p.addrs)
	var unresolved *errUnresolved
	if errors.As(err, &unresolved) {
		rec.Phase, rec.Message = state.PhasePending, unresolved.msg
		return nil
	}
	if err != nil {
		return p.failCreate(rec, err)
	}
	if spec.Resources, err = p.placeInstance(nf, rec); err != nil {
		return p.failCreate(rec, err)
	}
	p.creates = append(p.creates, createJob{nf: nf, rec: rec, spec: spec, hash: hash})
	return nil
}

// createJob is an instance to create at the end of the pass.
type createJob struct {
	nf   *profiles.NF
	rec  *state.Instance
	spec container.Spec
	hash string
}

// maxParallelCreates bounds the container starts in flight at once.
const maxParallelCreates = 4

// runCreates creates the pass's new instances in parallel: they are
// independent (whatever waits for one of them waits for the next pass).
func (p *pass) runCreates() error {
	jobs := p.creates
	p.creates = nil
	ctrs := make([]*container.Container, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, maxParallelCreates)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctrs[i], errs[i] = p.c.be.Run(p.ctx, j.spec)
		})
	}
	wg.Wait()
	for i, j := range jobs {
		var err error
		if errs[i] != nil {
			err = p.failCreate(j.rec, errs[i])
		} else {
			p.created(j, ctrs[i])
		}
		if err == nil {
			err = p.c.store.PutInstance(j.rec)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// created records a new instance.
func (p *pass) created(j createJob, ctr *container.Container) {
	rec := j.rec
	p.ctrs[rec.Name] = *ctr
	rec.Phase, rec.Message, rec.ConfigHash = state.PhaseStarting, "", j.hash
	rec.StartedAt, rec.ReadyAt, rec.NextRestart = p.c.now(), time.Time{}, time.Time{}
	rec.Addresses = map[string]string{}
	for _, a := range ctr.Attachments {
		rec.Addresses[a.IfName] = a.Address.Addr().String()
		if list := p.addrs[j.nf.Name][a.IfName]; rec.Index < len(list) {
			list[rec.Index] = a.Address.Addr().String()
		}
	}
	p.c.ev.emit(p.d.Name, rec.Name, "Created", fmt.Sprintf("created %s (pid %d)", rec.Name, ctr.Pid),
		map[string]any{"addresses": rec.Addresses, "image": j.spec.Image})
}

// failCreate records a failed creation and schedules a retry with backoff.
func (p *pass) failCreate(rec *state.Instance, err error) error {
	if p.ctx.Err() != nil {
		return p.ctx.Err()
	}
	rec.Backoff = nextBackoff(rec.Backoff)
	rec.NextRestart = p.c.now().Add(rec.Backoff)
	if rec.Phase != state.PhaseFailed || rec.Message != err.Error() {
		p.c.ev.emit(p.d.Name, rec.Name, "CreateFailed", fmt.Sprintf("cannot create %s: %v", rec.Name, err), nil)
	}
	rec.Phase, rec.Message = state.PhaseFailed, err.Error()
	return nil
}

func nextBackoff(prev time.Duration) time.Duration {
	if prev < minBackoff {
		return minBackoff
	}
	return min(2*prev, maxBackoff)
}

// restart applies the restart policy to an instance whose process ended.
func (p *pass) restart(nf *profiles.NF, rec *state.Instance, ctr container.Container) error {
	now := p.c.now()
	code := -1
	if ctr.ExitCode != nil {
		code = *ctr.ExitCode
	}
	policy := nf.Restart
	if policy == profiles.RestartNever || (policy == profiles.RestartOnFailure && code == 0) {
		if rec.Phase != state.PhaseStopped {
			rec.Phase, rec.LastExit, rec.Message = state.PhaseStopped, &code, fmt.Sprintf("exited (%d); restart policy %s", code, policy)
			p.c.ev.emit(p.d.Name, rec.Name, "Stopped", rec.Name+" "+rec.Message, nil)
		}
		return nil
	}
	p.busy = true
	if rec.NextRestart.IsZero() {
		p.scheduleRestart(rec, ctr, code, now)
		return nil
	}
	if now.Before(rec.NextRestart) {
		return nil
	}
	if _, err := p.c.be.Start(p.ctx, rec.Name); err != nil {
		return p.failCreate(rec, fmt.Errorf("restart: %w", err))
	}
	rec.Restarts++
	rec.Phase, rec.StartedAt, rec.ReadyAt, rec.NextRestart = state.PhaseStarting, now, time.Time{}, time.Time{}
	p.c.ev.emit(p.d.Name, rec.Name, "Restarted", fmt.Sprintf("restarted %s (restart %d)", rec.Name, rec.Restarts), nil)
	return nil
}

// scheduleRestart notes an exit the first time it is seen and picks the
// backoff before the restart.
func (p *pass) scheduleRestart(rec *state.Instance, ctr container.Container, code int, now time.Time) {
	ran := ctr.Finished.Sub(rec.StartedAt)
	if rec.StartedAt.IsZero() || ctr.Finished.IsZero() || ran >= stableRun {
		rec.Backoff = minBackoff
	} else {
		rec.Backoff = nextBackoff(rec.Backoff)
	}
	rec.LastExit, rec.NextRestart = &code, now.Add(rec.Backoff)
	rec.Phase = state.PhaseExited
	if rec.Backoff >= minBackoff<<crashLoopAfter {
		rec.Phase = state.PhaseCrashLoop
	}
	rec.Message = fmt.Sprintf("exited (%d); restarting in %s", code, rec.Backoff)
	p.c.ev.emit(p.d.Name, rec.Name, "Exited", rec.Name+" "+rec.Message,
		map[string]any{"exit_code": code, "backoff": rec.Backoff.String(), "crashloop": rec.Phase == state.PhaseCrashLoop})
}
