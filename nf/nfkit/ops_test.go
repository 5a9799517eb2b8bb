package nfkit_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// fakeNF is a Readiness and Drainer the test steers.
type fakeNF struct {
	mu        sync.Mutex
	ok        bool
	reason    string
	held      int
	drainCall int
}

func (f *fakeNF) Ready() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ok, f.reason
}

func (f *fakeNF) StartDrain() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drainCall++
}

func (f *fakeNF) Remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

func (f *fakeNF) set(fn func(*fakeNF)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func newOps(t *testing.T, f *fakeNF) (*nfkit.Ops, *httptest.Server) {
	t.Helper()
	var r nfkit.Readiness
	var d nfkit.Drainer
	if f != nil {
		r, d = f, f
	}
	ops, err := nfkit.NewOps("test", nfkittest.Quiet(), r, d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ops.Handler())
	t.Cleanup(srv.Close)
	return ops, srv
}

func TestOpsEndpoints(t *testing.T) {
	f := &fakeNF{ok: false, reason: "waiting for NRF", held: 3}
	_, srv := newOps(t, f)
	steps := []struct {
		name         string
		before       func(*fakeNF)
		method, path string
		wantCode     int
		wantBody     string
	}{
		{"alive", nil, "GET", "/healthz", 200, "ok\n"},
		{"not ready with reason", nil, "GET", "/readyz", 503, "waiting for NRF\n"},
		{"not ready without reason", func(f *fakeNF) { f.reason = "" }, "GET", "/readyz", 503, "not ready\n"},
		{"ready flips", func(f *fakeNF) { f.ok = true }, "GET", "/readyz", 200, "ok\n"},
		{"drain status before drain", nil, "GET", "/drain", 200, `{"draining":false,"remaining":3}` + "\n"},
		{"healthz is GET only", nil, "POST", "/healthz", 405, ""},
		{"drain is GET or POST", nil, "PUT", "/drain", 405, ""},
		{"unknown path", nil, "GET", "/nope", 404, ""},
		{"start drain", nil, "POST", "/drain", 202, `{"draining":true,"remaining":3}` + "\n"},
		{"draining is not ready", nil, "GET", "/readyz", 503, "draining\n"},
		{"counts down", func(f *fakeNF) { f.held = 1 }, "GET", "/drain", 200, `{"draining":true,"remaining":1}` + "\n"},
		{"second POST keeps draining", nil, "POST", "/drain", 202, `{"draining":true,"remaining":1}` + "\n"},
		{"drained", func(f *fakeNF) { f.held = 0 }, "GET", "/drain", 200, `{"draining":true,"remaining":0}` + "\n"},
		{"still alive while drained", nil, "GET", "/healthz", 200, "ok\n"},
	}
	for _, s := range steps {
		if s.before != nil {
			f.set(s.before)
		}
		code, body := nfkittest.Do(t, s.method, srv.URL+s.path, "")
		if code != s.wantCode {
			t.Errorf("%s: %s %s = %d, want %d (%q)", s.name, s.method, s.path, code, s.wantCode, body)
		}
		if s.wantBody != "" && body != s.wantBody {
			t.Errorf("%s: body %q, want %q", s.name, body, s.wantBody)
		}
	}
	f.set(func(f *fakeNF) {
		if f.drainCall != 1 {
			t.Errorf("StartDrain called %d times, want 1", f.drainCall)
		}
	})
}

func TestOpsWithoutNFHooks(t *testing.T) {
	_, srv := newOps(t, nil)
	if code, _ := nfkittest.Do(t, "GET", srv.URL+"/readyz", ""); code != 200 {
		t.Errorf("readyz = %d, want 200 with no Readiness", code)
	}
	code, body := nfkittest.Do(t, "POST", srv.URL+"/drain", "")
	var st nfkit.DrainStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 202 || !st.Drained() {
		t.Errorf("POST /drain = %d %q (%v), want drained at once", code, body, err)
	}
}

func TestOpsMetrics(t *testing.T) {
	f := &fakeNF{ok: true, held: 2}
	ops, srv := newOps(t, f)
	hits := prometheusCounter(t, ops, "corebox_test_things_total")
	hits.Add(4)
	nfkittest.Do(t, "POST", srv.URL+"/drain", "")
	code, body := nfkittest.Do(t, "GET", srv.URL+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics = %d", code)
	}
	for _, want := range []string{
		"corebox_test_things_total 4",
		"corebox_test_ready 0", // draining
		"corebox_test_draining 1",
		"corebox_test_drain_remaining 2",
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNewOpsRejectsBadKind(t *testing.T) {
	for _, k := range []string{"", "Upf", "up-f", "5gc"} {
		if _, err := nfkit.NewOps(k, nfkittest.Quiet(), nil, nil); err == nil {
			t.Errorf("kind %q accepted", k)
		}
	}
}

func TestOpsRunServesAndStops(t *testing.T) {
	nfkittest.NoLeaks(t)
	ops, err := nfkit.NewOps("test", nfkittest.Quiet(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ops.Run(ctx, "127.0.0.1:0") }()
	nfkittest.Eventually(t, 5*time.Second, "ops listening", func() bool { return ops.Addr() != nil })
	if code, _ := nfkittest.Do(t, "GET", "http://"+ops.Addr().String()+"/healthz", ""); code != 200 {
		t.Errorf("healthz = %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if _, err := net.Dial("tcp", ops.Addr().String()); err == nil {
		t.Error("still accepting after Run returned")
	}
}

func TestOpsRunBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ops, err := nfkit.NewOps("test", nfkittest.Quiet(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ops.Run(context.Background(), ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "ops: listen") {
		t.Errorf("Run on a busy port = %v", err)
	}
}

func TestOpsConfigValidate(t *testing.T) {
	for in, ok := range map[string]bool{":9090": true, "10.0.0.1:9090": true, "[::1]:0": true, "9090": false, "": false} {
		if err := (nfkit.OpsConfig{Listen: in}).Validate(); (err == nil) != ok {
			t.Errorf("Validate(%q) = %v", in, err)
		}
	}
}

func TestReadJSON(t *testing.T) {
	type body struct {
		V *float64 `json:"value"`
	}
	tests := []struct {
		in string
		ok bool
	}{
		{`{"value": 1.5}`, true},
		{`{"value": 1.5, "x": 1}`, false},
		{`{"value": 1.5} {}`, false},
		{`{"value": "a"}`, false},
		{`{`, false},
		{`{"value": ` + strings.Repeat("1", 5000) + `}`, false},
	}
	for _, tt := range tests {
		var got atomic.Bool
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var b body
			got.Store(nfkit.ReadJSON(w, r, 1024, &b) == nil)
		})
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PUT", "/", strings.NewReader(tt.in)))
		if got.Load() != tt.ok {
			t.Errorf("ReadJSON(%.40q) ok=%v, want %v", tt.in, got.Load(), tt.ok)
		}
	}
}

func TestOpsInfo(t *testing.T) {
	ops, srv := newOps(t, nil)
	ops.SetInfo("sctp", "udp: kernel lacks SCTP")
	code, body := nfkittest.Do(t, "GET", srv.URL+"/info", "")
	var info map[string]string
	if err := json.Unmarshal([]byte(body), &info); err != nil || code != 200 {
		t.Fatalf("GET /info = %d %q (%v)", code, body, err)
	}
	if info["sctp"] != "udp: kernel lacks SCTP" || info["kind"] == "" {
		t.Errorf("info %v", info)
	}
}
