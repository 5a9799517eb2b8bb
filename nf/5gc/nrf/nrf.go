// Package nrf is corenf kind "nrf": the 5GC Network Repository Function
// (TS 29.510). It keeps the profiles NFs register (Nnrf_NFManagement:
// register, update by JSON Patch, heartbeat, deregister, status
// subscriptions with notifications) and answers discovery searches
// (Nnrf_NFDiscovery) by NF type, S-NSSAI and DNN, offering only REGISTERED
// instances. An NF that misses its heartbeats becomes SUSPENDED until it
// heartbeats again.
//
// The registry lives in memory: after a restart NFs find out on their next
// heartbeat (404) and register again (nf/proto/sbi/nrfc does).
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package nrf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Kind is the corenf kind name.
const Kind = "nrf"

// DefaultYAML is the default config, as shipped in the nrf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the NRF's configuration.
type Config struct {
	Ops              nfkit.OpsConfig  `yaml:"ops"`
	SBI              sbi.ServerConfig `yaml:"sbi"`
	APIRoot          string           `yaml:"api_root"`
	HeartbeatTimer   time.Duration    `yaml:"heartbeat_timer"`
	HeartbeatGrace   time.Duration    `yaml:"heartbeat_grace"`
	CheckInterval    time.Duration    `yaml:"check_interval"`
	EvictAfter       time.Duration    `yaml:"evict_after"`
	ValidityPeriod   time.Duration    `yaml:"validity_period"`
	MaxInstances     int              `yaml:"max_instances"`
	MaxSubscriptions int              `yaml:"max_subscriptions"`
	Notify           NotifyConfig     `yaml:"notify"`
}

// NotifyConfig tunes how status notifications are sent.
type NotifyConfig struct {
	Queue   int           `yaml:"queue"`
	Workers int           `yaml:"workers"`
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("nrf/default.yaml", DefaultYAML) }

// Validate checks addresses and ranges.
func (c Config) Validate() error {
	var errs []error
	add := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	if err := c.Ops.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.SBI.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.APIRoot != "" {
		add(!isHTTPURI(c.APIRoot), "api_root %q: want http(s)://host[:port]", c.APIRoot)
	}
	add(c.HeartbeatTimer < time.Second || c.HeartbeatTimer%time.Second != 0 || c.HeartbeatTimer > time.Hour,
		"heartbeat_timer %v: want whole seconds in 1s..1h", c.HeartbeatTimer)
	add(c.HeartbeatGrace < 0, "heartbeat_grace %v is negative", c.HeartbeatGrace)
	add(c.CheckInterval <= 0, "check_interval %v must be positive", c.CheckInterval)
	add(c.EvictAfter < 0, "evict_after %v is negative", c.EvictAfter)
	add(c.ValidityPeriod < 0 || c.ValidityPeriod%time.Second != 0 || c.ValidityPeriod > 24*time.Hour,
		"validity_period %v: want whole seconds in 0s..24h", c.ValidityPeriod)
	add(c.MaxInstances < 1, "max_instances %d must be at least 1", c.MaxInstances)
	add(c.MaxSubscriptions < 0, "max_subscriptions %d is negative", c.MaxSubscriptions)
	add(c.Notify.Queue < 1, "notify.queue %d must be at least 1", c.Notify.Queue)
	add(c.Notify.Workers < 1 || c.Notify.Workers > 64, "notify.workers %d: want 1..64", c.Notify.Workers)
	add(c.Notify.Timeout <= 0, "notify.timeout %v must be positive", c.Notify.Timeout)
	return errors.Join(errs...)
}

// NF is a running NRF.
type NF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	server  *sbi.Server
	metrics *sbi.Metrics
	stats   *stats
	reg     *registry
	subs    *subscriptions
	notify  *notifier
	handler http.Handler
	now     func() time.Time
	check   chan struct{} // CheckHeartbeats requests from the ticker
}

