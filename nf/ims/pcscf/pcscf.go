// Package pcscf is corenf kind "pcscf": the IMS Proxy-CSCF (TS 24.229
// 5.2). It is the UE's first SIP hop on Gm (UDP and TCP):
//
//   - REGISTER goes to the I-CSCF with a Path naming us (and a token for
//     the UE); the 401 reaches the UE without the ck/ik of the challenge;
//     the 200 is remembered: the UE's IMPUs (P-Associated-URI), its
//     Service-Route, contact and source address;
//   - requests from a registered UE (and only from its registered source
//     address) get P-Asserted-Identity, a P-Charging-Vector icid, the
//     Service-Route preloaded and our Record-Route; requests the S-CSCF
//     sends through our Path go to the UE;
//   - an INVITE's offer and answer are turned into an Rx AAR to the PCRF
//     (dedicated bearer for the media); BYE, CANCEL or a failed INVITE end
//     the Rx session with an STR.
//
// Registrations live in memory. IPsec sec-agree is not done.
package pcscf

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
	imssip "github.com/corebox/corebox/nf/proto/sip"
)

// Kind is the corenf kind name.
const Kind = "pcscf"

// DefaultYAML is the default config, as shipped in the pcscf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// PCSCF is a Proxy-CSCF.
type PCSCF struct {
	cfg     Config
	icscf   sip.Uri
	log     *slog.Logger
	ops     *nfkit.Ops
	metrics *metrics
	reg     *registrar
	dialogs *dialogs
	ep      *imssip.Endpoint
	rx      *diameter.Client // nil: Rx disabled

	mu        sync.Mutex
	listening map[string]string // transport -> bound address
	draining  atomic.Bool
}

// New builds a P-CSCF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*PCSCF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pcscf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &PCSCF{cfg: cfg, log: o.Logger, reg: newRegistrar(cfg.MaxRegistrations), dialogs: newDialogs(),
		listening: map[string]string{}}
	if err := sip.ParseUri(cfg.SIP.ICSCF, &n.icscf); err != nil {
		return nil, fmt.Errorf("pcscf: icscf: %w", err)
	}
	var err error
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("pcscf: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops, n); err != nil {
		return nil, fmt.Errorf("pcscf: %w", err)
	}
	if cfg.Rx.PCRF != "" {
		n.rx, err = diameter.NewClient(cfg.Rx.PeerConfig, cfg.Rx.PCRF, diameter.WithLogger(n.log))
		if err != nil {
			return nil, fmt.Errorf("pcscf: rx: %w", err)
		}
	}
	if n.ep, err = imssip.NewEndpoint(cfg.SIP.Host, "corebox-pcscf", n.log); err != nil {
		return nil, fmt.Errorf("pcscf: %w", err)
	}
	for _, m := range []sip.RequestMethod{sip.REGISTER, sip.INVITE, sip.ACK, sip.BYE, sip.CANCEL, sip.OPTIONS,
		sip.MESSAGE, sip.UPDATE, sip.PRACK, sip.INFO, sip.SUBSCRIBE, sip.NOTIFY, sip.REFER, sip.PUBLISH} {
		n.ep.Handle(m, n.serve)
	}
	return n, nil
}

// Ops is the ops server.
func (n *PCSCF) Ops() *nfkit.Ops { return n.ops }

// SIPAddr is the bound address of transport ("udp", "tcp"), "" before Run
// listens.
func (n *PCSCF) SIPAddr(transport string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.listening[transport]
}

// Registration is the live registration of the UE sending from source
// (ip:port).
func (n *PCSCF) Registration(source string) (*Registration, bool) { return n.reg.bySrc(source) }

// Run serves until ctx ends.
func (n *PCSCF) Run(ctx context.Context) error {
	defer func() {
		if err := n.ep.Close(); err != nil {
			n.log.Warn("sip endpoint close", "err", err)
		}
	}()
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
	}
	if n.rx != nil {
		fns = append(fns, n.rx.Run)
	}
	for _, tp := range n.cfg.SIP.Transports {
		fns = append(fns, func(ctx context.Context) error { return n.listen(ctx, tp) })
	}
	n.log.Info("pcscf starting", "host", n.cfg.SIP.Host, "port", n.cfg.SIP.Port, "icscf", n.cfg.SIP.ICSCF,
		"pcrf", n.cfg.Rx.PCRF, "rx_policy", n.cfg.Rx.Policy)
	return nfkit.RunAll(ctx, fns...)
}

func (n *PCSCF) listen(ctx context.Context, tp string) error {
	addr, done, err := n.ep.Listen(ctx, tp, n.cfg.SIP.Port)
	if err != nil {
		return fmt.Errorf("pcscf: %w", err)
	}
	n.mu.Lock()
	n.listening[tp] = addr
	n.mu.Unlock()
	n.ops.SetInfo("sip_"+tp, addr)
	select {
	case err := <-done:
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("pcscf: sip %s: %w", tp, err)
	case <-ctx.Done():
		return nil
	}
}

// Ready implements nfkit.Readiness: every transport listens, and the PCRF
// is connected when Rx is required.
func (n *PCSCF) Ready() (bool, string) {
	for _, tp := range n.cfg.SIP.Transports {
		if n.SIPAddr(tp) == "" {
			return false, "sip " + tp + " not listening yet"
		}
	}
	if n.rx != nil && n.cfg.Rx.Policy == RxRequired && n.rx.Peer() == nil {
		return false, "pcrf not connected"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new REGISTERs and new INVITEs get
// 503, so UEs move to another P-CSCF; dialogs held go on.
func (n *PCSCF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: the dialogs held.
func (n *PCSCF) Remaining() int { return n.dialogs.count() }
