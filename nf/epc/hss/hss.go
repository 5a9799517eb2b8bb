// Package hss is corenf kind "hss": the EPC Home Subscriber Server on S6a
// (TS 29.272), and the IMS one on Cx (TS 29.228/29.229), Diameter over
// TCP. It serves
//
//   - Authentication-Information (AIR/AIA): EPS vectors built with nf/aka
//     (Milenage, KASME), SQN claimed on the UDR by conditional update, and
//     resynchronisation from AUTS;
//   - Update-Location (ULR/ULA): the subscription (MSISDN, UE-AMBR, APN
//     configuration profile) mapped from the UDR's 5G data; the serving
//     MME is recorded and a previous MME gets Cancel-Location (CLR);
//   - Purge-UE (PUR/PUA);
//   - on Cx, User-Authorization, Multimedia-Auth (IMS AKA vectors from the
//     same SQN sequence as EPS), Server-Assignment and Location-Info, for
//     the IMS identities derived from the IMSI (TS 23.003 13.3).
//
// The HSS keeps no subscriber store: K, OPc, SQN and the subscription live
// in the UDR (nf/5gc/udr), read over Nudr, so one `corebox subscriber add`
// serves EPC and 5GC alike. Only the serving MME of each IMSI is kept in
// memory (the UDR has no EPC registration data), and so is the S-CSCF
// assigned on Cx.
package hss

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "hss"

// DefaultYAML is the default config, as shipped in the hss image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the HSS's configuration.
type Config struct {
	Ops      nfkit.OpsConfig  `yaml:"ops"`
	Diameter DiameterConfig   `yaml:"diameter"`
	NRF      nfsbi.NRFConfig  `yaml:"nrf"`
	Client   sbi.ClientConfig `yaml:"client"`
	UDR      PeerConfig       `yaml:"udr"`
	HomePLMN PLMN             `yaml:"home_plmn"`
	// MaxVectors caps Number-Of-Requested-Vectors (S6a) and
	// SIP-Number-Auth-Items (Cx).
	MaxVectors uint32 `yaml:"max_vectors"`
	// Cx is the IMS side, served when diameter.applications holds Cx.
	Cx CxConfig `yaml:"cx"`
}

// DiameterConfig is the S6a server: where it listens and who it is.
type DiameterConfig struct {
	Listen              string `yaml:"listen"`
	diameter.PeerConfig `yaml:",inline"`
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
func DefaultConfig() Config { return nfkit.MustDecode[Config]("hss/default.yaml", DefaultYAML) }

// Validate checks every section.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Ops.Validate())
	add(c.Client.Validate())
	if _, _, err := net.SplitHostPort(c.Diameter.Listen); err != nil {
		add(fmt.Errorf("diameter.listen %q: %w", c.Diameter.Listen, err))
	}
	if err := c.Diameter.PeerConfig.WithDefaults().Validate(); err != nil {
		add(fmt.Errorf("diameter: %w", err))
	}
	if !slices.Contains(c.Diameter.Applications, diameter.AppS6a) {
		add(fmt.Errorf("diameter.applications %v: the HSS serves S6a (%d)", c.Diameter.Applications, diameter.AppS6a))
	}
	if c.NRF.URI != "" {
		add(nfsbi.CheckURI("nrf.uri", c.NRF.URI))
	}
	switch {
	case c.UDR.URI != "":
		add(nfsbi.CheckURI("udr.uri", c.UDR.URI))
	case c.NRF.URI == "":
		add(errors.New("udr.uri: set it, or nrf.uri to discover the UDR"))
	}
	if _, err := diameter.NewPLMNID(c.HomePLMN.MCC, c.HomePLMN.MNC); err != nil {
		add(fmt.Errorf("home_plmn: %w", err))
	}
	if c.MaxVectors < 1 || c.MaxVectors > 32 {
		add(fmt.Errorf("max_vectors %d: want 1 to 32", c.MaxVectors))
	}
	add(c.Cx.validate())
	return errors.Join(errs...)
}

// HSS is a Home Subscriber Server.
type HSS struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	dia     *diameter.Server
	metrics *metrics
	client  *sbi.Client // to the UDR and the NRF; idle connections closed when Run ends
	udr     *udr.Client
	locks   stripes
	mmes    registry
	cx      *cxService // IMS registrations (Cx)

	cancels  sync.WaitGroup // CLRs in flight
	clrCount atomic.Int64
}

