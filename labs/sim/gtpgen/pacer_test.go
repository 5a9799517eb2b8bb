package gtpgen

import (
	"context"
	"testing"
	"time"
)

// fakeClock advances when the pacer sleeps, by the time asked plus an
// overshoot (as a loaded machine's timers do), and a microsecond per batch
// sent.
type fakeClock struct {
	t         time.Time
	overshoot time.Duration
	sleeps    int
}

func (c *fakeClock) install(p *pacer) {
	p.now = func() time.Time { return c.t }
	p.sleep = func(_ context.Context, d time.Duration) bool {
		c.sleeps++
		c.t = c.t.Add(d + c.overshoot)
		return true
	}
}

// The pacer sends exactly the rate over the run, in batches, sleeping
// once per quantum rather than per packet, and catches up after sleeping
// too long.
func TestPacerRate(t *testing.T) {
	for _, tc := range []struct {
		rate, batch int
		overshoot   time.Duration
		maxSleeps   int
	}{
		{rate: 500, batch: 64, maxSleeps: 500},              // quantum 1: a sleep per packet at 500 pps
		{rate: 200_000, batch: 64, maxSleeps: 200_000 / 64}, // quantum 64
		{rate: 50_000, batch: 16, maxSleeps: 50_000 / 16},   // quantum 16
		{rate: 1_000_000, batch: 64, overshoot: 2 * time.Millisecond, maxSleeps: 1000},
		{rate: 100_000, batch: 8, overshoot: 50 * time.Microsecond, maxSleeps: 100_000 / 8},
	} {
		start := time.Unix(1000, 0)
		end := start.Add(time.Second)
		clock := &fakeClock{t: start, overshoot: tc.overshoot}
		p := newPacer(tc.rate, tc.batch, start)
		clock.install(p)
		total := 0
		for n := p.next(context.Background(), end); n > 0; n = p.next(context.Background(), end) {
			if n > tc.batch {
				t.Fatalf("rate %d: %d packets at once, batch %d", tc.rate, n, tc.batch)
			}
			if due := int(clock.t.Sub(start).Seconds() * float64(tc.rate)); total+n > due {
				t.Fatalf("rate %d: %d packets sent by %v, only %d due", tc.rate, total+n, clock.t.Sub(start), due)
			}
			p.took(n)
			total += n
			clock.t = clock.t.Add(time.Microsecond) // sending takes time too
		}
		// What falls due in the last oversleep, past the end, is not sent.
		short := int(tc.overshoot.Seconds()*float64(tc.rate)) + tc.batch + int(p.quantum)
		if total < tc.rate-short || total > tc.rate {
			t.Errorf("rate %d (overshoot %v): %d packets in 1 s", tc.rate, tc.overshoot, total)
		}
		if clock.sleeps > tc.maxSleeps*11/10 {
			t.Errorf("rate %d: %d sleeps for %d packets", tc.rate, clock.sleeps, total)
		}
	}
}

func TestPacerFlatOutAndCancel(t *testing.T) {
	p := newPacer(0, 32, time.Now())
	if n := p.next(context.Background(), time.Now().Add(time.Second)); n != 32 {
		t.Errorf("flat out: %d, want a full batch", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	slow := newPacer(1, 32, time.Now())
	slow.took(1) // the next packet is a second away
	time.AfterFunc(20*time.Millisecond, cancel)
	t0 := time.Now()
	if n := slow.next(ctx, time.Now().Add(time.Hour)); n != 0 || time.Since(t0) > 5*time.Second {
		t.Errorf("cancelled pacer returned %d after %v", n, time.Since(t0))
	}
	if n := p.next(context.Background(), time.Now().Add(-time.Second)); n != 0 {
		t.Errorf("past the end: %d", n)
	}
}
