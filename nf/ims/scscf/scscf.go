// Package scscf is corenf kind "scscf": the IMS Serving-CSCF (TS 24.229
// 5.4) on SIP over UDP and TCP, with a Cx client to the HSS:
//
//   - registrar: a REGISTER without credentials gets a Digest-AKAv1-MD5
//     challenge from an HSS vector (MAR), ck/ik included for the P-CSCF;
//     the answer is checked against XRES, then SAR assigns us and brings
//     the user's public identities (User-Data); 200 OK carries
//     Service-Route, P-Associated-URI and the bindings. Resync (auts),
//     re-registration, de-registration (Expires: 0) and binding expiry
//     (SAR TIMEOUT_DEREGISTRATION) are handled;
//   - reg event server (RFC 3680): SUBSCRIBE to reg, NOTIFY with reginfo
//     on every change;
//   - routing: originating requests (through our Service-Route) from
//     registered users, terminating requests to the contacts of our
//     registered users through their Path; 480 for users registered
//     nowhere, 404 for users the HSS does not know (LIR). INVITE is relayed
//     statefully (sipproxy), dialogs stay on us through Record-Route.
//
// Registrations live in memory: a restarted S-CSCF knows none, and its
// users register again when their registrations run out.
package scscf

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
const Kind = "scscf"

// DefaultYAML is the default config, as shipped in the scscf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// SCSCF is a Serving-CSCF.
type SCSCF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	metrics *metrics
	hss     *diameter.Client
	ep      *ims.Endpoint
	proxy   *sipproxy.Proxy
	store   *store

	// Set by Run before SIP is served.
	runCtx     context.Context
	port       int
	serverName string
	listening  atomic.Bool
	addrs      sync.Map // transport -> bound address
	wg         sync.WaitGroup
	draining   atomic.Bool
}

// New builds an S-CSCF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*SCSCF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("scscf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &SCSCF{cfg: cfg, log: o.Logger, store: newStore()}
	var err error
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("scscf: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops, n); err != nil {
		return nil, fmt.Errorf("scscf: %w", err)
	}
	n.hss, err = diameter.NewClient(cfg.Cx.PeerConfig, cfg.Cx.HSS, diameter.WithLogger(n.log),
		diameter.WithObserver(n.metrics.diameter))
	if err != nil {
		return nil, fmt.Errorf("scscf: %w", err)
	}
	if n.ep, err = ims.NewEndpoint(cfg.SIP.Address, "corebox-scscf", n.log); err != nil {
		return nil, fmt.Errorf("scscf: %w", err)
	}
	n.proxy = sipproxy.New(n.ep.Client, n.log, n.isSelf, n.recordRoute)
	n.ep.Handle(sip.REGISTER, n.serve(n.onRegister))
	n.ep.Handle(sip.SUBSCRIBE, n.serve(n.onSubscribe))
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.BYE, sip.MESSAGE, sip.UPDATE, sip.INFO,
		sip.PRACK, sip.NOTIFY, sip.OPTIONS, sip.REFER, sip.PUBLISH} {
		n.ep.Handle(m, n.serve(n.onRequest))
	}
	n.ep.Handle(sip.ACK, n.serve(n.onACK))
	return n, nil
}

// Ops is the ops server.
func (n *SCSCF) Ops() *nfkit.Ops { return n.ops }

// SIPAddr is the bound address of transport ("udp", "tcp"); "" before
// Run listens.
func (n *SCSCF) SIPAddr(transport string) string {
	if a, ok := n.addrs.Load(transport); ok {
		return a.(string)
	}
	return ""
}

// ServerName is our SIP URI on Cx; "" before Run listens.
func (n *SCSCF) ServerName() string {
	if !n.listening.Load() {
		return ""
	}
	return n.serverName
}

// Registered reports whether impu has a live binding here.
func (n *SCSCF) Registered(impu string) bool {
	return len(n.contactsOf(canonicalURI(impu))) > 0
}

