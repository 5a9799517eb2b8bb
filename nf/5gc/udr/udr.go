// Package udr is corenf kind "udr": the one subscriber store of corebox
// (TS 29.504 Nudr-DR, subscription data). Subscribers live in a bbolt file
// that survives restarts; operators provision them over the ops server
// (/provisioning/v1/subscribers), UDMs and the HSS read them over SBI.
//
// Config (YAML, defaults in default.yaml, documented in README.md): ops,
// sbi, db (path, lock_timeout), nrf (uri, instance_id), advertise_uri,
// client, defaults (dnns, ue_ambr), session (ambr, 5qi, arp_priority).
//
// SQN updates are conditional JSON Patches (RFC 6902 "test" then
// "replace" of /sequenceNumber/sqn) applied in one bbolt transaction, so
// concurrent UDMs never hand out one SQN twice: a loser gets 409 and
// retries from the new value.
package udr

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/free5gc/openapi/models"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "udr"

// DefaultYAML is the default config, as shipped in the udr image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the UDR's configuration.
type Config struct {
	Ops          nfkit.OpsConfig  `yaml:"ops"`
	SBI          sbi.ServerConfig `yaml:"sbi"`
	DB           DBConfig         `yaml:"db"`
	NRF          nfsbi.NRFConfig  `yaml:"nrf"`
	AdvertiseURI string           `yaml:"advertise_uri"`
	Client       sbi.ClientConfig `yaml:"client"`
	Defaults     Defaults         `yaml:"defaults"`
	Session      SessionConfig    `yaml:"session"`
}

// DBConfig is where the subscriber database lives.
type DBConfig struct {
	Path        string        `yaml:"path"`
	LockTimeout time.Duration `yaml:"lock_timeout"`
}

// SessionConfig is the QoS every subscribed DNN gets in sm-data.
type SessionConfig struct {
	AMBR        AMBR `yaml:"ambr"`
	FiveQI      int  `yaml:"5qi"`
	ARPPriority int  `yaml:"arp_priority"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("udr/default.yaml", DefaultYAML) }

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	add(c.SBI.Validate())
	add(c.Client.Validate())
	add(c.NRF.Validate(c.AdvertiseURI, c.SBI.Listen))
	if !filepath.IsAbs(c.DB.Path) {
		add(fmt.Errorf("db.path %q: want an absolute file path", c.DB.Path))
	}
	if c.DB.LockTimeout <= 0 {
		add(fmt.Errorf("db.lock_timeout %v: want > 0", c.DB.LockTimeout))
	}
	var bad problems
	checkDNNs(c.Defaults.DNNs, &bad)
	checkAMBR("defaults.ue_ambr", c.Defaults.UEAMBR, &bad)
	checkAMBR("session.ambr", c.Session.AMBR, &bad)
	if err := bad.err(); err != nil {
		add(fmt.Errorf("defaults: %w", err))
	}
	if c.Session.FiveQI < 1 || c.Session.FiveQI > 255 {
		add(fmt.Errorf("session.5qi %d: want 1..255", c.Session.FiveQI))
	}
	if c.Session.ARPPriority < 1 || c.Session.ARPPriority > 15 {
		add(fmt.Errorf("session.arp_priority %d: want 1..15", c.Session.ARPPriority))
	}
	return errors.Join(errs...)
}

// NF is a UDR.
type NF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	sbiSrv  *sbi.Server
	metrics *sbi.Metrics
	nrf     *nrfc.Client
	gate    *nfsbi.Gate
	store   atomic.Pointer[Store]
	client  *sbi.Client // to peers and the NRF; idle connections closed when Run ends

	sqnConflicts prometheus.Counter
}

// New builds a UDR from cfg; Run opens the database.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("udr: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, gate: nfsbi.NewGate(o.Logger)}
	var err error
	if n.sbiSrv, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("udr: %w", err)
	}
	if cfg.NRF.URI != "" {
		sc, err := sbi.NewClient(cfg.Client)
		if err != nil {
			return nil, fmt.Errorf("udr: %w", err)
		}
		n.client = sc
		if n.nrf, err = nrfc.New(sc, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("udr: %w", err)
		}
	}
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("udr: %w", err)
	}
	if err := n.registerMetrics(); err != nil {
		return nil, fmt.Errorf("udr: %w", err)
	}
	n.provisioningRoutes()
	return n, nil
}

func (n *NF) registerMetrics() error {
	n.metrics = sbi.NewMetrics("corebox_udr", n.log)
	n.sqnConflicts = prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_udr_sqn_conflicts_total",
		Help: "Conditional SQN updates refused because another writer changed the SQN first."})
	subs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_udr_subscribers",
		Help: "Subscribers in the database."}, func() float64 {
		if s := n.store.Load(); s != nil {
			return float64(s.Count())
		}
		return 0
	})
	return nfkit.Register(n.ops.Registry(), append(n.metrics.Collectors(), n.sqnConflicts, subs)...)
}

// Ops is the ops server (provisioning lives there too).
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBIAddr is the SBI server's bound address, nil before Run listens.
func (n *NF) SBIAddr() net.Addr { return n.sbiSrv.Addr() }

// SBIURL is scheme://addr of the SBI server, "" before Run listens.
func (n *NF) SBIURL() string { return n.sbiSrv.URL() }

// Store is the open database, nil outside Run.
func (n *NF) Store() *Store { return n.store.Load() }

// Run opens the database and serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	st, err := OpenStore(n.cfg.DB.Path, n.cfg.DB.LockTimeout)
	if err != nil {
		return err
	}
	n.store.Store(st)
	defer func() { n.store.Store(nil) }()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.SBI.Listen)
	if err != nil {
		return errors.Join(fmt.Errorf("udr: sbi listen %s: %w", n.cfg.SBI.Listen, err), st.Close())
	}
	n.log.Info("udr starting", "db", n.cfg.DB.Path, "subscribers", st.Count(), "nrf", n.cfg.NRF.URI)
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.sbiSrv.Serve(ctx, ln, n.sbiHandler()) },
	}
	if n.nrf != nil {
		adv := nfsbi.AdvertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Listen, n.cfg.SBI.Scheme(), ln.Addr())
		profile, err := nfsbi.NFProfile(n.cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_NFType_UDR, adv,
			models.Nrf_NFMgmt_ServiceName_NUDR_DR)
		if err != nil {
			return errors.Join(fmt.Errorf("udr: %w", err), ln.Close(), st.Close())
		}
		fns = append(fns, func(ctx context.Context) error {
			return nfsbi.KeepRegistered(ctx, n.nrf, profile, n.gate.Drained(), n.log)
		})
	}
	runErr := nfkit.RunAll(ctx, fns...)
	if n.client != nil {
		n.client.CloseIdleConnections()
	}
	return errors.Join(runErr, st.Close())
}

// Ready implements nfkit.Readiness: database open, SBI listening and, with
// an NRF, registered.
func (n *NF) Ready() (bool, string) {
	if n.store.Load() == nil {
		return false, "database not open"
	}
	return nfsbi.Ready(n.sbiSrv.Addr(), n.nrf)
}

// StartDrain implements nfkit.Drainer: new SBI requests get 503 and the
// NRF profile turns SUSPENDED. Provisioning stays open.
func (n *NF) StartDrain() { n.gate.StartDrain() }

// Remaining implements nfkit.Drainer: SBI requests in flight.
func (n *NF) Remaining() int { return n.gate.InFlight() }
