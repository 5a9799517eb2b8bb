package gtpgen

import (
	"context"
	"time"
)

// pacer spaces batches so that, on average, rate packets per second go
// out from start. It sleeps once per quantum of packets (about a
// millisecond's worth, at most a batch), never once per packet at high
// rates. A sender that fell behind catches up in full batches.
type pacer struct {
	rate    float64 // packets per second; 0: no limit
	start   time.Time
	sent    uint64
	quantum uint64
	batch   int
	timer   *time.Timer
	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) bool
}

func newPacer(ratePPS, batch int, start time.Time) *pacer {
	q := uint64(max(1, min(ratePPS/1000, batch)))
	p := &pacer{rate: float64(ratePPS), start: start, quantum: q, batch: batch, now: time.Now}
	p.sleep = p.sleepTimer
	return p
}

// next waits until packets are due and returns how many may go now
// (1..batch), or 0 once end has passed or ctx ended.
func (p *pacer) next(ctx context.Context, end time.Time) int {
	for {
		now := p.now()
		if !now.Before(end) || ctx.Err() != nil {
			return 0
		}
		if p.rate == 0 {
			return p.batch
		}
		due := uint64(now.Sub(p.start).Seconds() * p.rate)
		if due >= p.sent+p.quantum {
			return int(min(due-p.sent, uint64(p.batch)))
		}
		at := p.start.Add(time.Duration(float64(p.sent+p.quantum) / p.rate * float64(time.Second)))
		// At least a microsecond: float rounding must not make it a spin.
		wait := max(min(at.Sub(now), end.Sub(now)), time.Microsecond)
		if !p.sleep(ctx, wait) {
			return 0
		}
	}
}

// took records that n packets were handed over (or given up on).
func (p *pacer) took(n int) { p.sent += uint64(n) }

// sleepTimer waits d or until ctx ends (false).
func (p *pacer) sleepTimer(ctx context.Context, d time.Duration) bool {
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C:
		return true
	case <-ctx.Done():
		p.timer.Stop()
		return false
	}
}
