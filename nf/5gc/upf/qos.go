package upf

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// A token bucket holds at most mbrBurst worth of its rate (and never less
// than minBurst octets, so a slow rate still passes whole packets).
const (
	mbrBurst = 100 * time.Millisecond
	minBurst = 3000
)

// tokenBucket polices one direction of a QER's MBR, in octets.
type tokenBucket struct {
	rate   float64 // octets per second; 0: unlimited
	burst  float64
	tokens float64
	last   time.Time
}

// setRate sets the rate from kbit/s, keeping the tokens already earned;
// a new bucket starts full.
func (b *tokenBucket) setRate(kbps uint64) {
	fresh := b.rate == 0
	b.rate = float64(kbps) * 1000 / 8
	b.burst = max(b.rate*mbrBurst.Seconds(), minBurst)
	if fresh || b.tokens > b.burst {
		b.tokens = b.burst
	}
}

// allow takes size octets if the bucket holds them at now.
func (b *tokenBucket) allow(now time.Time, size int) bool {
	if b.rate == 0 {
		return true
	}
	switch d := now.Sub(b.last); {
	case b.last.IsZero():
		b.last = now
	case d > 0:
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < float64(size) {
		return false
	}
	b.tokens -= float64(size)
	return true
}

// qerState is a QER's gates and policers; it outlives rule recompilation
// so the buckets keep their state across modifications. Every lane may
// admit packets at once: the gates are read without a lock, and each
// direction's bucket has a lock of its own, taken only when a rate applies.
type qerState struct {
	mu     sync.Mutex // serialises set
	open   [2]atomic.Bool
	police [2]policer // by direction
}

// policer is one direction's MBR bucket, kept off the other's cache line.
type policer struct {
	limited atomic.Bool // a rate applies: read without mu
	mu      sync.Mutex
	bucket  tokenBucket
	_       [64]byte
}

func newQERState(q pfcp.QER) *qerState {
	s := &qerState{}
	s.set(q)
	return s
}

// set installs a (possibly updated) QER.
func (s *qerState) set(q pfcp.QER) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rate [2]uint64
	if q.MBR != nil {
		rate[dirUL], rate[dirDL] = q.MBR.UL, q.MBR.DL
	}
	s.open[dirUL].Store(q.GateStatus.UL == pfcp.GateOpen)
	s.open[dirDL].Store(q.GateStatus.DL == pfcp.GateOpen)
	for d := range s.police {
		p := &s.police[d]
		p.mu.Lock()
		p.bucket.setRate(rate[d])
		p.limited.Store(rate[d] > 0)
		p.mu.Unlock()
	}
}

// admit applies the gate and the MBR to a packet of size octets; now is
// read only when a rate applies.
func (s *qerState) admit(dir direction, size int, now func() time.Time) dropReason {
	if !s.open[dir].Load() {
		return dropQERGate
	}
	p := &s.police[dir]
	if !p.limited.Load() {
		return dropNone
	}
	t := now()
	p.mu.Lock()
	ok := p.bucket.allow(t, size)
	p.mu.Unlock()
	if !ok {
		return dropMBR
	}
	return dropNone
}
