// Package nfkittest helps test NFs in-process: run one until the test ends,
// wait for conditions by polling, and check that no goroutine outlives it.
package nfkittest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Poll is how often Eventually re-checks its condition.
const Poll = 5 * time.Millisecond

// Eventually polls cond until it returns true, failing t after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// Quiet is a logger that drops records below error, for tests.
func Quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// Runner is an NF: its Run serves until ctx ends.
type Runner interface {
	Run(ctx context.Context) error
}

// Running is an NF started by Start.
type Running struct {
	t      testing.TB
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	judged bool
}

// Start runs nf in a goroutine until Stop, or until the test ends: then
// cleanup stops it and fails t if Run erred, unless the test judged Run's
// result itself through Stop or Wait.
func Start(t testing.TB, nf Runner) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{t: t, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = nf.Run(ctx)
	}()
	t.Cleanup(func() {
		if r.judged {
			return
		}
		if err := r.Stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// Stop cancels Run's context and returns Run's error.
func (r *Running) Stop() error {
	r.cancel()
	return r.Wait(10 * time.Second)
}

// Wait waits up to timeout for Run to return by itself and returns its
// error; it fails the test on timeout.
func (r *Running) Wait(timeout time.Duration) error {
	r.judged = true
	select {
	case <-r.done:
		return r.err
	case <-time.After(timeout):
		r.t.Fatalf("Run did not return within %v", timeout)
		return nil
	}
}

// NoLeaks records the goroutine count and, at cleanup (registered first so
// it runs last), waits for the count to fall back, dumping stacks if not.
// Goroutines whose stack holds one of ignore are not counted: a known
// leak of a library we do not own, named where it is tolerated.
// Tests using it must not run in parallel.
func NoLeaks(t testing.TB, ignore ...string) {
	t.Helper()
	base := goroutines(ignore)
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		deadline := time.Now().Add(5 * time.Second)
		tick := time.NewTicker(Poll)
		defer tick.Stop()
		for goroutines(ignore) > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d at start, %d now:\n%s", base, goroutines(ignore), buf)
				return
			}
			<-tick.C
		}
	})
}

// goroutines counts the goroutines whose stack holds none of ignore.
func goroutines(ignore []string) int {
	if len(ignore) == 0 {
		return runtime.NumGoroutine()
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !slices.ContainsFunc(ignore, func(s string) bool { return strings.Contains(g, s) }) {
			n++
		}
	}
	return n
}

// Do sends one HTTP request and returns the status and body; body may be "".
func Do(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, url, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, b.String()
}
