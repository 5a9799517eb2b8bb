package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// sipgo refuses UDP requests over 1300 bytes (RFC 3261 18.1.1 wants TCP
// for them). A terminating INVITE that crossed P-, S-, I-, S- and P-CSCF
// outgrows that with its Via, Record-Route and P-headers, and the UE at
// the end may offer only UDP. Like Kamailio (udp_mtu 0) we send it over
// UDP and let IP fragment it, up to what sipgo reads in one datagram.
func init() { sip.UDPMTUSize = int(sip.TransportBufferReadSize) }

// Endpoint is a sipgo UA with a server and a client, listening on one
// address. sipgo serves UDP and TCP alike; a NF calls Listen once per
// transport it offers on its interface.
type Endpoint struct {
	UA     *sipgo.UserAgent
	Server *sipgo.Server
	Client *sipgo.Client
	host   string
	log    *slog.Logger
}

// NewEndpoint builds the UA for host (the interface address the NF binds;
// it is also the hostname sipgo puts in Via/From/Contact).
func NewEndpoint(host, name string, log *slog.Logger) (*Endpoint, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname(host))
	if err != nil {
		return nil, fmt.Errorf("sip endpoint %s: ua: %w", host, err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sip endpoint %s: server: %w", host, err), ua.Close())
	}
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientLogger(log))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sip endpoint %s: client: %w", host, err), ua.Close())
	}
	return &Endpoint{UA: ua, Server: srv, Client: cl, host: host, log: log}, nil
}

// Listen starts serving network ("udp" or "tcp") on host:port in the
// background and returns the bound address once the socket is open (port 0
// picks a free one). Serving stops when ctx ends; done receives its error.
func (e *Endpoint) Listen(ctx context.Context, network string, port int) (addr string, done <-chan error, err error) {
	switch network {
	case "udp", "tcp":
	default:
		return "", nil, fmt.Errorf("sip listen: transport %q not supported", network)
	}
	ready := make(chan string, 1)
	lctx := context.WithValue(ctx, sipgo.ListenReadyCtxKey, sipgo.ListenReadyFuncCtxValue(func(_ string, a string) { ready <- a }))
	errc := make(chan error, 1)
	bind := net.JoinHostPort(e.host, fmt.Sprint(port))
	go func() { errc <- e.Server.ListenAndServe(lctx, network, bind) }()
	select {
	case a := <-ready:
		e.log.Info("sip listening", "transport", network, "addr", a)
		return a, errc, nil
	case err := <-errc:
		return "", nil, fmt.Errorf("sip listen %s %s: %w", network, bind, err)
	case <-ctx.Done():
		return "", nil, fmt.Errorf("sip listen %s %s: %w", network, bind, ctx.Err())
	}
}

// Close stops the transaction and transport layers.
func (e *Endpoint) Close() error { return e.UA.Close() }

// Handle registers a request handler for method.
func (e *Endpoint) Handle(method sip.RequestMethod, h sipgo.RequestHandler) {
	e.Server.OnRequest(method, h)
}
