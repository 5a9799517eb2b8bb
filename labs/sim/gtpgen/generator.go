package gtpgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// Errors of Generator.Run that are not about the run itself.
var (
	ErrBadParams = errors.New("bad run parameters")
	ErrBusy      = errors.New("a run is in progress")
	ErrNotReady  = errors.New("not ready")
	ErrDraining  = errors.New("draining: no new runs")
	// ErrKernelPath: kernel mode cannot run as configured (no UPF
	// address, memory N6, sysctls that would drop our packets).
	ErrKernelPath = errors.New("kernel mode cannot run here")
)

// Generator drives GTP-U traffic through one UPF and measures it. It is
// built by New (inside an NF) and serves while the NF runs.
type Generator struct {
	cfg   Config
	log   *slog.Logger
	m     *metrics
	info  func(key, value string)
	epoch time.Time // nowNS counts from here, on the monotonic clock
	upf   netip.AddrPort
	pool  netip.Prefix
	upfN6 netip.Addr
	upfN3 netip.Addr
	// sysctlDir is /proc/sys/net/ipv4/conf, where kernel mode checks the
	// interfaces' settings; tests point it elsewhere.
	sysctlDir string

	// Bound by serve before bound is set; read-only afterwards.
	node   *pfcp.Node
	n3conn *net.UDPConn
	n3     *ipv4.PacketConn
	n3Addr netip.AddrPort
	n6     N6Port
	bound  atomic.Bool

	// editRules, set by tests before Run, changes session i's rules.
	editRules func(i int, s *pfcp.Session)

	rx        receiver
	busy      atomic.Bool
	draining  atomic.Bool
	installed atomic.Int64 // sessions on the UPF now
	lastRun   atomic.Uint32
	last      atomic.Pointer[Result]

	mu      sync.Mutex // guards closed and runs.Add
	closed  bool
	runs    sync.WaitGroup
	stopped chan struct{} // closed when serve begins shutting down
}

func newGenerator(cfg Config, n6 N6Port, log *slog.Logger, info func(string, string)) *Generator {
	g := &Generator{cfg: cfg, log: log, info: info, epoch: time.Now(), n6: n6, stopped: make(chan struct{}),
		sysctlDir: "/proc/sys/net/ipv4/conf"}
	g.upf, _ = cfg.upfPFCP() // validated
	g.pool, _ = cfg.pool()
	g.upfN6, _ = cfg.upfN6()
	g.upfN3, _ = cfg.upfN3()
	g.lastRun.Store(uint32(g.epoch.UnixNano()))
	return g
}

// nowNS is the time since the generator was made, in ns (monotonic).
func (g *Generator) nowNS() int64 { return int64(time.Since(g.epoch)) }

// Ready reports whether a run can start (a GTP run; a kernel run needs
// only the sockets bound).
func (g *Generator) Ready() (bool, string) {
	switch {
	case !g.bound.Load():
		return false, "sockets not bound yet"
	case !g.node.Associated(g.upf):
		return false, "UPF " + g.upf.String() + " not associated"
	}
	return true, ""
}

// Last is the result of the last run, or nil.
func (g *Generator) Last() *Result { return g.last.Load() }

// Sessions is the number of sessions installed on the UPF now.
func (g *Generator) Sessions() int { return int(g.installed.Load()) }

// serve binds the sockets, routes the UE pool, associates with the UPF
// and receives until ctx ends; then it waits for a run in progress to
// delete its sessions before closing.
func (g *Generator) serve(ctx context.Context) error {
	if err := g.bind(ctx); err != nil {
		return err
	}
	unroute, err := g.route()
	if err != nil {
		return errors.Join(err, g.closeSockets())
	}
	g.bound.Store(true)
	g.setInfo()
	ioCtx, stopIO := context.WithCancel(context.WithoutCancel(ctx))
	defer stopIO()
	done := make(chan error, 1)
	go func() {
		done <- nfkit.RunAll(ioCtx, g.node.Run, g.n3Loop, g.n6Loop, g.associateLoop, func(ctx context.Context) error {
			<-ctx.Done()
			return g.closeData()
		})
	}()
	var runErr error
	ended := false
	select {
	case <-ctx.Done():
	case runErr = <-done: // something failed: stop what is left
		ended = true
	}
	g.shutdown()
	stopIO()
	if !ended {
		runErr = <-done
	}
	return errors.Join(runErr, unroute())
}

// shutdown refuses new runs and waits for the one in progress, whose
// context ends with the NF's, to delete its sessions.
func (g *Generator) shutdown() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.stopped)
	}
	g.mu.Unlock()
	g.runs.Wait()
}

func (g *Generator) bind(ctx context.Context) error {
	node, err := pfcp.New(pfcp.Config{Role: pfcp.RoleCP, Addr: g.cfg.PFCP.Listen, NodeID: g.cfg.PFCP.NodeID,
		T1: g.cfg.PFCP.T1, N1: g.cfg.PFCP.N1, HeartbeatInterval: g.cfg.PFCP.HeartbeatInterval,
		Logger: g.log, OnAssociationDown: func(p pfcp.PeerInfo) {
			g.log.Warn("UPF association lost", "upf", p.Addr, "node_id", p.NodeID)
		}})
	if err != nil {
		return fmt.Errorf("gtpgen: n4: %w", err)
	}
	g.node = node
	conn, err := listenUDP(ctx, "n3.listen", g.cfg.N3.Listen)
	if err != nil {
		return fmt.Errorf("gtpgen: %w", errors.Join(err, node.Close()))
	}
	g.n3conn, g.n3 = conn, ipv4.NewPacketConn(conn)
	g.n3Addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if g.n6 == nil {
		u, err := newUDPN6(ctx, g.cfg.N6.Listen, g.cfg.Batch)
		if err != nil {
			return fmt.Errorf("gtpgen: %w", errors.Join(err, node.Close(), conn.Close()))
		}
		g.n6 = u
	}
	return nil
}

// closeData closes N3 and N6, ending the receive loops.
func (g *Generator) closeData() error {
	var errs []error
	for _, c := range []interface{ Close() error }{g.n3conn, g.n6} {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// closeSockets closes everything bind opened (when serve cannot go on).
func (g *Generator) closeSockets() error { return errors.Join(g.closeData(), g.node.Close()) }

// associateLoop associates with the UPF, and again whenever the
// association is lost.
func (g *Generator) associateLoop(ctx context.Context) error {
	t := time.NewTicker(g.cfg.PFCP.AssociateRetry)
	defer t.Stop()
	failures := 0
	for {
		if !g.node.Associated(g.upf) {
			actx, cancel := context.WithTimeout(ctx, g.cfg.PFCP.T1*time.Duration(g.cfg.PFCP.N1+1))
			info, err := g.node.Associate(actx, g.upf)
			cancel()
			switch {
			case err == nil:
				failures = 0
				g.log.Info("UPF associated", "upf", g.upf, "node_id", info.NodeID)
			case ctx.Err() == nil:
				if failures++; failures == 1 {
					g.log.Warn("UPF association failed; retrying", "upf", g.upf, "every", g.cfg.PFCP.AssociateRetry, "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (g *Generator) setInfo() {
	g.info("upf_pfcp", g.upf.String())
	g.info("pfcp", g.node.LocalAddr().String())
	g.info("n3", g.n3Addr.String())
	g.info("n6", g.n6.LocalAddr().String())
	g.info("ue_pool", g.pool.String())
	g.info("batch", fmt.Sprint(g.cfg.Batch))
}
