// Package mme is corenf kind "mme": the EPC Mobility Management Entity.
// It serves S1-MME (S1AP over SCTP, TS 36.413) to eNBs, runs the EPS NAS
// procedures of TS 24.301 with UEs (attach with EPS-AKA and NAS security
// mode control, detach, tracking area update, service request, PDN
// connectivity and disconnect, dedicated bearers), asks the HSS over S6a
// (Diameter, TS 29.272) for vectors and subscriptions, and drives the SGW
// over S11 (GTPv2-C, TS 29.274) for sessions, bearers, idle mode and
// paging.
//
// Each UE context runs its procedures one at a time on its own serial
// executor (a goroutine only while it has work): S6a and S11 round trips
// for one UE never hold up another UE or an eNB's read loop. Config:
// default.yaml and README.md.
package mme

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Kind is the corenf kind name.
const Kind = "mme"

// DefaultYAML is the default config, as shipped in the mme image.
//
//go:embed default.yaml
var DefaultYAML []byte

// MME is a Mobility Management Entity.
type MME struct {
	cfg Config
	log *slog.Logger
	ops *nfkit.Ops
	m   *metrics
	s6a *diameter.Client

	plmn   naseps.PLMN
	tais   naseps.TAIList
	integ  []uint8
	cipher []uint8
	sgws   []netip.AddrPort
	pgws   []netip.Addr
	sgwRR  atomic.Uint32
	pgwRR  atomic.Uint32

	runCtx  atomic.Pointer[context.Context]
	workers workers
	s1Addr  atomic.Pointer[net.Addr]
	s11     atomic.Pointer[gtpv2c.Conn]
	s11Self atomic.Pointer[netip.Addr] // address in our S11 F-TEIDs
	enbs    sync.Map                   // *enb -> struct{}
	ues     registry
	stats   ueStats

	draining   atomic.Bool
	drainStart atomic.Pointer[time.Time]
}

// New builds an MME from cfg.
func New(cfg Config, opts ...nfkit.Option) (*MME, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mme: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	m := &MME{cfg: cfg, log: o.Logger, plmn: naseps.PLMN{MCC: cfg.PLMN.MCC, MNC: cfg.PLMN.MNC},
		integ: cfg.NAS.integrity(), cipher: cfg.NAS.ciphering()}
	for _, tac := range cfg.TACs {
		m.tais = append(m.tais, naseps.TAI{PLMN: m.plmn, TAC: tac})
	}
	for _, s := range cfg.SGW.S11 {
		m.sgws = append(m.sgws, netip.MustParseAddrPort(s)) // validated
	}
	for _, s := range cfg.PGW.S5C {
		m.pgws = append(m.pgws, netip.MustParseAddr(s))
	}
	var err error
	if m.ops, err = nfkit.NewOps(Kind, m.log, m, m); err != nil {
		return nil, fmt.Errorf("mme: %w", err)
	}
	if err := m.registerMetrics(); err != nil {
		return nil, fmt.Errorf("mme: %w", err)
	}
	if m.s6a, err = diameter.NewClient(cfg.Diameter, cfg.HSS.Address, diameter.WithLogger(m.log),
		diameter.WithObserver(m.m.s6aObserver())); err != nil {
		return nil, fmt.Errorf("mme: %w", err)
	}
	m.s6a.Handle(diameter.AppS6a, diameter.CmdCancelLocation, m.serveCLR)
	return m, nil
}

// Ops is the ops server.
func (m *MME) Ops() *nfkit.Ops { return m.ops }

// S1Addr is the bound S1AP address, nil before Run listens.
func (m *MME) S1Addr() net.Addr {
	if p := m.s1Addr.Load(); p != nil {
		return *p
	}
	return nil
}

// S11Addr is the bound S11 address, invalid before Run binds it.
func (m *MME) S11Addr() netip.AddrPort {
	if c := m.s11.Load(); c != nil {
		return c.LocalAddr()
	}
	return netip.AddrPort{}
}

