// Package sgw is corenf kind "sgw": the EPC Serving Gateway (TS 23.401
// §4.4.3.2; S11 and S5/S8 per TS 29.274, S1-U and S5/S8-U per TS 29.281).
//
// Control plane: the SGW relays the MME's Create Session and Delete
// Session Requests (S11) to the PGW (S5/S8-C), with F-TEIDs of its own on
// each side, and the PGW's Create and Delete Bearer Requests to the MME.
// It serves Modify Bearer (the eNB's S1-U F-TEID arrives: downlink
// starts, buffered packets go first) and Release Access Bearers (the UE
// goes idle: downlink is buffered, and the first buffered packet sends a
// Downlink Data Notification to the MME) itself.
//
// User plane: G-PDUs are relayed between S1-U and S5/S8-U by TEID in
// userspace (two GTP-U endpoints, recvmmsg on the way in), rewriting only
// the TEID; while a UE is idle its downlink is held in a bounded buffer
// per bearer.
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package sgw

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// Kind is the corenf kind name.
const Kind = "sgw"

// DefaultYAML is the default config, as shipped in the sgw image.
//
//go:embed default.yaml
var DefaultYAML []byte

// NF is an SGW.
type NF struct {
	cfg   Config
	log   *slog.Logger
	ops   *nfkit.Ops
	stats *stats
	// Addresses in the F-TEIDs we hand out.
	s11Addr, s5cAddr, s1uAddr, s5uAddr netip.Addr

	// Set by Run before anything reads them.
	s11, s5c *gtpv2c.Conn
	s1u, s5u *gtpu.Endpoint
	runCtx   context.Context
	bound    atomic.Pointer[Addrs]

	draining atomic.Bool
	bg       sync.WaitGroup // Downlink Data Notifications in flight

	mu     sync.Mutex
	byS11  map[uint32]*session // by our S11 TEID
	byS5   map[uint32]*session // by our S5/S8-C TEID
	cTEIDs gtpv2c.TEIDs
	uTEIDs gtpv2c.TEIDs

	// creating (under mu) holds the S5/S8-C TEIDs of sessions being
	// created; each channel closes once the Create Session Response has
	// gone to the MME.
	creating map[uint32]chan struct{}
}

// Addrs are the bound sockets.
type Addrs struct {
	S11, S5C, S1U, S5U netip.AddrPort
}

// New builds an SGW from cfg. Sockets are opened by Run.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sgw: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, stats: &stats{}, byS11: map[uint32]*session{}, byS5: map[uint32]*session{},
		creating: map[uint32]chan struct{}{}}
	n.s11Addr, _ = cfg.S11.addr("s11") // validated above
	n.s5cAddr, _ = cfg.S5C.addr("s5c")
	n.s1uAddr, _ = cfg.S1U.addr("s1u")
	n.s5uAddr, _ = cfg.S5U.addr("s5u")
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("sgw: %w", err)
	}
	n.ops = ops
	if err := nfkit.Register(ops.Registry(), newCollector(n)); err != nil {
		return nil, fmt.Errorf("sgw: %w", err)
	}
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Addrs are the bound sockets, or nil before Run binds them.
func (n *NF) Addrs() *Addrs { return n.bound.Load() }

// Run binds the four sockets and serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	n.runCtx = ctx
	if err := n.open(); err != nil {
		return err
	}
	n.bound.Store(&Addrs{S11: n.s11.LocalAddr(), S5C: n.s5c.LocalAddr(), S1U: n.s1u.LocalAddr(), S5U: n.s5u.LocalAddr()})
	n.log.Info("sgw starting", "s11", n.s11.LocalAddr(), "s5c", n.s5c.LocalAddr(),
		"s1u", n.s1u.LocalAddr(), "s5u", n.s5u.LocalAddr())
	err := nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.s11.Run, n.s5c.Run, n.s1u.Run, n.s5u.Run)
	n.bg.Wait()
	return err
}

// open binds the sockets, closing those bound when one fails.
func (n *NF) open() (err error) {
	var closers []func() error
	defer func() {
		if err != nil {
			for _, c := range closers {
				err = errors.Join(err, c())
			}
		}
	}()
	gtpc := func(listen string, h gtpv2c.Handler) (*gtpv2c.Conn, error) {
		c, err := gtpv2c.New(gtpv2c.Config{Addr: listen, T3: n.cfg.GTPC.T3, N3: n.cfg.GTPC.N3, Handler: h, Logger: n.log})
		if err == nil {
			closers = append(closers, c.Close)
		}
		return c, err
	}
	gtpU := func(listen string) (*gtpu.Endpoint, error) {
		e, err := gtpu.New(gtpu.Config{Addr: listen, Logger: n.log})
		if err == nil {
			closers = append(closers, e.Close)
		}
		return e, err
	}
	if n.s11, err = gtpc(n.cfg.S11.Listen, s11Handler{n}); err != nil {
		return fmt.Errorf("sgw: s11: %w", err)
	}
	if n.s5c, err = gtpc(n.cfg.S5C.Listen, s5Handler{n}); err != nil {
		return fmt.Errorf("sgw: s5c: %w", err)
	}
	if n.s1u, err = gtpU(n.cfg.S1U.Listen); err != nil {
		return fmt.Errorf("sgw: s1u: %w", err)
	}
	if n.s5u, err = gtpU(n.cfg.S5U.Listen); err != nil {
		return fmt.Errorf("sgw: s5u: %w", err)
	}
	return nil
}

// peerC is where a GTPv2-C F-TEID's owner receives requests.
func (n *NF) peerC(f gtpv2c.FTEID) netip.AddrPort {
	return netip.AddrPortFrom(f.Addr, n.cfg.GTPC.PeerPort)
}

// peerU is where a GTP-U F-TEID's owner receives G-PDUs.
func (n *NF) peerU(f gtpv2c.FTEID) netip.AddrPort {
	return netip.AddrPortFrom(f.Addr, n.cfg.GTPU.PeerPort)
}

// Ready implements nfkit.Readiness: sockets bound.
func (n *NF) Ready() (bool, string) {
	if n.bound.Load() == nil {
		return false, "gtp-c and gtp-u sockets not bound"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new sessions are refused (cause
// 73, no resources available); existing ones are served until the MME
// deletes them.
func (n *NF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: the sessions held.
func (n *NF) Remaining() int { return n.Sessions() }

// Sessions is the number of sessions (PDN connections) held.
func (n *NF) Sessions() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.byS11)
}
