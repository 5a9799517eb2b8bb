package nfkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultOpsListen is where the ops server listens unless configured: port
// 9090 on every address (the orchestrator sets ops.listen to the mgmt one).
const DefaultOpsListen = ":9090"

// shutdownGrace bounds how long in-flight ops requests may finish on stop.
const shutdownGrace = 5 * time.Second

// OpsConfig is the "ops:" section every NF config embeds.
type OpsConfig struct {
	// Listen is the ops server's host:port (default ":9090").
	Listen string `yaml:"listen"`
}

// Validate checks Listen is a host:port.
func (c OpsConfig) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("ops.listen %q: %w", c.Listen, err)
	}
	return nil
}

// Readiness reports whether the NF can serve, and why not.
type Readiness interface {
	Ready() (ok bool, reason string)
}

// Drainer is an NF that can stop taking new work and finish what it holds.
// StartDrain is called at most once; Remaining is what is still held.
type Drainer interface {
	StartDrain()
	Remaining() int
}

// DrainStatus is the body of POST and GET /drain.
type DrainStatus struct {
	Draining  bool `json:"draining"`
	Remaining int  `json:"remaining"`
}

// Drained reports whether draining has started and nothing is held.
func (s DrainStatus) Drained() bool { return s.Draining && s.Remaining == 0 }

// Ops is an NF's ops HTTP server. Build it with NewOps, add NF-specific
// routes with Handle, register metrics on Registry, then Run it.
type Ops struct {
	kind     string
	log      *slog.Logger
	ready    Readiness
	drainer  Drainer
	reg      *prometheus.Registry
	mux      *http.ServeMux
	draining atomic.Bool
	drainMu  sync.Once
	addr     atomic.Pointer[net.Addr]
	infoMu   sync.Mutex
	info     map[string]string
	routesMu sync.Mutex
	routes   map[string][]netip.Prefix // by network; see SetRoutes
}

var kindRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// NewOps builds the ops server of an NF of kind (used in metric names, so
// lower-case letters, digits and '_'). A nil ready means always ready; a nil
// drainer means nothing is ever held.
func NewOps(kind string, log *slog.Logger, ready Readiness, drainer Drainer) (*Ops, error) {
	if !kindRe.MatchString(kind) {
		return nil, fmt.Errorf("ops: kind %q must match %s", kind, kindRe)
	}
	o := &Ops{kind: kind, log: log, ready: ready, drainer: drainer,
		reg: prometheus.NewRegistry(), mux: http.NewServeMux()}
	if err := o.registerMetrics(); err != nil {
		return nil, err
	}
	o.mux.HandleFunc("GET /healthz", o.healthz)
	o.mux.HandleFunc("GET /readyz", o.readyz)
	o.mux.Handle("GET /metrics", promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	o.mux.HandleFunc("POST /drain", o.postDrain)
	o.mux.HandleFunc("GET /drain", o.getDrain)
	o.mux.HandleFunc("GET /info", o.getInfo)
	o.mux.HandleFunc("GET /routes", o.getRoutes)
	return o, nil
}

// SetInfo records a fact about the NF that GET /info reports and
// `corebox status` shows (for example "sctp" = "udp: kernel lacks SCTP").
func (o *Ops) SetInfo(key, value string) {
	o.infoMu.Lock()
	defer o.infoMu.Unlock()
	if o.info == nil {
		o.info = map[string]string{}
	}
	o.info[key] = value
}

func (o *Ops) getInfo(w http.ResponseWriter, _ *http.Request) {
	o.infoMu.Lock()
	info := maps.Clone(o.info)
	o.infoMu.Unlock()
	if info == nil {
		info = map[string]string{}
	}
	info["kind"] = o.kind
	WriteJSON(w, http.StatusOK, info)
}

func (o *Ops) registerMetrics() error {
	name := func(what string) string { return "corebox_" + o.kind + "_" + what }
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("ready"),
			Help: "1 when the instance reports ready on /readyz."},
			func() float64 { return b2f(o.isReady()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("draining"),
			Help: "1 once a drain has started."},
			func() float64 { return b2f(o.draining.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("drain_remaining"),
			Help: "Work items still held (sessions, dialogs, connections)."},
			func() float64 { return float64(o.DrainStatus().Remaining) }),
	}
	return Register(o.reg, cs...)
}