// Run serves until ctx ends.
func (n *SCSCF) Run(ctx context.Context) error {
	defer n.wg.Wait()
	defer n.proxy.Wait()
	defer n.closeEndpoint()
	n.runCtx = ctx
	port := n.cfg.SIP.Port
	var dones []<-chan error
	for _, tp := range n.cfg.SIP.Transports {
		addr, done, err := n.ep.Listen(ctx, tp, port)
		if err != nil {
			return fmt.Errorf("scscf: %w", err)
		}
		dones = append(dones, done)
		n.addrs.Store(tp, addr)
		n.ops.SetInfo("sip_"+tp, addr)
		if port == 0 { // the other transports take the same port
			if port, err = portOf(addr); err != nil {
				return fmt.Errorf("scscf: %w", err)
			}
		}
	}
	n.port = port
	n.serverName = n.cfg.SIP.ServerName
	if n.serverName == "" {
		n.serverName = "sip:" + net.JoinHostPort(n.cfg.SIP.Address, strconv.Itoa(port))
	}
	n.ops.SetInfo("server_name", n.serverName)
	n.listening.Store(true)
	n.log.Info("scscf starting", "server_name", n.serverName, "hss", n.cfg.Cx.HSS)
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.hss.Run,
		n.expiryLoop,
		func(ctx context.Context) error { return waitListeners(ctx, dones) },
	)
}

func (n *SCSCF) closeEndpoint() {
	if err := n.ep.Close(); err != nil {
		n.log.Warn("sip endpoint close", "err", err)
	}
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
	var errs []error
	for range dones {
		if err := <-errc; err != nil && ctx.Err() == nil {
			errs = append(errs, fmt.Errorf("sip listener: %w", err))
		}
		if len(errs) > 0 {
			break
		}
	}
	return errors.Join(errs...)
}

func portOf(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("bound address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("bound address %q: %w", addr, err)
	}
	return port, nil
}

// Ready implements nfkit.Readiness: SIP is served and the HSS connected.
func (n *SCSCF) Ready() (bool, string) {
	switch {
	case !n.listening.Load():
		return false, "sip not listening yet"
	case n.hss.Peer() == nil:
		return false, "hss not connected"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new registrations get 503 (the
// I-CSCF picks another S-CSCF); registered users keep being served
// until their registrations end.
func (n *SCSCF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: registered users and relayed
// transactions.
func (n *SCSCF) Remaining() int {
	users, _ := n.store.counts()
	return users + n.proxy.InFlight()
}

// isSelf tells whether u names us (a Route or Record-Route of ours).
func (n *SCSCF) isSelf(u sip.Uri) bool {
	if u.Host != n.cfg.SIP.Address {
		return false
	}
	port := u.Port
	if port == 0 {
		port = 5060
	}
	return port == n.port
}

// serve wraps a handler: refuse before Run is listening, count requests.
func (n *SCSCF) serve(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		n.metrics.request(string(req.Method))
		if !n.listening.Load() {
			n.reply(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		h(req, tx)
	}
}

// reply answers req, logging a failure to send.
func (n *SCSCF) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	if err := sipproxy.Reply(tx, req, code, reason, hdrs...); err != nil {
		n.log.Debug("reply", "err", err)
	}
}

// bad answers 400 to a request whose headers we cannot use.
func (n *SCSCF) bad(tx sip.ServerTransaction, req *sip.Request, err error) {
	n.metrics.malformed.Inc()
	n.log.Info("malformed request", "method", req.Method, "source", req.Source(), "err", err)
	n.reply(tx, req, sip.StatusBadRequest, "Bad Request")
}

// recordRoute is our Record-Route URI for transport.
func (n *SCSCF) recordRoute(transport string) sip.Uri {
	return sip.Uri{Scheme: "sip", Host: n.cfg.SIP.Address, Port: n.port,
		UriParams: sip.HeaderParams{{K: "transport", V: strings.ToLower(transport)}, {K: "lr", V: ""}}}
}
