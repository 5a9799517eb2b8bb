package controller

import (
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/autoscale"
)

// loopState is what a profile's loop keeps in memory between passes; all
// of it may be lost with the daemon (scalers start over, cooldowns too).
type loopState struct {
	mu sync.Mutex
	// settled: the last pass, on desired generation settledGen, found
	// nothing in flight.
	settled    bool
	settledGen int64
	failures   int
	scalers    map[string]*autoscale.Scaler // by NF
	scraped    time.Time
	cpu        map[string]cpuSample // by instance, for the "cpu" metric
	routes     *routeState
}

type cpuSample struct {
	at    time.Time
	nanos uint64
}

func newLoopState() *loopState {
	return &loopState{scalers: map[string]*autoscale.Scaler{}, cpu: map[string]cpuSample{}, routes: newRouteState()}
}

// retry is the wait after a failed pass: exponential, capped at 30s.
func (l *loopState) retry() time.Duration {
	l.failures++
	d := 250 * time.Millisecond << min(l.failures, 7)
	return min(d, 30*time.Second)
}

func (l *loopState) ok() { l.failures = 0 }

func (l *loopState) setSettled(v bool, gen int64) {
	l.mu.Lock()
	l.settled, l.settledGen = v, gen
	l.mu.Unlock()
}

// isSettled: settled on generation gen (a pass on an older generation says
// nothing about a newer one).
func (l *loopState) isSettled(gen int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.settled && l.settledGen == gen
}
