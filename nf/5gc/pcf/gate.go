package pcf

import (
	"net/http"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// causeNFServiceFailover is the TS 29.500 cause (503) a draining instance
// answers new work with, so the consumer picks another instance.
const causeNFServiceFailover = "NF_SERVICE_FAILOVER"

// gate counts in-flight SBI requests (what a drain waits for) and, once
// draining, refuses the requests that would start new work.
type gate struct {
	draining atomic.Bool
	inflight atomic.Int64
}

func (g *gate) startDrain() bool { return g.draining.CompareAndSwap(false, true) }

func (g *gate) inFlight() int { return int(g.inflight.Load()) }

// wrap serves h. With a non-nil refused, requests arriving while draining
// are answered 503 NF_SERVICE_FAILOVER instead, and refused is called.
func (g *gate) wrap(h http.Handler, refused func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Count first, then look: a drain never reads 0 while a request
		// that got past the check is still running.
		g.inflight.Add(1)
		defer g.inflight.Add(-1)
		if refused != nil && g.draining.Load() {
			refused()
			sbi.WriteProblem(w, http.StatusServiceUnavailable, causeNFServiceFailover, "draining: use another instance")
			return
		}
		h.ServeHTTP(w, r)
	})
}