// Register registers collectors on reg, naming the first one that fails.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metric: %w", err)
		}
	}
	return nil
}

// Registry is where the NF registers its metrics.
func (o *Ops) Registry() *prometheus.Registry { return o.reg }

// Handle adds an NF-specific route (a net/http ServeMux pattern such as
// "PUT /load").
func (o *Ops) Handle(pattern string, h http.Handler) { o.mux.Handle(pattern, h) }

// Handler serves every ops route; Run serves it too.
func (o *Ops) Handler() http.Handler { return o.mux }

// Addr is the bound address once Run listens, else nil.
func (o *Ops) Addr() net.Addr {
	if p := o.addr.Load(); p != nil {
		return *p
	}
	return nil
}

// Draining reports whether a drain has started.
func (o *Ops) Draining() bool { return o.draining.Load() }

// StartDrain starts draining (as POST /drain does); later calls do nothing.
func (o *Ops) StartDrain() {
	o.drainMu.Do(func() {
		o.draining.Store(true)
		if o.drainer != nil {
			o.drainer.StartDrain()
		}
		o.log.Info("draining", "remaining", o.DrainStatus().Remaining)
	})
}

// DrainStatus is what GET /drain reports.
func (o *Ops) DrainStatus() DrainStatus {
	s := DrainStatus{Draining: o.draining.Load()}
	if o.drainer != nil {
		s.Remaining = o.drainer.Remaining()
	}
	return s
}

// Run listens on addr and serves until ctx ends, then shuts down gracefully.
func (o *Ops) Run(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("ops: listen %s: %w", addr, err)
	}
	return o.Serve(ctx, ln)
}

// Serve serves on ln (closing it) until ctx ends.
func (o *Ops) Serve(ctx context.Context, ln net.Listener) error {
	a := ln.Addr()
	o.addr.Store(&a)
	srv := &http.Server{
		Handler:           o.mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(o.log.Handler(), slog.LevelWarn),
	}
	o.log.Info("ops server listening", "addr", a.String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("ops: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops: serve: %w", err)
	}
	if shutErr != nil {
		// Stragglers past the grace period are cut off, not waited for.
		if err := srv.Close(); err != nil {
			return fmt.Errorf("ops: close: %w", err)
		}
		return fmt.Errorf("ops: shutdown: %w", shutErr)
	}
	return nil
}

func (o *Ops) isReady() bool {
	ok, _ := o.readiness()
	return ok
}

// readiness is false while draining: a draining instance takes no new work.
func (o *Ops) readiness() (bool, string) {
	if o.draining.Load() {
		return false, "draining"
	}
	if o.ready == nil {
		return true, ""
	}
	return o.ready.Ready()
}

func (o *Ops) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

func (o *Ops) readyz(w http.ResponseWriter, _ *http.Request) {
	ok, reason := o.readiness()
	if ok {
		writeText(w, http.StatusOK, "ok")
		return
	}
	if reason == "" {
		reason = "not ready"
	}
	writeText(w, http.StatusServiceUnavailable, reason)
}

func (o *Ops) postDrain(w http.ResponseWriter, _ *http.Request) {
	o.StartDrain()
	WriteJSON(w, http.StatusAccepted, o.DrainStatus())
}

func (o *Ops) getDrain(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, o.DrainStatus())
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	// A failed write means the client left; there is no one to tell.
	_, _ = w.Write([]byte(body + "\n"))
}

// WriteJSON writes v as a JSON response with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)+1))
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n')) // client gone: nothing to do
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ReadJSON strictly decodes a JSON request body of at most limit bytes into
// v: unknown fields, trailing data and oversized bodies are errors.
func ReadJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	if dec.More() {
		return errors.New("decode body: trailing data after the JSON value")
	}
	return nil
}
