// Package pcrf is corenf kind "pcrf": the EPC Policy and Charging Rules
// Function, Diameter over TCP, one server for both of its interfaces:
//
//   - Gx (TS 29.212) towards PGWs: CCR-Initial opens an IP-CAN session
//     and is answered with the APN's default bearer QoS, APN-AMBR and
//     predefined PCC rules; CCR-Update takes rule reports;
//     CCR-Termination closes the session and the Rx sessions bound to it;
//   - Rx (TS 29.214) towards P-CSCFs: an AAR is bound to the Gx session
//     holding the UE's address; each Media-Component-Description becomes
//     a PCC rule (QCI 1 for audio, 2 for video, GBR/MBR from the
//     requested bandwidth, the flows turned into Gx Flow-Information)
//     pushed to the PGW in a Gx RAR, and the AAA waits for its RAA; an
//     STR removes the rules the same way.
//
// Sessions live in memory: a restarted PCRF knows none, and PGWs answer
// its RARs for old sessions with DIAMETER_UNKNOWN_SESSION_ID.
package pcrf

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Kind is the corenf kind name.
const Kind = "pcrf"

// DefaultYAML is the default config, as shipped in the pcrf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// PCRF is a Policy and Charging Rules Function.
type PCRF struct {
	cfg     Config
	policy  *policy
	log     *slog.Logger
	ops     *nfkit.Ops
	dia     *diameter.Server
	metrics *metrics
	store   *store

	rxSeq    atomic.Uint64 // numbers Rx sessions, for unique rule names
	draining atomic.Bool
}

// New builds a PCRF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*PCRF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pcrf: %w", err)
	}
	pol, err := newPolicy(cfg)
	if err != nil {
		return nil, fmt.Errorf("pcrf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &PCRF{cfg: cfg, policy: pol, log: o.Logger, store: newStore(cfg.MaxSessions)}
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("pcrf: %w", err)
	}
	if n.metrics, err = newMetrics(n.ops, n); err != nil {
		return nil, fmt.Errorf("pcrf: %w", err)
	}
	n.dia, err = diameter.NewServer(cfg.Diameter.PeerConfig, diameter.WithLogger(n.log),
		diameter.WithObserver(n.metrics.diameter))
	if err != nil {
		return nil, fmt.Errorf("pcrf: %w", err)
	}
	n.dia.Handle(diameter.AppGx, diameter.CmdCreditControl, n.serveCCR)
	n.dia.Handle(diameter.AppRx, diameter.CmdAA, n.serveAAR)
	n.dia.Handle(diameter.AppRx, diameter.CmdSessionTermination, n.serveSTR)
	n.opsRoutes()
	return n, nil
}

// Ops is the ops server.
func (n *PCRF) Ops() *nfkit.Ops { return n.ops }

// DiameterAddr is the Gx/Rx server's bound address, nil before Run listens.
func (n *PCRF) DiameterAddr() net.Addr { return n.dia.Addr() }

// Sessions is the number of Gx and of Rx sessions held.
func (n *PCRF) Sessions() (gx, rx int) { return n.store.counts() }

// Run serves until ctx ends.
func (n *PCRF) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.Diameter.Listen)
	if err != nil {
		return fmt.Errorf("pcrf: diameter listen %s: %w", n.cfg.Diameter.Listen, err)
	}
	n.ops.SetInfo("diameter", ln.Addr().String())
	n.ops.SetInfo("origin_host", n.cfg.Diameter.OriginHost)
	n.log.Info("pcrf starting", "diameter", ln.Addr().String(), "apns", len(n.cfg.APNs))
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.dia.Serve(ctx, ln) },
	)
}

// Ready implements nfkit.Readiness: the Diameter server listens.
func (n *PCRF) Ready() (bool, string) {
	if n.dia.Addr() == nil {
		return false, "diameter not listening yet"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new Gx sessions (CCR-Initial) and
// new Rx sessions (a first AAR) are answered DIAMETER_TOO_BUSY, so PGWs
// and P-CSCFs go to another PCRF; the sessions held keep being served
// (updates, terminations, STRs) until their peers end them.
func (n *PCRF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: requests being handled and Gx
// sessions held (an Rx session lives inside a Gx session).
func (n *PCRF) Remaining() int {
	gx, _ := n.store.counts()
	return n.dia.InFlight() + gx
}

// answer is the header of our answer to sessionID with res.
func (n *PCRF) answer(sessionID string, res diameter.Result) diameter.AnswerHeader {
	return diameter.AnswerHeader{SessionID: sessionID, OriginHost: n.cfg.Diameter.OriginHost,
		OriginRealm: n.cfg.Diameter.OriginRealm, Result: res}
}
