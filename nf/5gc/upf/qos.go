package upf

import (
	"sync"
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

// qerState is a QER and its policers; it outlives rule recompilation so
// the buckets keep their state across modifications.
type qerState struct {
	mu     sync.Mutex
	cfg    pfcp.QER
	bucket [2]tokenBucket // by direction
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
	s.cfg = q
	var ul, dl uint64
	if q.MBR != nil {
		ul, dl = q.MBR.UL, q.MBR.DL
	}
	s.bucket[dirUL].setRate(ul)
	s.bucket[dirDL].setRate(dl)
}

// admit applies the gate and the MBR to a packet of size octets; now is
// read only when a rate applies.
func (s *qerState) admit(dir direction, size int, now func() time.Time) dropReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	gate := s.cfg.GateStatus.UL
	if dir == dirDL {
		gate = s.cfg.GateStatus.DL
	}
	if gate != pfcp.GateOpen {
		return dropQERGate
	}
	if b := &s.bucket[dir]; b.rate > 0 && !b.allow(now(), size) {
		return dropMBR
	}
	return dropNone
}