// Run serves S1-MME, S11 and S6a until ctx ends.
func (m *MME) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.runCtx.Store(&ctx)
	s11, err := m.bindS11()
	if err != nil {
		return err
	}
	s1Ln, err := sctp.Listen(ctx, m.cfg.S1.SCTP, m.cfg.S1.Listen, m.log)
	if err != nil {
		s11.Close()
		return fmt.Errorf("mme: s1 listen %s: %w", m.cfg.S1.Listen, err)
	}
	m.ops.SetInfo("sctp", sctp.Chosen(m.cfg.S1.SCTP))
	a := s1Ln.Addr()
	m.s1Addr.Store(&a)
	m.log.Info("mme starting", "s1", a.String(), "s11", s11.LocalAddr().String(), "hss", m.cfg.HSS.Address,
		"plmn", m.plmn, "mme_group_id", m.cfg.MMEGroupID, "mme_code", m.cfg.MMECode)
	err = nfkit.RunAll(ctx,
		func(ctx context.Context) error { return m.ops.Run(ctx, m.cfg.Ops.Listen) },
		func(ctx context.Context) error { return m.serveS1(ctx, s1Ln) },
		s11.Run,
		m.s6a.Run,
	)
	cancel()
	m.workers.close()
	return err
}

// bindS11 opens the GTPv2-C socket and works out our F-TEID address.
func (m *MME) bindS11() (*gtpv2c.Conn, error) {
	c, err := gtpv2c.New(gtpv2c.Config{Addr: m.cfg.S11.Listen, T3: m.cfg.S11.T3, N3: m.cfg.S11.N3,
		Handler: gtpv2c.HandlerFunc(m.serveS11), Logger: m.log})
	if err != nil {
		return nil, fmt.Errorf("mme: s11: %w", err)
	}
	self := c.LocalAddr().Addr().Unmap()
	if m.cfg.S11.Address != "" {
		self = netip.MustParseAddr(m.cfg.S11.Address)
	}
	if !self.Is4() || self.IsUnspecified() {
		c.Close()
		return nil, fmt.Errorf("mme: s11.address: set it, s11.listen %q names no IPv4 address for our F-TEIDs", m.cfg.S11.Listen)
	}
	m.s11Self.Store(&self)
	m.s11.Store(c)
	return c, nil
}

// ctx is the context procedures run under: Run's, or a cancelled one
// before Run.
func (m *MME) ctx() context.Context {
	if p := m.runCtx.Load(); p != nil {
		return *p
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Ready implements nfkit.Readiness: S1 and S11 bound, the HSS connected.
func (m *MME) Ready() (bool, string) {
	switch {
	case m.S1Addr() == nil:
		return false, "s1 not listening"
	case m.s11.Load() == nil:
		return false, "s11 not bound"
	case m.s6a.Peer() == nil:
		return false, "no S6a connection to the HSS"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new attaches are refused with EMM
// cause #22 (congestion) so UEs turn to another MME of the pool; UEs
// already attached keep being served.
func (m *MME) StartDrain() {
	if m.draining.CompareAndSwap(false, true) {
		now := time.Now()
		m.drainStart.Store(&now)
		m.log.Info("draining: new attaches are refused")
	}
}

// Remaining implements nfkit.Drainer: UEs in ECM-CONNECTED, or 0 once
// drain_timeout has passed since the drain started.
func (m *MME) Remaining() int {
	if t := m.drainStart.Load(); t != nil && m.cfg.DrainTimeout > 0 && time.Since(*t) >= m.cfg.DrainTimeout {
		return 0
	}
	return int(m.stats.count(bucketConnected))
}

// gummei is our GUMMEI in S1AP form.
func (m *MME) gummei() s1ap.GUMMEI {
	return s1ap.GUMMEI{PLMN: s1ap.PLMN(m.plmn), GroupID: m.cfg.MMEGroupID, Code: m.cfg.MMECode}
}

// nextSGW picks the SGW for a new UE, round robin.
func (m *MME) nextSGW() netip.AddrPort {
	return m.sgws[int(m.sgwRR.Add(1)-1)%len(m.sgws)]
}

// nextPGW picks the PGW for a new PDN connection, round robin.
func (m *MME) nextPGW() netip.Addr {
	return m.pgws[int(m.pgwRR.Add(1)-1)%len(m.pgws)]
}
