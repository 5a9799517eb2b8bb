// Package dn is corenf kind "dn": a data-network host for labs. It answers
// UDP echo and TCP echo on configured ports, counts what it sees in
// Prometheus metrics, and serves the nfkit ops endpoints (ready once every
// echo socket is bound).
//
// Config (YAML, defaults in default.yaml, documented in README.md):
//
//	ops:
//	  listen: ":9090"        # ops server host:port
//	listen: ""               # IP to bind echo sockets to; "" = all
//	tcp_ports: [7]           # TCP echo ports
//	udp_ports: [7]           # UDP echo ports
//	tcp_idle_timeout: 60s    # idle TCP connections are closed
//	max_tcp_conns: 1024      # connections beyond this are refused
//	routes: []               # [{to: 10.45.0.0/16, via: 10.0.6.2}]: UE pools via UPFs
//
// Draining closes the TCP listeners (no new connections) and reports the
// open connections as remaining; UDP echo holds nothing and keeps answering.
package dn

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Kind is the corenf kind name.
const Kind = "dn"

// DefaultYAML is the default config, as shipped in the dn image.
//
//go:embed default.yaml
var DefaultYAML []byte

// Config is the dn's configuration.
type Config struct {
	Ops            nfkit.OpsConfig `yaml:"ops"`
	Listen         string          `yaml:"listen"`
	TCPPorts       []int           `yaml:"tcp_ports"`
	UDPPorts       []int           `yaml:"udp_ports"`
	TCPIdleTimeout time.Duration   `yaml:"tcp_idle_timeout"`
	MaxTCPConns    int             `yaml:"max_tcp_conns"`
	Routes         []Route         `yaml:"routes"`
}

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("dn/default.yaml", DefaultYAML) }

// Validate checks addresses, ports and limits.
func (c Config) Validate() error {
	var errs []error
	if err := c.Ops.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Listen != "" {
		if _, err := netip.ParseAddr(c.Listen); err != nil {
			errs = append(errs, fmt.Errorf("listen %q: want an IP address or \"\": %w", c.Listen, err))
		}
	}
	errs = append(errs, checkPorts("tcp_ports", c.TCPPorts), checkPorts("udp_ports", c.UDPPorts))
	if c.TCPIdleTimeout <= 0 {
		errs = append(errs, fmt.Errorf("tcp_idle_timeout %v must be positive", c.TCPIdleTimeout))
	}
	if c.MaxTCPConns <= 0 {
		errs = append(errs, fmt.Errorf("max_tcp_conns %d must be positive", c.MaxTCPConns))
	}
	for _, r := range c.Routes {
		if _, _, err := r.parse(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkPorts allows 0 (any free port, for tests) more than once.
func checkPorts(key string, ports []int) error {
	seen := map[int]bool{}
	for _, p := range ports {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%s: port %d out of range 0..65535", key, p)
		}
		if p != 0 && seen[p] {
			return fmt.Errorf("%s: port %d listed twice", key, p)
		}
		seen[p] = true
	}
	return nil
}

// NF is a running data-network host.
type NF struct {
	cfg   Config
	log   *slog.Logger
	ops   *nfkit.Ops
	m     *metrics
	conns *connSet

	bound    atomic.Bool
	mu       sync.Mutex // guards the bound sockets below
	tcpLns   []net.Listener
	udpConns []*net.UDPConn
}

// New builds a dn from cfg; Run binds its sockets.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dn: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, conns: newConnSet(cfg.MaxTCPConns)}
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("dn: %w", err)
	}
	n.ops = ops
	if n.m, err = newMetrics(ops.Registry(), n.conns); err != nil {
		return nil, fmt.Errorf("dn: %w", err)
	}
	return n, nil
}

// Ops is the dn's ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Ready implements nfkit.Readiness: ready once every echo socket is bound.
func (n *NF) Ready() (bool, string) {
	if !n.bound.Load() {
		return false, "echo sockets not bound yet"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: stop accepting TCP connections.
func (n *NF) StartDrain() {
	n.mu.Lock()
	lns := n.tcpLns
	n.mu.Unlock()
	n.conns.closeAdmission()
	for _, ln := range lns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			n.log.Warn("close tcp listener", "addr", ln.Addr().String(), "err", err)
		}
	}
}

// Remaining implements nfkit.Drainer: open TCP connections.
func (n *NF) Remaining() int { return n.conns.len() }

// TCPAddrs and UDPAddrs are the bound echo addresses (after Ready).
func (n *NF) TCPAddrs() []net.Addr { return addrsOf(&n.mu, n.tcpLns, net.Listener.Addr) }

// UDPAddrs: see TCPAddrs.
func (n *NF) UDPAddrs() []net.Addr { return addrsOf(&n.mu, n.udpConns, (*net.UDPConn).LocalAddr) }

func addrsOf[S any](mu *sync.Mutex, socks []S, addr func(S) net.Addr) []net.Addr {
	mu.Lock()
	defer mu.Unlock()
	out := make([]net.Addr, len(socks))
	for i, s := range socks {
		out[i] = addr(s)
	}
	return out
}

// Run binds the echo sockets and serves them and the ops server until ctx
// ends, then closes every socket and connection and waits for its goroutines.
func (n *NF) Run(ctx context.Context) error {
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.serveEcho,
	)
}

func (n *NF) serveEcho(ctx context.Context) error {
	if err := installRoutes(n.cfg.Routes); err != nil {
		return err
	}
	if err := n.bind(ctx); err != nil {
		n.closeAll()
		return err
	}
	n.bound.Store(true)
	n.log.Info("echo ready", "tcp", n.TCPAddrs(), "udp", n.UDPAddrs())
	var wg sync.WaitGroup
	n.mu.Lock()
	for _, ln := range n.tcpLns {
		wg.Go(func() { n.acceptLoop(ctx, ln, &wg) })
	}
	for _, c := range n.udpConns {
		wg.Go(func() { n.udpLoop(ctx, c) })
	}
	n.mu.Unlock()
	<-ctx.Done()
	n.closeAll()
	wg.Wait()
	return nil
}

func (n *NF) bind(ctx context.Context) error {
	var lc net.ListenConfig
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.cfg.TCPPorts {
		addr := net.JoinHostPort(n.cfg.Listen, strconv.Itoa(p))
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("dn: tcp echo: %w", err)
		}
		n.tcpLns = append(n.tcpLns, ln)
	}
	for _, p := range n.cfg.UDPPorts {
		addr := net.JoinHostPort(n.cfg.Listen, strconv.Itoa(p))
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return fmt.Errorf("dn: udp echo: %w", err)
		}
		n.udpConns = append(n.udpConns, pc.(*net.UDPConn))
		if err := nfkit.GrowUDPBuffers(pc); err != nil {
			return fmt.Errorf("dn: udp echo: %w", err)
		}
	}
	return nil
}

// closeAll closes listeners, UDP sockets and open connections, unblocking
// every goroutine serveEcho started.
func (n *NF) closeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.conns.closeAdmission()
	for _, ln := range n.tcpLns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			n.log.Warn("close tcp listener", "err", err)
		}
	}
	for _, c := range n.udpConns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			n.log.Warn("close udp socket", "err", err)
		}
	}
	n.conns.closeAll()
}