// New builds an NRF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nrf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, now: time.Now, check: make(chan struct{}, 1)}
	server, err := sbi.NewServer(cfg.SBI, n.log)
	if err != nil {
		return nil, fmt.Errorf("nrf: %w", err)
	}
	n.server = server
	client, err := sbi.NewClient(sbi.ClientConfig{Timeout: cfg.Notify.Timeout})
	if err != nil {
		return nil, fmt.Errorf("nrf: %w", err)
	}
	n.reg = newRegistry()
	n.subs = newSubscriptions()
	n.stats = newStats(n.reg, n.subs)
	n.notify = newNotifier(client, cfg.Notify, n.log, n.stats)
	n.metrics = sbi.NewMetrics("corebox_nrf", n.log)
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("nrf: %w", err)
	}
	n.ops = ops
	cs := append(n.metrics.Collectors(), n.stats.collectors()...)
	if err := nfkit.Register(ops.Registry(), cs...); err != nil {
		return nil, fmt.Errorf("nrf: %w", err)
	}
	n.handler = n.routes()
	return n, nil
}

// SetClock makes the NRF read time from now (tests drive heartbeat expiry
// with it). Call it before Run.
func (n *NF) SetClock(now func() time.Time) { n.now = now }

// Ops is the NRF's ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBI is the NRF's SBI server (its Addr and URL once listening).
func (n *NF) SBI() *sbi.Server { return n.server }

// Handler serves the NRF's SBI API (what Run serves).
func (n *NF) Handler() http.Handler { return n.handler }

// Run serves the SBI and ops APIs until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	n.log.Info("nrf starting", "sbi", n.cfg.SBI.Listen, "ops", n.cfg.Ops.Listen,
		"heartbeat_timer", n.cfg.HeartbeatTimer, "heartbeat_grace", n.cfg.HeartbeatGrace)
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.server.Run(ctx, n.handler) },
		n.notify.run,
		n.expiryLoop,
	)
}

// Ready implements nfkit.Readiness: ready once the SBI server listens.
func (n *NF) Ready() (bool, string) {
	if n.server.Addr() == nil {
		return false, "sbi server not listening"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer. The NRF keeps answering while
// draining: the NFs it serves still need it until a replacement is up.
func (n *NF) StartDrain() { n.log.Info("drain requested; the NRF holds no work to hand over") }

// Remaining implements nfkit.Drainer: an NRF holds nothing to hand over.
func (n *NF) Remaining() int { return 0 }

// apiRoot is the NRF's URI as NFs know it.
func (n *NF) apiRoot() string {
	if n.cfg.APIRoot != "" {
		return strings.TrimSuffix(n.cfg.APIRoot, "/")
	}
	return n.server.URL()
}

func (n *NF) expiryLoop(ctx context.Context) error {
	t := time.NewTicker(n.cfg.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n.CheckHeartbeats()
		}
	}
}

// stats are the NRF's own counters; the registry gauges are read at scrape.
type stats struct {
	heartbeats, expiries, evictions prometheus.Counter
	notifications                   *prometheus.CounterVec
	gauges                          prometheus.Collector
}

func newStats(r *registry, s *subscriptions) *stats {
	return &stats{
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_nrf_heartbeats_total",
			Help: "NF heartbeats (PATCH of an NF profile) received."}),
		expiries: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_nrf_heartbeat_expiries_total",
			Help: "NFs marked SUSPENDED after missing their heartbeats."}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_nrf_evictions_total",
			Help: "Silent NFs removed after evict_after."}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_nrf_notifications_total",
			Help: "Status notifications, by result: sent, failed (POST failed), dropped (queue full)."},
			[]string{"result"}),
		gauges: &gaugeCollector{reg: r, subs: s},
	}
}

func (s *stats) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.heartbeats, s.expiries, s.evictions, s.notifications, s.gauges}
}

func isHTTPURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == ""
}
