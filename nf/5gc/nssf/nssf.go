// Package nssf is corenf kind "nssf": the 5GC Network Slice Selection
// Function, serving Nnssf_NSSelection (TS 29.531). AMFs ask it which
// S-NSSAIs a registering UE is allowed (the requested ones, or the
// default subscribed ones, that this PLMN supports), and SMFs or AMFs ask
// which network slice instance (NSI and its NRF) serves a PDU session's
// S-NSSAI. The supported slices come from the config; the NSSF holds no
// state.
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package nssf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "nssf"

// DefaultYAML is the default config, as shipped in the nssf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the NSSF's configuration.
type Config struct {
	Ops          nfkit.OpsConfig  `yaml:"ops"`
	SBI          sbi.ServerConfig `yaml:"sbi"`
	NRF          nfsbi.NRFConfig  `yaml:"nrf"`
	AdvertiseURI string           `yaml:"advertise_uri"`
	Slices       []SliceConfig    `yaml:"slices"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("nssf/default.yaml", DefaultYAML) }

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
	add(c.NRF.Validate(c.AdvertiseURI, c.SBI.Listen))
	add(validateSlices(c.Slices))
	return errors.Join(errs...)
}

// NF is an NSSF.
type NF struct {
	nrfClient *sbi.Client // the NRF client's, closed when Run ends
	cfg       Config
	log       *slog.Logger
	ops       *nfkit.Ops
	server    *sbi.Server
	metrics   *metrics
	nrf       *nrfc.Client
	gate      *nfsbi.Gate
	supported *supported
	handler   http.Handler
}

// New builds an NSSF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nssf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, gate: nfsbi.NewGate(o.Logger),
		supported: newSupported(cfg.Slices, cfg.NRF.URI)}
	var err error
	if n.server, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("nssf: %w", err)
	}
	if cfg.NRF.URI != "" {
		sc, err := sbi.NewClient(sbi.ClientConfig{})
		if err != nil {
			return nil, fmt.Errorf("nssf: %w", err)
		}
		n.nrfClient = sc
		if n.nrf, err = nrfc.New(sc, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("nssf: %w", err)
		}
	}
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("nssf: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops, n.log, len(cfg.Slices)); err != nil {
		return nil, fmt.Errorf("nssf: %w", err)
	}
	n.handler = n.routes()
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBI is the SBI server (its Addr and URL once listening).
func (n *NF) SBI() *sbi.Server { return n.server }

// Handler serves the Nnssf_NSSelection API (what Run serves).
func (n *NF) Handler() http.Handler { return n.handler }

// NRF is the NRF client, nil without nrf.uri.
func (n *NF) NRF() *nrfc.Client { return n.nrf }

// Run serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.SBI.Listen)
	if err != nil {
		return fmt.Errorf("nssf: sbi listen %s: %w", n.cfg.SBI.Listen, err)
	}
	n.log.Info("nssf starting", "sbi", ln.Addr().String(), "ops", n.cfg.Ops.Listen, "nrf", n.cfg.NRF.URI,
		"slices", len(n.cfg.Slices))
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.server.Serve(ctx, ln, n.handler) },
	}
	if n.nrf != nil {
		p, err := n.profile(nfsbi.AdvertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Listen, n.cfg.SBI.Scheme(), ln.Addr()))
		if err != nil {
			return errors.Join(fmt.Errorf("nssf: %w", err), ln.Close())
		}
		fns = append(fns, func(ctx context.Context) error {
			return nfsbi.KeepRegistered(ctx, n.nrf, p, n.gate.Drained(), n.log)
		})
	}
	err = nfkit.RunAll(ctx, fns...)
	if n.nrfClient != nil {
		n.nrfClient.CloseIdleConnections() // or they outlive the NF, held by the NRF
	}
	return err
}

// profile is what the NSSF registers: its service, the S-NSSAIs it
// supports and their NSIs.
func (n *NF) profile(advertise string) (models.Nrf_NFMgmt_NFProfile, error) {
	p, err := nfsbi.NFProfile(n.cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_NFType_NSSF, advertise,
		models.Nrf_NFMgmt_ServiceName_NNSSF_NSSELECTION)
	if err != nil {
		return p, err
	}
	for _, k := range n.supported.order {
		p.SNssais = append(p.SNssais, models.ExtSnssai{Sst: k.sst, Sd: k.sd})
	}
	for _, s := range n.cfg.Slices {
		if s.NSI != "" {
			p.NsiList = append(p.NsiList, s.NSI)
		}
	}
	return p, nil
}

// Ready implements nfkit.Readiness: SBI listening and, with an NRF,
// registered.
func (n *NF) Ready() (bool, string) { return nfsbi.Ready(n.server.Addr(), n.nrf) }

// StartDrain implements nfkit.Drainer: new requests get 503 (consumers
// ask another NSSF) and the NRF profile turns SUSPENDED.
func (n *NF) StartDrain() { n.gate.StartDrain() }

// Remaining implements nfkit.Drainer: SBI requests in flight.
func (n *NF) Remaining() int { return n.gate.InFlight() }
