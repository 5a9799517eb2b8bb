// Package controller turns desired profiles into running instances and
// keeps them so: one level-triggered reconcile loop per profile brings up
// NFs in dependency waves gated on readiness, restarts crashed instances
// with backoff, rolls changed ones one at a time, drains instances before
// scale-in removes them, follows autoscaling policies, and keeps in each
// instance the routes its NF asks for (routes.go).
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/scheduler"
	"github.com/corebox/corebox/orchestrator/state"
)

// Config wires a Controller.
type Config struct {
	Store     *state.Store
	Backend   backend.Backend
	Scheduler *scheduler.Scheduler
	Log       *slog.Logger
	// Now is the clock (tests inject one); default time.Now.
	Now func() time.Time
	// Tick is how often a profile is reconciled while anything is in
	// flight; Idle when all is settled. Defaults 100ms and 1s.
	Tick, Idle time.Duration
	// Ops reaches instances' ops endpoints; default HTTPOps.
	Ops Ops
}

// Controller runs the reconcile loops.
type Controller struct {
	store *state.Store
	be    backend.Backend
	sched *scheduler.Scheduler
	log   *slog.Logger
	now   func() time.Time
	tick  time.Duration
	idle  time.Duration
	ev    *events
	ops   Ops

	mu      sync.Mutex
	workers map[string]*worker
	ctx     context.Context
	wg      sync.WaitGroup
}

// ErrNotFound: no such profile.
var ErrNotFound = errors.New("no such profile")

// New makes a controller; Start runs it.
func New(cfg Config) *Controller {
	c := &Controller{
		store: cfg.Store, be: cfg.Backend, sched: cfg.Scheduler, log: cfg.Log,
		now: cfg.Now, tick: cfg.Tick, idle: cfg.Idle,
		ops:     cfg.Ops,
		workers: map[string]*worker{},
	}
	if c.ops == nil {
		c.ops = HTTPOps{Client: &http.Client{Timeout: 2 * time.Second}}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.tick == 0 {
		c.tick = 100 * time.Millisecond
	}
	if c.idle == 0 {
		c.idle = time.Second
	}
	c.ev = &events{store: c.store, log: c.log, now: c.now, subs: map[chan state.Event]struct{}{}}
	return c
}

// Start restores placements and resumes a loop for every stored profile.
// The loops end when ctx does; Wait waits for them.
func (c *Controller) Start(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	if err := c.restorePlacements(); err != nil {
		return err
	}
	profiles, err := c.store.Profiles()
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	for _, d := range profiles {
		c.wake(d.Name)
	}
	return nil
}

// Wait waits for every loop to end (after Start's ctx is done).
func (c *Controller) Wait() { c.wg.Wait() }

// worker is one profile's loop.
type worker struct {
	wake  chan struct{}
	state *loopState
}

// wake makes the profile's loop reconcile now, starting it if needed.
func (c *Controller) wake(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil || c.ctx.Err() != nil {
		return
	}
	w := c.workers[name]
	if w == nil {
		w = &worker{wake: make(chan struct{}, 1), state: newLoopState()}
		c.workers[name] = w
		c.wg.Add(1)
		go c.loop(c.ctx, name, w)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (c *Controller) loop(ctx context.Context, name string, w *worker) {
	defer c.wg.Done()
	for {
		next, done := c.reconcile(ctx, name, w.state)
		if done {
			c.mu.Lock()
			delete(c.workers, name)
			c.mu.Unlock()
			return
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// reconcile runs one pass and says when to run the next, or that the
// profile is gone. Errors are events, and the pass is retried.
func (c *Controller) reconcile(ctx context.Context, name string, ls *loopState) (time.Duration, bool) {
	d, err := c.store.Profile(name)
	if errors.Is(err, state.ErrNotFound) {
		return 0, true
	}
	if err != nil {
		c.log.Error("read desired state", "profile", name, "err", err)
		return ls.retry(), false
	}
	p := &pass{c: c, ctx: ctx, d: d, ls: ls}
	err = p.run()
	ls.setSettled(err == nil && !p.busy, d.Generation)
	if err != nil {
		if errors.Is(err, errGone) {
			return 0, true
		}
		if ctx.Err() == nil {
			c.ev.emit(name, name, "ReconcileError", err.Error(), nil)
		}
		return ls.retry(), false
	}
	ls.ok()
	if p.busy {
		return c.tick, false
	}
	return c.idle, false
}

// errGone ends a profile's loop: it was brought down.
var errGone = errors.New("profile removed")

// settled says whether the profile's last pass, on generation gen, found
// nothing in flight.
func (c *Controller) settled(name string, gen int64) bool {
	c.mu.Lock()
	w := c.workers[name]
	c.mu.Unlock()
	return w != nil && w.state.isSettled(gen)
}
