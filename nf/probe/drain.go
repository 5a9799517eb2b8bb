package probe

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// drainer releases its held items at a fixed rate once draining starts.
type drainer struct {
	items     int
	rate      float64 // items per second; 0 never releases
	remaining atomic.Int64
	start     chan struct{}
	started   atomic.Bool
	clock     clock
}

// clock is time as the drainer sees it; tests drive a fake one.
type clock struct {
	now    func() time.Time
	ticker func(time.Duration) (<-chan time.Time, func())
}

var realClock = clock{now: time.Now, ticker: func(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}}

func newDrainer(items int, rate float64) *drainer {
	d := &drainer{items: items, rate: rate, start: make(chan struct{}), clock: realClock}
	d.remaining.Store(int64(items))
	return d
}

// StartDrain implements nfkit.Drainer (nfkit calls it once).
func (d *drainer) StartDrain() {
	if d.started.CompareAndSwap(false, true) {
		close(d.start)
	}
}

// Remaining implements nfkit.Drainer.
func (d *drainer) Remaining() int { return int(d.remaining.Load()) }

// run counts remaining down from the drain's start. Remaining follows
// elapsed time, not tick count, so a late tick never slows the drain.
func (d *drainer) run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-d.start:
	}
	if d.items == 0 || d.rate == 0 {
		return nil
	}
	begin := d.clock.now()
	tick, stop := d.clock.ticker(tickEvery(d.rate))
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick:
			released := int64(math.Floor(d.rate * now.Sub(begin).Seconds()))
			left := max(int64(d.items)-released, 0)
			d.remaining.Store(left)
			if left == 0 {
				return nil
			}
		}
	}
}

// tickEvery is one item's time, kept within [1ms, 100ms] so slow rates
// still update promptly and fast ones do not spin.
func tickEvery(rate float64) time.Duration {
	d := time.Duration(float64(time.Second) / rate)
	return min(max(d, time.Millisecond), 100*time.Millisecond)
}
