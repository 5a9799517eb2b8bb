package upf

import (
	"context"
	"math"
	"sync"
	"time"
)

// throughputWindow is how far back the throughput gauge looks: long
// enough to smooth bursts, short enough for an autoscaler to follow.
const throughputWindow = 5 * time.Second

// throughputMeter turns the rx byte counters into bits per second over
// the last throughputWindow, sampled every second (a gauge the autoscaler
// can target per replica).
type throughputMeter struct {
	mu      sync.Mutex
	samples []byteSample // oldest first, at most window/second + 1
	bps     float64
}

type byteSample struct {
	at    time.Time
	bytes uint64
}

// add records the total bytes received so far (both directions) at t.
func (m *throughputMeter) add(t time.Time, total uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = append(m.samples, byteSample{t, total})
	for len(m.samples) > 2 && t.Sub(m.samples[1].at) >= throughputWindow {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	dt := t.Sub(first.at).Seconds()
	if dt <= 0 || total < first.bytes {
		m.bps = 0
		return
	}
	m.bps = float64(total-first.bytes) * 8 / dt
}

func (m *throughputMeter) bitsPerSecond() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if math.IsNaN(m.bps) {
		return 0
	}
	return m.bps
}

// measureThroughput samples the rx counters every second until ctx ends.
func (n *NF) measureThroughput(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		dir, _ := n.stats.totals()
		n.throughput.add(time.Now(), dir[dirUL][1]+dir[dirDL][1])
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
