package probe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func newProbe(t testing.TB, mod func(*Config)) *NF {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	if mod != nil {
		mod(&cfg)
	}
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// startProbe runs n and returns its ops base URL.
func startProbe(t *testing.T, n *NF) (url string, r *nfkittest.Running) {
	t.Helper()
	r = nfkittest.Start(t, n)
	nfkittest.Eventually(t, 5*time.Second, "ops listening", func() bool { return n.Ops().Addr() != nil })
	return "http://" + n.Ops().Addr().String(), r
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	want := Config{Ops: nfkit.OpsConfig{Listen: ":9090"}, DrainRate: 10, Announce: map[string][]string{}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("DefaultConfig = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]func(*Config){
		"negative ready_after":  func(c *Config) { c.ReadyAfter = -time.Second },
		"negative drain_items":  func(c *Config) { c.DrainItems = -1 },
		"negative drain_rate":   func(c *Config) { c.DrainRate = -1 },
		"bad ops.listen":        func(c *Config) { c.Ops.Listen = "9090" },
		"announce not a prefix": func(c *Config) { c.Announce = map[string][]string{"n6": {"10.45.0.0"}} },
		"announce unnamed":      func(c *Config) { c.Announce = map[string][]string{"": {"10.45.0.0/16"}} },
	}
	for name, mod := range tests {
		cfg := DefaultConfig()
		mod(&cfg)
		if _, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet())); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoadGauge(t *testing.T) {
	n := newProbe(t, func(c *Config) { c.Load = 0.25 })
	srv := httptest.NewServer(n.Ops().Handler())
	defer srv.Close()
	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/load", "", 200, `{"value":0.25}`},
		{"PUT", "/load", `{"value": 0.75}`, 200, `{"value":0.75}`},
		{"GET", "/load", "", 200, `{"value":0.75}`},
		{"PUT", "/load?value=2", "", 200, `{"value":2}`},
		{"PUT", "/load?value=NaN", "", 400, ""},
		{"PUT", "/load?value=abc", "", 400, ""},
		{"PUT", "/load", `{"value": "high"}`, 400, ""},
		{"PUT", "/load", `{}`, 400, ""},
		{"PUT", "/load", `{"value": 1, "extra": 1}`, 400, ""},
		{"PUT", "/load", `not json`, 400, ""},
		{"GET", "/load", "", 200, `{"value":2}`},
	}
	for _, s := range steps {
		code, body := nfkittest.Do(t, s.method, srv.URL+s.path, s.body)
		if code != s.code || (s.want != "" && strings.TrimSpace(body) != s.want) {
			t.Errorf("%s %s %s = %d %q, want %d %q", s.method, s.path, s.body, code, body, s.code, s.want)
		}
	}
	_, metrics := nfkittest.Do(t, "GET", srv.URL+"/metrics", "")
	for _, want := range []string{"corebox_probe_load 2\n", "corebox_probe_bad_requests_total 6\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadyAfterAndOverride(t *testing.T) {
	n := newProbe(t, func(c *Config) { c.ReadyAfter = 200 * time.Millisecond })
	if ok, _ := n.Ready(); ok {
		t.Fatal("ready before Run")
	}
	url, _ := startProbe(t, n)
	if code, body := nfkittest.Do(t, "GET", url+"/readyz", ""); code != 503 || !strings.HasPrefix(body, "ready in ") {
		t.Errorf("readyz right after start = %d %q", code, body)
	}
	nfkittest.Eventually(t, 5*time.Second, "ready_after", func() bool {
		code, _ := nfkittest.Do(t, "GET", url+"/readyz", "")
		return code == 200
	})
	steps := []struct {
		body      string
		code      int
		readyzNow int
	}{
		{`{"ready": false}`, 200, 503},
		{`{"ready": true}`, 200, 200},
		{`{"ready": false}`, 200, 503},
		{`{"ready": null}`, 200, 200}, // back to ready_after, long passed
		{`{"ready": "no"}`, 400, 200},
		{`{"readyy": false}`, 400, 200},
		{`{}`, 400, 200},
	}
	for _, s := range steps {
		if code, body := nfkittest.Do(t, "PUT", url+"/ready", s.body); code != s.code {
			t.Errorf("PUT /ready %s = %d %q, want %d", s.body, code, body, s.code)
		}
		if code, _ := nfkittest.Do(t, "GET", url+"/readyz", ""); code != s.readyzNow {
			t.Errorf("after PUT /ready %s: readyz = %d, want %d", s.body, code, s.readyzNow)
		}
	}
}

func drainStatus(t *testing.T, url string) nfkit.DrainStatus {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", url+"/drain", "")
	var st nfkit.DrainStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("GET /drain body %q: %v", body, err)
	}
	return st
}

func TestDrainCountsDown(t *testing.T) {
	nfkittest.NoLeaks(t)
	n := newProbe(t, func(c *Config) { c.DrainItems = 20; c.DrainRate = 100 })
	url, run := startProbe(t, n)
	if st := drainStatus(t, url); st.Draining || st.Remaining != 20 {
		t.Fatalf("before drain: %+v", st)
	}
	begin := time.Now()
	if code, _ := nfkittest.Do(t, "POST", url+"/drain", ""); code != 202 {
		t.Fatalf("POST /drain = %d", code)
	}
	nfkittest.Eventually(t, 5*time.Second, "drained", func() bool { return drainStatus(t, url).Drained() })
	// 20 items at 100/s take 200ms (the steps are checked with a fake clock).
	if took := time.Since(begin); took < 190*time.Millisecond {
		t.Errorf("drained in %v, want >= 200ms at 100 items/s", took)
	}
	if err := run.Stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestDrainerSteps(t *testing.T) {
	d := newDrainer(5, 2) // 2 items/s: one every 500ms
	t0 := time.Unix(1000, 0)
	ticks := make(chan time.Time)
	stopped := false
	d.clock = clock{now: func() time.Time { return t0 },
		ticker: func(every time.Duration) (<-chan time.Time, func()) {
			if every != 100*time.Millisecond {
				t.Errorf("tick every %v, want 100ms", every)
			}
			return ticks, func() { stopped = true }
		}}
	done := make(chan error, 1)
	go func() { done <- d.run(context.Background()) }()
	d.StartDrain()
	for _, step := range []struct {
		after time.Duration
		want  int
	}{
		{100 * time.Millisecond, 5}, {499 * time.Millisecond, 5}, {500 * time.Millisecond, 4},
		{1600 * time.Millisecond, 2}, {1700 * time.Millisecond, 2}, {10 * time.Second, 0},
	} {
		ticks <- t0.Add(step.after)
		// The next send (or run's return) proves the previous tick was handled.
		if step.want == 0 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		} else {
			ticks <- t0.Add(step.after)
		}
		if got := d.Remaining(); got != step.want {
			t.Errorf("after %v: remaining %d, want %d", step.after, got, step.want)
		}
	}
	if !stopped {
		t.Error("ticker not stopped")
	}
}

func TestDrainRateZeroNeverDrains(t *testing.T) {
	d := newDrainer(5, 0)
	d.StartDrain()
	d.StartDrain() // idempotent
	if err := d.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Remaining() != 5 {
		t.Errorf("Remaining = %d, want 5 held forever", d.Remaining())
	}
}

func TestTickEvery(t *testing.T) {
	for rate, want := range map[float64]time.Duration{
		0.1: 100 * time.Millisecond, 10: 100 * time.Millisecond, 50: 20 * time.Millisecond, 1e6: time.Millisecond,
	} {
		if got := tickEvery(rate); got != want {
			t.Errorf("tickEvery(%v) = %v, want %v", rate, got, want)
		}
	}
}

func TestExit(t *testing.T) {
	n := newProbe(t, nil)
	url, run := startProbe(t, n)
	for _, bad := range []string{`{"code": 256}`, `{"code": -1}`, `{"code": "3"}`} {
		if code, _ := nfkittest.Do(t, "POST", url+"/exit", bad); code != 400 {
			t.Errorf("POST /exit %s = %d, want 400", bad, code)
		}
	}
	code, body := nfkittest.Do(t, "POST", url+"/exit", `{"code": 3}`)
	if code != 202 || strings.TrimSpace(body) != `{"code":3,"exiting":true}` {
		t.Fatalf("POST /exit = %d %q", code, body)
	}
	var ee *nfkit.ExitError
	if err := run.Wait(5 * time.Second); !errors.As(err, &ee) || ee.Code != 3 {
		t.Fatalf("Run = %v, want ExitError code 3", err)
	}
}

func TestExitOnlyOnce(t *testing.T) {
	n := newProbe(t, nil)
	srv := httptest.NewServer(n.Ops().Handler())
	defer srv.Close()
	if code, _ := nfkittest.Do(t, "POST", srv.URL+"/exit", ""); code != 202 {
		t.Errorf("first exit = %d, want 202", code)
	}
	if code, _ := nfkittest.Do(t, "POST", srv.URL+"/exit", `{"code": 4}`); code != 409 {
		t.Errorf("second exit = %d, want 409", code)
	}
	if code := <-n.exitCode; code != 1 {
		t.Errorf("exit code without body = %d, want 1", code)
	}
}
