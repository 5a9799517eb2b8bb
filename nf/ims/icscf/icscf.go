// Package icscf is corenf kind "icscf": the IMS Interrogating-CSCF (TS
// 24.229 5.3), SIP over UDP and TCP with a Cx client to the HSS. It
// keeps no state of its own:
//
//   - REGISTER: UAR names the S-CSCF serving the user (or gives
//     capabilities: one of scscfs is chosen) and the REGISTER is
//     forwarded there; users the HSS refuses get 403;
//   - other initial requests: LIR names the S-CSCF of the callee and the
//     request goes there; 404 for an unknown user, 480 for one registered
//     nowhere.
//
// It does not Record-Route: dialogs run between the S-CSCF and the UEs.
package icscf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
	ims "github.com/corebox/corebox/nf/proto/sip"
	"github.com/corebox/corebox/nf/proto/sip/sipproxy"
)

// Kind is the corenf kind name.
const Kind = "icscf"

// DefaultYAML is the default config, as shipped in the icscf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// ICSCF is an Interrogating-CSCF.
type ICSCF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	metrics *metrics
	hss     *diameter.Client
	ep      *ims.Endpoint
	proxy   *sipproxy.Proxy

	runCtx    context.Context
	port      int
	listening atomic.Bool
	addrs     sync.Map
	draining  atomic.Bool
}

// New builds an I-CSCF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*ICSCF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("icscf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &ICSCF{cfg: cfg, log: o.Logger}
	var err error
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("icscf: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops); err != nil {
		return nil, fmt.Errorf("icscf: %w", err)
	}
	n.hss, err = diameter.NewClient(cfg.Cx.PeerConfig, cfg.Cx.HSS, diameter.WithLogger(n.log),
		diameter.WithObserver(n.metrics.diameter))
	if err != nil {
		return nil, fmt.Errorf("icscf: %w", err)
	}
	if n.ep, err = ims.NewEndpoint(cfg.SIP.Address, "corebox-icscf", n.log); err != nil {
		return nil, fmt.Errorf("icscf: %w", err)
	}
	n.proxy = sipproxy.New(n.ep.Client, n.log, n.isSelf, n.recordRoute)
	n.ep.Handle(sip.REGISTER, n.serve(n.onRegister))
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.MESSAGE, sip.SUBSCRIBE, sip.OPTIONS, sip.NOTIFY,
		sip.BYE, sip.UPDATE, sip.INFO, sip.PRACK, sip.REFER, sip.PUBLISH} {
		n.ep.Handle(m, n.serve(n.onRequest))
	}
	n.ep.Handle(sip.ACK, n.serve(n.onACK))
	return n, nil
}

// Ops is the ops server.
func (n *ICSCF) Ops() *nfkit.Ops { return n.ops }

// SIPAddr is the bound address of transport ("udp", "tcp"); "" before
// Run listens.
func (n *ICSCF) SIPAddr(transport string) string {
	if a, ok := n.addrs.Load(transport); ok {
		return a.(string)
	}
	return ""
}

// Run serves until ctx ends.
func (n *ICSCF) Run(ctx context.Context) error {
	defer n.proxy.Wait()
	defer func() {
		if err := n.ep.Close(); err != nil {
			n.log.Warn("sip endpoint close", "err", err)
		}
	}()
	n.runCtx = ctx
	port := n.cfg.SIP.Port
	var dones []<-chan error
	for _, tp := range n.cfg.SIP.Transports {
		addr, done, err := n.ep.Listen(ctx, tp, port)
		if err != nil {
			return fmt.Errorf("icscf: %w", err)
		}
		dones = append(dones, done)
		n.addrs.Store(tp, addr)
		n.ops.SetInfo("sip_"+tp, addr)
		if port == 0 {
			_, p, err := net.SplitHostPort(addr)
			if err == nil {
				port, err = strconv.Atoi(p)
			}
			if err != nil {
				return fmt.Errorf("icscf: bound address %q: %w", addr, err)
			}
		}
	}
	n.port = port
	n.listening.Store(true)
	n.log.Info("icscf starting", "hss", n.cfg.Cx.HSS, "scscfs", len(n.cfg.SCSCFs))
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.hss.Run,
		func(ctx context.Context) error { return waitListeners(ctx, dones) },
	)
}

// waitListeners returns when ctx ends or a listener fails.
func waitListeners(ctx context.Context, dones []<-chan error) error {
	errc := make(chan error, len(dones))
	for _, d := range dones {
		go func() {
			select {
			case err := <-d:
				if errors.Is(err, net.ErrClosed) {
					err = nil // closed on the way out
				}
				errc <- err
			case <-ctx.Done():
				errc <- nil
			}
		}()
	}
	for range dones {
		if err := <-errc; err != nil && ctx.Err() == nil {
			return fmt.Errorf("sip listener: %w", err)
		}
	}
	return nil
}

// Ready implements nfkit.Readiness: SIP is served and the HSS connected.
func (n *ICSCF) Ready() (bool, string) {
	switch {
	case !n.listening.Load():
		return false, "sip not listening yet"
	case n.hss.Peer() == nil:
		return false, "hss not connected"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new requests get 503 (a P-CSCF
// or peer network retries another I-CSCF); those relayed finish.
func (n *ICSCF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: transactions being relayed.
func (n *ICSCF) Remaining() int { return n.proxy.InFlight() }

func (n *ICSCF) isSelf(u sip.Uri) bool {
	port := u.Port
	if port == 0 {
		port = 5060
	}
	return u.Host == n.cfg.SIP.Address && port == n.port
}

// serve wraps a handler: refuse before Run listens or while draining.
func (n *ICSCF) serve(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		n.metrics.request(string(req.Method))
		if !n.listening.Load() || (n.draining.Load() && !req.IsAck()) {
			n.reply(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		h(req, tx)
	}
}

func (n *ICSCF) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	if err := sipproxy.Reply(tx, req, code, reason); err != nil {
		n.log.Debug("reply", "err", err)
	}
}

// errMalformed marks requests whose headers we cannot act on (400).
var errMalformed = errors.New("malformed request")

func (n *ICSCF) bad(tx sip.ServerTransaction, req *sip.Request, err error) {
	n.metrics.malformed.Inc()
	n.log.Info("malformed request", "method", req.Method, "source", req.Source(), "err", err)
	n.reply(tx, req, sip.StatusBadRequest, "Bad Request")
}

// recordRoute is our Record-Route URI for transport.
func (n *ICSCF) recordRoute(transport string) sip.Uri {
	return sip.Uri{Scheme: "sip", Host: n.cfg.SIP.Address, Port: n.port,
		UriParams: sip.HeaderParams{{K: "transport", V: strings.ToLower(transport)}, {K: "lr", V: ""}}}
}
