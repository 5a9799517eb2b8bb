// Package udm is corenf kind "udm": the 5GC Unified Data Management
// (TS 29.503). It serves
//
//   - Nudm-UEAU generate-auth-data: SUCI de-concealment (null scheme,
//     ECIES profiles A and B with configured home network keys), SQN
//     management and resynchronisation, 5G HE AVs built with nf/aka;
//   - Nudm-SDM am-data, smf-select-data and sm-data, read from the UDR;
//   - Nudm-UECM AMF registration for 3GPP access, stored in the UDR.
//
// The UDM keeps no subscriber state: everything lives in the UDR, found
// at udr.uri or through NRF discovery. SQNs move by conditional patches on
// the UDR (see package udr), so any number of UDMs may serve one
// subscriber.
package udm

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "udm"

// DefaultYAML is the default config, as shipped in the udm image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the UDM's configuration.
type Config struct {
	Ops          nfkit.OpsConfig  `yaml:"ops"`
	SBI          sbi.ServerConfig `yaml:"sbi"`
	NRF          nfsbi.NRFConfig  `yaml:"nrf"`
	AdvertiseURI string           `yaml:"advertise_uri"`
	Client       sbi.ClientConfig `yaml:"client"`
	UDR          PeerConfig       `yaml:"udr"`
	HomePLMN     PLMN             `yaml:"home_plmn"`
	SUCI         SUCIConfig       `yaml:"suci"`
}

// PeerConfig names a peer NF; an empty URI means NRF discovery.
type PeerConfig struct {
	URI string `yaml:"uri"`
}

// PLMN is an MCC and MNC.
type PLMN struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
}

// ID is MCC || MNC, the servingPlmnId of Nudr paths.
func (p PLMN) ID() string { return p.MCC + p.MNC }

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("udm/default.yaml", DefaultYAML) }

// Validate checks every section, including the SUCI keys.
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
	case c.UDR.URI != "":
		add(nfsbi.CheckURI("udr.uri", c.UDR.URI))
	case c.NRF.URI == "":
		add(errors.New("udr.uri: set it, or nrf.uri to discover the UDR"))
	}
	if !plmnOK(c.HomePLMN.MCC, c.HomePLMN.MNC) {
		add(fmt.Errorf("home_plmn %s/%s: want a 3-digit mcc and a 2- or 3-digit mnc", c.HomePLMN.MCC, c.HomePLMN.MNC))
	}
	if _, err := c.SUCI.keys(); err != nil {
		add(err)
	}
	return errors.Join(errs...)
}

// NF is a UDM.
type NF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	sbiSrv  *sbi.Server
	metrics *metrics
	nrf     *nrfc.Client
	gate    *nfsbi.Gate
	udr     *udr.Client
	suci    *suciKeys
	locks   stripes
	client  *sbi.Client // to peers and the NRF; idle connections closed when Run ends
}

// New builds a UDM from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("udm: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, gate: nfsbi.NewGate(o.Logger)}
	var err error
	if n.suci, err = cfg.SUCI.keys(); err != nil {
		return nil, fmt.Errorf("udm: %w", err)
	}
	if n.sbiSrv, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("udm: %w", err)
	}
	sc, err := sbi.NewClient(cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("udm: %w", err)
	}
	n.client = sc
	if cfg.NRF.URI != "" {
		if n.nrf, err = nrfc.New(sc, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("udm: %w", err)
		}
	}
	n.udr = udr.NewClient(sc, nfsbi.PeerLocator(cfg.UDR.URI, n.nrf, models.Nrf_NFMgmt_NFType_UDR,
		models.Nrf_NFMgmt_NFType_UDM, cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_ServiceName_NUDR_DR))
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("udm: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops, n.log); err != nil {
		return nil, fmt.Errorf("udm: %w", err)
	}
	n.opsRoutes()
	return n, nil
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
		return fmt.Errorf("udm: sbi listen %s: %w", n.cfg.SBI.Listen, err)
	}
	n.log.Info("udm starting", "udr", n.cfg.UDR.URI, "nrf", n.cfg.NRF.URI, "suci_keys", len(n.suci.byID))
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.sbiSrv.Serve(ctx, ln, n.sbiHandler()) },
	}
	if n.nrf != nil {
		adv := nfsbi.AdvertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Listen, n.cfg.SBI.Scheme(), ln.Addr())
		profile, err := nfsbi.NFProfile(n.cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_NFType_UDM, adv,
			models.Nrf_NFMgmt_ServiceName_NUDM_UEAU, models.Nrf_NFMgmt_ServiceName_NUDM_SDM,
			models.Nrf_NFMgmt_ServiceName_NUDM_UECM)
		if err != nil {
			return errors.Join(fmt.Errorf("udm: %w", err), ln.Close())
		}
		fns = append(fns, func(ctx context.Context) error {
			return nfsbi.KeepRegistered(ctx, n.nrf, profile, n.gate.Drained(), n.log)
		})
	}
	defer n.client.CloseIdleConnections()
	return nfkit.RunAll(ctx, fns...)
}

// Ready implements nfkit.Readiness: SBI listening and, with an NRF,
// registered.
func (n *NF) Ready() (bool, string) { return nfsbi.Ready(n.sbiSrv.Addr(), n.nrf) }

// StartDrain implements nfkit.Drainer: new SBI requests get 503 and the
// NRF profile turns SUSPENDED.
func (n *NF) StartDrain() { n.gate.StartDrain() }

// Remaining implements nfkit.Drainer: SBI requests in flight.
func (n *NF) Remaining() int { return n.gate.InFlight() }

func plmnOK(mcc, mnc string) bool {
	digits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return len(mcc) == 3 && digits(mcc) && (len(mnc) == 2 || len(mnc) == 3) && digits(mnc)
}
