// Package probe is corenf kind "probe": a stand-in NF for orchestrator
// tests. It serves the nfkit ops endpoints and lets a test steer what an
// orchestrator watches: a load gauge, readiness, how long a drain takes, and
// the process exit code.
//
// Config (YAML, defaults in default.yaml, documented in README.md):
//
//	ops:
//	  listen: ":9090"   # ops server host:port
//	ready_after: 0s     # ready this long after Run starts
//	load: 0             # initial corebox_probe_load
//	drain_items: 0      # items held; released after POST /drain ...
//	drain_rate: 10      # ... at this many per second (0: never)
//	announce: {}        # by network, prefixes served there (GET /routes)
//
// Routes besides the nfkit ones: GET/PUT /load, GET/PUT /ready, POST /exit,
// PUT /routes.
package probe

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
)

// Kind is the corenf kind name.
const Kind = "probe"

// DefaultYAML is the default config, as shipped in the probe image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the probe's configuration.
type Config struct {
	Ops        nfkit.OpsConfig `yaml:"ops"`
	ReadyAfter time.Duration   `yaml:"ready_after"`
	Load       float64         `yaml:"load"`
	DrainItems int             `yaml:"drain_items"`
	DrainRate  float64         `yaml:"drain_rate"`
	// Announce is what GET /routes reports at start: by network, the
	// prefixes the probe claims to serve behind its address there.
	Announce map[string][]string `yaml:"announce"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("probe/default.yaml", DefaultYAML) }

// Validate checks ranges.
func (c Config) Validate() error {
	var errs []error
	if err := c.Ops.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.ReadyAfter < 0 {
		errs = append(errs, fmt.Errorf("ready_after %v is negative", c.ReadyAfter))
	}
	if !finite(c.Load) {
		errs = append(errs, fmt.Errorf("load %v is not a finite number", c.Load))
	}
	if c.DrainItems < 0 {
		errs = append(errs, fmt.Errorf("drain_items %d is negative", c.DrainItems))
	}
	if c.DrainRate < 0 || !finite(c.DrainRate) {
		errs = append(errs, fmt.Errorf("drain_rate %v must be a finite number >= 0", c.DrainRate))
	}
	if _, err := parseAnnounce(c.Announce); err != nil {
		errs = append(errs, fmt.Errorf("announce: %w", err))
	}
	return errors.Join(errs...)
}

// NF is a running probe.
type NF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	load    prometheus.Gauge
	badReqs prometheus.Counter

	started  atomic.Pointer[time.Time] // nil until Run
	override atomic.Pointer[bool]      // set by PUT /ready; nil: ready_after decides

	drain     *drainer
	exitOnce  sync.Once
	exitCode  chan int
	loadValue atomic.Uint64 // float64 bits, for GET /load
}

// New builds a probe from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, exitCode: make(chan int, 1),
		drain: newDrainer(cfg.DrainItems, cfg.DrainRate)}
	ops, err := nfkit.NewOps(Kind, n.log, n, n.drain)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	n.ops = ops
	n.load = prometheus.NewGauge(prometheus.GaugeOpts{Name: "corebox_probe_load",
		Help: "Load the probe was told to report (PUT /load)."})
	n.badReqs = prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_probe_bad_requests_total",
		Help: "Requests to /load, /ready, /exit or /routes rejected as malformed."})
	if err := nfkit.Register(ops.Registry(), n.load, n.badReqs); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	n.setLoad(cfg.Load)
	announce, _ := parseAnnounce(cfg.Announce) // checked by Validate
	n.setAnnounce(announce)
	n.routes()
	return n, nil
}

// Ops is the probe's ops server (for its address and handler in tests).
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Run serves until ctx ends (nil) or POST /exit asks to exit (*nfkit.ExitError).
func (n *NF) Run(ctx context.Context) error {
	now := time.Now()
	n.started.Store(&now)
	n.log.Info("probe starting", "ops", n.cfg.Ops.Listen, "ready_after", n.cfg.ReadyAfter,
		"drain_items", n.cfg.DrainItems, "drain_rate", n.cfg.DrainRate)
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.drain.run,
		n.waitExit,
	)
}

// Ready implements nfkit.Readiness.
func (n *NF) Ready() (bool, string) {
	if o := n.override.Load(); o != nil {
		if *o {
			return true, ""
		}
		return false, "set not ready by PUT /ready"
	}
	start := n.started.Load()
	if start == nil {
		return false, "not started"
	}
	if left := n.cfg.ReadyAfter - time.Since(*start); left > 0 {
		return false, fmt.Sprintf("ready in %v", left.Round(time.Millisecond))
	}
	return true, ""
}

func (n *NF) waitExit(ctx context.Context) error {
	select {
	case code := <-n.exitCode:
		return exitError(code)
	case <-ctx.Done():
	}
	// An exit requested as the stop arrived still decides the exit code.
	select {
	case code := <-n.exitCode:
		return exitError(code)
	default:
		return nil
	}
}

func exitError(code int) error {
	return &nfkit.ExitError{Code: code, Reason: "requested by POST /exit"}
}

func (n *NF) setLoad(v float64) {
	n.loadValue.Store(math.Float64bits(v))
	n.load.Set(v)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
