package nfsbi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

var teapot = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })

// serve runs one request through h and returns its status and problem cause.
func serve(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	var p struct{ Cause string }
	if rec.Code == http.StatusServiceUnavailable {
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("503 body %q: %v", rec.Body, err)
		}
	}
	return rec.Code, p.Cause
}

func TestGateRefusesWhileDraining(t *testing.T) {
	debug := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for name, log := range map[string]*slog.Logger{"quiet": nil, "debug": debug} {
		t.Run(name, func(t *testing.T) {
			g := nfsbi.NewGate(log)
			refused := 0
			wrap, always, counted := g.Wrap(teapot), g.WrapAlways(teapot), g.WrapOnRefuse(teapot, func() { refused++ })
			for _, h := range []http.Handler{wrap, always, counted} {
				if code, _ := serve(t, h); code != http.StatusTeapot {
					t.Errorf("before the drain: %d, want the handler's 418", code)
				}
			}
			select {
			case <-g.Drained():
				t.Fatal("Drained closed before StartDrain")
			default:
			}
			g.StartDrain()
			g.StartDrain() // a second call must not close Drained twice
			<-g.Drained()
			if !g.Draining() {
				t.Error("not Draining after StartDrain")
			}
			for _, h := range []http.Handler{wrap, counted} {
				if code, cause := serve(t, h); code != 503 || cause != nfsbi.CauseNFServiceFailover {
					t.Errorf("while draining: %d %q, want 503 %s", code, cause, nfsbi.CauseNFServiceFailover)
				}
			}
			if code, _ := serve(t, always); code != http.StatusTeapot {
				t.Errorf("WrapAlways while draining: %d, want 418", code)
			}
			if refused != 1 {
				t.Errorf("refused called %d times, want 1", refused)
			}
			if g.InFlight() != 0 {
				t.Errorf("in flight %d after all returned", g.InFlight())
			}
		})
	}
}

func TestGateCountsInFlight(t *testing.T) {
	g := nfsbi.NewGate(nil)
	release := make(chan struct{})
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) })
	}
	nfkittest.Eventually(t, 5*time.Second, "3 requests in flight", func() bool { return g.InFlight() == 3 })
	g.StartDrain() // held requests finish; the drain waits for them
	if g.InFlight() != 3 {
		t.Errorf("in flight %d right after StartDrain, want 3", g.InFlight())
	}
	close(release)
	wg.Wait()
	if g.InFlight() != 0 {
		t.Errorf("in flight %d after all returned", g.InFlight())
	}
}
