// Package pcf is corenf kind "pcf": the 5GC Policy Control Function,
// serving Npcf_SMPolicyControl (TS 29.512) to SMFs. For each PDU session
// the SMF creates an SM policy association and gets an SmPolicyDecision:
// one session rule (authorized session AMBR and default QoS: 5QI, ARP)
// and one PCC rule bound to the default QoS flow, taken from the per-DNN
// policies in the config (or the global default).
//
// Associations live in memory: a restarted PCF has forgotten them, and an
// SMF's next update gets 404 and creates the association again.
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package pcf

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
const Kind = "pcf"

// DefaultYAML is the default config, as shipped in the pcf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the PCF's configuration.
type Config struct {
	Ops          nfkit.OpsConfig  `yaml:"ops"`
	SBI          sbi.ServerConfig `yaml:"sbi"`
	NRF          nfsbi.NRFConfig  `yaml:"nrf"`
	AdvertiseURI string           `yaml:"advertise_uri"`
	Policies     PolicyConfig     `yaml:"policies"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("pcf/default.yaml", DefaultYAML) }

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
	add(c.Policies.Validate())
	return errors.Join(errs...)
}

// NF is a PCF.
type NF struct {
	nrfClient *sbi.Client // the NRF client's, closed when Run ends
	cfg       Config
	log       *slog.Logger
	ops       *nfkit.Ops
	server    *sbi.Server
	metrics   *metrics
	nrf       *nrfc.Client
	gate      *nfsbi.Gate
	policies  *policies
	store     *store
	handler   http.Handler
}

// New builds a PCF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pcf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, gate: nfsbi.NewGate(o.Logger),
		policies: newPolicies(cfg.Policies), store: newStore(cfg.Policies.MaxPolicies)}
	var err error
	if n.server, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("pcf: %w", err)
	}
	if cfg.NRF.URI != "" {
		sc, err := sbi.NewClient(sbi.ClientConfig{})
		if err != nil {
			return nil, fmt.Errorf("pcf: %w", err)
		}
		n.nrfClient = sc
		if n.nrf, err = nrfc.New(sc, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("pcf: %w", err)
		}
	}
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("pcf: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops, n.log, n.store); err != nil {
		return nil, fmt.Errorf("pcf: %w", err)
	}
	n.handler = n.routes()
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBI is the SBI server (its Addr and URL once listening).
func (n *NF) SBI() *sbi.Server { return n.server }

// Handler serves the Npcf_SMPolicyControl API (what Run serves).
func (n *NF) Handler() http.Handler { return n.handler }

// NRF is the NRF client, nil without nrf.uri.
func (n *NF) NRF() *nrfc.Client { return n.nrf }

// Policies is the number of SM policy associations held.
func (n *NF) Policies() int { return n.store.len() }

// Run serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.SBI.Listen)
	if err != nil {
		return fmt.Errorf("pcf: sbi listen %s: %w", n.cfg.SBI.Listen, err)
	}
	n.log.Info("pcf starting", "sbi", ln.Addr().String(), "ops", n.cfg.Ops.Listen, "nrf", n.cfg.NRF.URI,
		"dnns", len(n.cfg.Policies.DNNs), "unknown_dnn", n.cfg.Policies.UnknownDNN)
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.server.Serve(ctx, ln, n.handler) },
	}
	if n.nrf != nil {
		p, err := n.profile(nfsbi.AdvertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Listen, n.cfg.SBI.Scheme(), ln.Addr()))
		if err != nil {
			return errors.Join(fmt.Errorf("pcf: %w", err), ln.Close())
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

// profile is what the PCF registers. With unknown_dnn "reject" it lists
// the DNNs it serves; otherwise it serves any DNN and says none.
func (n *NF) profile(advertise string) (models.Nrf_NFMgmt_NFProfile, error) {
	p, err := nfsbi.NFProfile(n.cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_NFType_PCF, advertise,
		models.Nrf_NFMgmt_ServiceName_NPCF_SMPOLICYCONTROL)
	if err != nil {
		return p, err
	}
	info := &models.Nrf_NFMgmt_PcfInfo{}
	if n.cfg.Policies.UnknownDNN == UnknownDNNReject {
		info.DnnList = n.policies.dnns()
	}
	p.PcfInfo = info
	return p, nil
}

// Ready implements nfkit.Readiness: SBI listening and, with an NRF,
// registered.
func (n *NF) Ready() (bool, string) { return nfsbi.Ready(n.server.Addr(), n.nrf) }

// StartDrain implements nfkit.Drainer: new associations are refused (503,
// so the SMF picks another PCF) and the NRF profile turns SUSPENDED; the
// associations held keep being served until their sessions end.
func (n *NF) StartDrain() { n.gate.StartDrain() }

// Remaining implements nfkit.Drainer: SBI requests in flight.
func (n *NF) Remaining() int { return n.gate.InFlight() }
