package gtpgen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// drainPoll is how often the drain checks whether packets still arrive.
const drainPoll = 10 * time.Millisecond

// Run establishes p.Sessions sessions on the UPF, sends traffic for
// p.Duration, waits for the stragglers, deletes the sessions (also when
// ctx ends early or the run fails) and returns what was measured. In
// kernel mode it sets up the kernel path instead of sessions, and removes
// it at the end (kernel.go). One run at a time: another gets ErrBusy.
func (g *Generator) Run(ctx context.Context, p Params) (Result, error) {
	p = p.withDefaults()
	if err := p.validate(g.cfg.MaxSessions); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrBadParams, err)
	}
	if err := g.admit(p.Mode); err != nil {
		return Result{}, err
	}
	defer g.runs.Done()
	defer g.busy.Store(false)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // the NF stopping ends the run
		select {
		case <-g.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	res, err := g.run(ctx, p)
	g.m.runs.WithLabelValues(resultLabel(err)).Inc()
	if err != nil {
		return res, err
	}
	g.last.Store(&res)
	return res, nil
}

func resultLabel(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

// admit takes the one run slot, if the generator can run now: a kernel
// run needs only the sockets, the UPF process plays no part in it.
func (g *Generator) admit(mode Mode) error {
	if g.draining.Load() {
		return ErrDraining
	}
	if ok, why := g.Ready(); !ok && (mode != ModeKernel || !g.bound.Load()) {
		return fmt.Errorf("%w: %s", ErrNotReady, why)
	}
	if !g.busy.CompareAndSwap(false, true) {
		return ErrBusy
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.busy.Store(false)
		return fmt.Errorf("%w: stopping", ErrNotReady)
	}
	g.runs.Add(1)
	return nil
}

func (g *Generator) run(ctx context.Context, p Params) (res Result, err error) {
	res = Result{Params: p.request(), RunID: g.lastRun.Add(1), Started: time.Now()}
	t0 := time.Now()
	st, undo, err := g.prepare(ctx, p, &res)
	res.SetupSeconds = time.Since(t0).Seconds()
	defer func() { // whatever happened, leave the UPF and the routes clean
		t := time.Now()
		usage, uerr := undo()
		res.TeardownSeconds = time.Since(t).Seconds()
		res.UPFUsage = usage
		err = errors.Join(err, uerr)
	}()
	if err != nil {
		return res, err
	}
	g.rx.attach(st)
	sendStart := time.Now()
	sendErr := g.send(ctx, st, p, sendStart)
	res.SendSeconds = time.Since(sendStart).Seconds()
	drainStart := time.Now()
	g.drain(ctx, st)
	res.DrainSeconds = time.Since(drainStart).Seconds()
	g.rx.detach()
	g.summarise(&res, st, p)
	if sendErr != nil {
		return res, sendErr
	}
	return res, ctx.Err()
}

// prepare sets up what the run's mode needs and returns the run state and
// the undo, which the caller calls also when prepare failed.
func (g *Generator) prepare(ctx context.Context, p Params, res *Result) (*runState, func() (Usage, error), error) {
	if p.Mode == ModeKernel {
		kp, err := g.kernelSetup(p)
		res.KernelPath = kp.describe()
		undo := func() (Usage, error) { return Usage{}, kp.close() }
		if err != nil {
			return nil, undo, err
		}
		return g.kernelRunState(res.RunID, p), undo, nil
	}
	sessions, err := g.establish(ctx, g.node, p.Sessions)
	undo := func() (Usage, error) { return g.teardown(ctx, sessions) }
	if err != nil {
		return nil, undo, fmt.Errorf("establish sessions: %w", err)
	}
	if err := prepareUplink(sessions, p.Size, uint8(g.cfg.QFI)); err != nil {
		return nil, undo, err
	}
	return newRunState(res.RunID, p, sessions, g.n6.LocalAddr(), uint16(g.cfg.UEPort)), undo, nil
}

// teardown deletes the sessions even when ctx has ended, within a bound.
func (g *Generator) teardown(ctx context.Context, sessions []session) (Usage, error) {
	c := g.cfg.PFCP
	limit := c.T1*time.Duration(c.N1+1) + time.Duration(len(sessions)/c.Concurrency+1)*time.Second
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	u, err := g.release(tctx, g.node, sessions)
	if err != nil {
		return u, fmt.Errorf("delete sessions: %w", err)
	}
	return u, nil
}

// send runs the senders of p.Direction together until p.Duration ends.
func (g *Generator) send(ctx context.Context, st *runState, p Params, start time.Time) error {
	end := start.Add(p.Duration)
	errs := make(chan error, 2)
	n := 0
	if p.Direction.has(Uplink) {
		n++
		go func() { errs <- g.sendUplink(ctx, st, p.RatePPS, start, end, g.uplinkFramer(st)) }()
	}
	if p.Direction.has(Downlink) {
		n++
		go func() { errs <- g.sendDownlink(ctx, st, p.RatePPS, start, end) }()
	}
	var all []error
	for range n {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// drain waits until everything sent has arrived, nothing more arrived for
// drain.quiet, or drain.timeout passed.
func (g *Generator) drain(ctx context.Context, st *runState) {
	received := func() (got, want uint64) {
		for i := range st.flows {
			got += st.flows[i].received.Load()
			want += st.flows[i].sent.Load()
		}
		return got, want
	}
	deadline := time.Now().Add(g.cfg.Drain.Timeout)
	last, _ := received()
	lastChange := time.Now()
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		got, want := received()
		now := time.Now()
		if got != last {
			last, lastChange = got, now
		}
		if got >= want || now.Sub(lastChange) >= g.cfg.Drain.Quiet || now.After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// summarise fills in each direction's outcome; st is detached.
func (g *Generator) summarise(res *Result, st *runState, p Params) {
	secs := res.SendSeconds
	for i := range st.flows {
		if (i == flowUL && !p.Direction.has(Uplink)) || (i == flowDL && !p.Direction.has(Downlink)) {
			continue
		}
		f := &st.flows[i]
		out := &Flow{Sent: f.sent.Load(), Received: f.received.Load(), Duplicates: f.duplicates,
			OutOfOrder: f.ooo, SendErrors: f.sendErrors.Load(), Latency: f.hist.latency()}
		if out.Sent > out.Received {
			out.Lost = out.Sent - out.Received
		}
		if out.Sent > 0 {
			out.LossRatio = float64(out.Lost) / float64(out.Sent)
		}
		if secs > 0 {
			out.TxPPS, out.RxPPS = float64(out.Sent)/secs, float64(out.Received)/secs
			bits := float64(p.Size) * 8 / 1e9
			out.TxGbps, out.RxGbps = out.TxPPS*bits, out.RxPPS*bits
		}
		g.m.lost[i].Add(float64(out.Lost))
		g.m.duplicates[i].Add(float64(out.Duplicates))
		g.m.outOfOrder[i].Add(float64(out.OutOfOrder))
		if i == flowUL {
			res.Uplink = out
		} else {
			res.Downlink = out
		}
	}
	res.Malformed, res.Stray = st.malformed, st.stray
}
