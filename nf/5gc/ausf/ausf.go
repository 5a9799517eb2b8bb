// Package ausf is corenf kind "ausf": the 5GC Authentication Server
// Function (TS 29.509 Nausf-UEAU, 5G AKA). POST ue-authentications asks
// the UDM for a 5G HE AV, keeps XRES* and KSEAF in an authentication
// context, and gives the AMF RAND, AUTN and HXRES*; PUT
// 5g-aka-confirmation compares the UE's RES* with XRES* and hands out
// SUPI and KSEAF. Contexts expire (auth_context_ttl) and are swept.
// Resynchronisation info in the POST goes to the UDM as it is.
package ausf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/free5gc/openapi/models"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "ausf"

// DefaultYAML is the default config, as shipped in the ausf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the AUSF's configuration.
type Config struct {
	Ops             nfkit.OpsConfig  `yaml:"ops"`
	SBI             sbi.ServerConfig `yaml:"sbi"`
	NRF             nfsbi.NRFConfig  `yaml:"nrf"`
	AdvertiseURI    string           `yaml:"advertise_uri"`
	Client          sbi.ClientConfig `yaml:"client"`
	UDM             udm.PeerConfig   `yaml:"udm"`
	AuthContextTTL  time.Duration    `yaml:"auth_context_ttl"`
	MaxAuthContexts int              `yaml:"max_auth_contexts"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("ausf/default.yaml", DefaultYAML) }

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
	switch {
	case c.UDM.URI != "":
		add(nfsbi.CheckURI("udm.uri", c.UDM.URI))
	case c.NRF.URI == "":
		add(errors.New("udm.uri: set it, or nrf.uri to discover the UDM"))
	}
	if c.AuthContextTTL <= 0 {
		add(fmt.Errorf("auth_context_ttl %v: want > 0", c.AuthContextTTL))
	}
	if c.MaxAuthContexts < 1 {
		add(fmt.Errorf("max_auth_contexts %d: want >= 1", c.MaxAuthContexts))
	}
	return errors.Join(errs...)
}

// NF is an AUSF.
type NF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	sbiSrv  *sbi.Server
	metrics *sbi.Metrics
	nrf     *nrfc.Client
	gate    *nfsbi.Gate
	udm     *udm.Client
	ctxs    *contexts
	now     func() time.Time
	client  *sbi.Client // to peers and the NRF; idle connections closed when Run ends

	auths *prometheus.CounterVec
}

// Results of an authentication, the label of
// corebox_ausf_authentications_total.
const (
	resultSuccess  = "success"  // RES* matched
	resultFailure  = "failure"  // RES* did not match
	resultExpired  = "expired"  // never confirmed in time
	resultRejected = "rejected" // the UDM refused (unknown user, bad SUCI, bad AUTS ...)
	resultError    = "error"    // the UDM could not be reached or answered nonsense
)

// New builds an AUSF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ausf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, gate: nfsbi.NewGate(o.Logger), ctxs: newContexts(cfg.MaxAuthContexts),
		now: time.Now}
	var err error
	if n.sbiSrv, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("ausf: %w", err)
	}
	sc, err := sbi.NewClient(cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("ausf: %w", err)
	}
	n.client = sc
	if cfg.NRF.URI != "" {
		if n.nrf, err = nrfc.New(sc, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("ausf: %w", err)
		}
	}
	n.udm = udm.NewClient(sc, nfsbi.PeerLocator(cfg.UDM.URI, n.nrf, models.Nrf_NFMgmt_NFType_UDM,
		models.Nrf_NFMgmt_NFType_AUSF, cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_ServiceName_NUDM_UEAU))
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("ausf: %w", err)
	}
	if err := n.registerMetrics(); err != nil {
		return nil, fmt.Errorf("ausf: %w", err)
	}
	return n, nil
}

func (n *NF) registerMetrics() error {
	n.metrics = sbi.NewMetrics("corebox_ausf", n.log)
	n.auths = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_ausf_authentications_total",
		Help: "5G AKA authentications by result (success, failure, expired, rejected, error)."}, []string{"result"})
	live := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_ausf_auth_contexts",
		Help: "Authentication contexts waiting for their confirmation."}, func() float64 { return float64(n.ctxs.len()) })
	return nfkit.Register(n.ops.Registry(), append(n.metrics.Collectors(), n.auths, live)...)
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBIAddr is the SBI server's bound address, nil before Run listens.
func (n *NF) SBIAddr() net.Addr { return n.sbiSrv.Addr() }

// SBIURL is scheme://addr of the SBI server, "" before Run listens.
func (n *NF) SBIURL() string { return n.sbiSrv.URL() }

// Run serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.SBI.Listen)
	if err != nil {
		return fmt.Errorf("ausf: sbi listen %s: %w", n.cfg.SBI.Listen, err)
	}
	n.log.Info("ausf starting", "udm", n.cfg.UDM.URI, "nrf", n.cfg.NRF.URI, "auth_context_ttl", n.cfg.AuthContextTTL)
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.sbiSrv.Serve(ctx, ln, n.sbiHandler()) },
		n.sweepLoop,
	}
	if n.nrf != nil {
		adv := nfsbi.AdvertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Listen, n.cfg.SBI.Scheme(), ln.Addr())
		profile, err := nfsbi.NFProfile(n.cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_NFType_AUSF, adv,
			models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH)
		if err != nil {
			return errors.Join(fmt.Errorf("ausf: %w", err), ln.Close())
		}
		fns = append(fns, func(ctx context.Context) error {
			return nfsbi.KeepRegistered(ctx, n.nrf, profile, n.gate.Drained(), n.log)
		})
	}
	defer n.client.CloseIdleConnections()
	return nfkit.RunAll(ctx, fns...)
}

// sweepLoop drops expired contexts a few times per TTL.
func (n *NF) sweepLoop(ctx context.Context) error {
	t := time.NewTicker(min(max(n.cfg.AuthContextTTL/4, 10*time.Millisecond), 5*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if k := n.ctxs.sweep(n.now()); k > 0 {
				n.auths.WithLabelValues(resultExpired).Add(float64(k))
				n.log.Debug("authentication contexts expired", "count", k)
			}
		}
	}
}

// Ready implements nfkit.Readiness: SBI listening and, with an NRF,
// registered.
func (n *NF) Ready() (bool, string) { return nfsbi.Ready(n.sbiSrv.Addr(), n.nrf) }

// StartDrain implements nfkit.Drainer: new authentications get 503 (the
// AMF picks another AUSF), confirmations of held contexts still work, and
// the NRF profile turns SUSPENDED.
func (n *NF) StartDrain() { n.gate.StartDrain() }

// Remaining implements nfkit.Drainer: requests in flight plus contexts
// waiting for their confirmation.
func (n *NF) Remaining() int { return n.gate.InFlight() + n.ctxs.len() }
