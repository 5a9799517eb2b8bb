package nfsbi

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// CauseNFServiceFailover is the TS 29.500 cause (503) a draining
// instance answers new requests with, so the consumer picks another one.
const CauseNFServiceFailover = "NF_SERVICE_FAILOVER"

// Gate counts in-flight SBI requests (what a drain waits for), refuses new
// work once draining, and logs each request at debug.
type Gate struct {
	log      *slog.Logger
	draining atomic.Bool
	inflight atomic.Int64
	drained  chan struct{}
}

// NewGate logs requests to log at debug; a nil log logs nothing.
func NewGate(log *slog.Logger) *Gate {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gate{log: log, drained: make(chan struct{})}
}

// StartDrain makes Wrap refuse new requests and closes Drained. Calls
// after the first do nothing.
func (g *Gate) StartDrain() {
	if g.draining.CompareAndSwap(false, true) {
		close(g.drained)
	}
}

// Draining reports whether a drain has started.
func (g *Gate) Draining() bool { return g.draining.Load() }

// Drained is closed once a drain starts (what KeepRegistered waits for).
func (g *Gate) Drained() <-chan struct{} { return g.drained }

// InFlight is the number of requests being served.
func (g *Gate) InFlight() int { return int(g.inflight.Load()) }

// Wrap serves h unless draining (then 503 NF_SERVICE_FAILOVER).
func (g *Gate) Wrap(h http.Handler) http.Handler { return g.wrap(h, true, nil) }

// WrapOnRefuse is Wrap, calling refused for each request it refuses (an
// NF counts them in its own metrics).
func (g *Gate) WrapOnRefuse(h http.Handler, refused func()) http.Handler {
	return g.wrap(h, true, refused)
}

// WrapAlways serves h even while draining: work that finishes what the
// instance already holds (an AUSF confirmation, a PCF association).
func (g *Gate) WrapAlways(h http.Handler) http.Handler { return g.wrap(h, false, nil) }

func (g *Gate) wrap(h http.Handler, refuse bool, refused func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Count first, then look: a drain never reads 0 while a request
		// that got past the check is still running.
		g.inflight.Add(1)
		defer g.inflight.Add(-1)
		if refuse && g.draining.Load() {
			if refused != nil {
				refused()
			}
			sbi.WriteProblem(w, http.StatusServiceUnavailable, CauseNFServiceFailover, "draining: use another instance")
			return
		}
		if !g.log.Enabled(r.Context(), slog.LevelDebug) {
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		g.log.Debug("sbi request", "method", r.Method, "path", r.URL.Path,
			"status", sw.code, "took", time.Since(start))
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