// New builds an HSS from cfg.
func New(cfg Config, opts ...nfkit.Option) (*HSS, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hss: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	h := &HSS{cfg: cfg, log: o.Logger, mmes: registry{byIMSI: map[string]Registration{}}}
	sc, err := sbi.NewClient(cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("hss: %w", err)
	}
	h.client = sc
	var nrf *nrfc.Client
	if cfg.NRF.URI != "" {
		if nrf, err = nrfc.New(sc, cfg.NRF.URI, nrfc.WithLogger(h.log)); err != nil {
			return nil, fmt.Errorf("hss: %w", err)
		}
	}
	h.udr = udr.NewClient(sc, nfsbi.PeerLocator(cfg.UDR.URI, nrf, models.Nrf_NFMgmt_NFType_UDR,
		models.Nrf_NFMgmt_NFType_HSS, cfg.NRF.InstanceIDOrDefault(), models.Nrf_NFMgmt_ServiceName_NUDR_DR))
	if h.ops, err = nfkit.NewOps(Kind, h.log, h, h); err != nil {
		return nil, fmt.Errorf("hss: %w", err)
	}
	if h.metrics, err = newMetrics(h.ops, h); err != nil {
		return nil, fmt.Errorf("hss: %w", err)
	}
	h.dia, err = diameter.NewServer(cfg.Diameter.PeerConfig, diameter.WithLogger(h.log),
		diameter.WithObserver(h.metrics.diameter))
	if err != nil {
		return nil, fmt.Errorf("hss: %w", err)
	}
	h.dia.Handle(diameter.AppS6a, diameter.CmdAuthenticationInfo, h.serveAIR)
	h.dia.Handle(diameter.AppS6a, diameter.CmdUpdateLocation, h.serveULR)
	h.dia.Handle(diameter.AppS6a, diameter.CmdPurgeUE, h.servePUR)
	if err := h.registerCx(); err != nil {
		return nil, fmt.Errorf("hss: %w", err)
	}
	h.opsRoutes()
	return h, nil
}

// Ops is the ops server.
func (h *HSS) Ops() *nfkit.Ops { return h.ops }

// DiameterAddr is the S6a server's bound address, nil before Run listens.
func (h *HSS) DiameterAddr() net.Addr { return h.dia.Addr() }

// Run serves until ctx ends.
func (h *HSS) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", h.cfg.Diameter.Listen)
	if err != nil {
		return fmt.Errorf("hss: s6a listen %s: %w", h.cfg.Diameter.Listen, err)
	}
	h.ops.SetInfo("s6a", ln.Addr().String())
	h.ops.SetInfo("origin_host", h.cfg.Diameter.OriginHost)
	if dom, err := diameter.IMSDomain(h.cfg.HomePLMN.MCC, h.cfg.HomePLMN.MNC); err == nil {
		h.ops.SetInfo("ims_domain", dom) // where Cx derives IMPI/IMPU; corebox subscriber shows them
	}
	h.log.Info("hss starting", "s6a", ln.Addr().String(), "udr", h.cfg.UDR.URI, "nrf", h.cfg.NRF.URI)
	defer h.client.CloseIdleConnections()
	err = nfkit.RunAll(ctx,
		func(ctx context.Context) error { return h.ops.Run(ctx, h.cfg.Ops.Listen) },
		func(ctx context.Context) error { return h.dia.Serve(ctx, ln) },
	)
	// Every handler has returned with the Diameter server: no CLR starts now.
	h.cancels.Wait()
	return err
}

// Ready implements nfkit.Readiness: the S6a server listens.
func (h *HSS) Ready() (bool, string) {
	if h.dia.Addr() == nil {
		return false, "s6a not listening yet"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new S6a requests are answered
// DIAMETER_TOO_BUSY, so MMEs turn to another HSS.
func (h *HSS) StartDrain() { h.dia.StartDrain() }

// Remaining implements nfkit.Drainer: S6a requests being handled and CLRs
// being sent.
func (h *HSS) Remaining() int { return h.dia.InFlight() + int(h.clrCount.Load()) }
