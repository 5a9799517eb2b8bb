// Package enb is corenf kind "enb": a simulated eNB for labs. Towards the
// core it is real: S1AP (nf/proto/s1ap) over SCTP (nf/proto/sctp) to one
// or more MMEs, and GTP-U (nf/proto/gtpu) on S1-U. Towards the UEs it
// speaks the simulated air interface of labs/sim/radio over UDP: it relays
// NAS, sets up and releases UE contexts and E-RAB user planes, pages, and
// carries user data between the radio and S1-U.
//
// Config (YAML, defaults in default.yaml, documented in README.md):
//
//	mme: ["10.0.4.5:36412"]   # MMEs (host or host:port)
//	enb_id: 1                 # with plmn, tac, cell_id
//	radio: {listen: "${self.ran}:4997"}
//	gtpu:  {listen: "${self.s1u}:2152"}
//
// Ready once the radio and S1-U sockets are bound and at least one MME
// accepted S1 Setup. Draining refuses new UE connections; the UE contexts
// held are what remains.
package enb

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/labs/sim/simkit"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/gtpu"
)

// Kind is the corenf kind name.
const Kind = "enb"

// DefaultYAML is the default config, as shipped in the enb image.
//
//go:embed default.yaml
var DefaultYAML []byte

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("enb/default.yaml", DefaultYAML) }

// maxSims bounds the UE simulator addresses remembered for paging.
const maxSims = 4096

// ENB is a running eNB.
type ENB struct {
	cfg  Config
	log  *slog.Logger
	ops  *nfkit.Ops
	m    *metrics
	ues  *ueTable
	mmes []*mmeLink
	rr   atomic.Uint32 // round robin over MMEs

	radioConn atomic.Pointer[net.UDPConn]
	up        atomic.Pointer[gtpu.Endpoint]
	s1uAddr   netip.Addr // advertised in the eNB's S1-U F-TEIDs
	teids     *teidAlloc
	draining  atomic.Bool
	paged     *pagedSet

	simsMu sync.Mutex
	sims   map[netip.AddrPort]struct{} // UE simulators seen, for paging
}

// New builds an eNB from cfg; Run binds its sockets and associates.
func New(cfg Config, opts ...nfkit.Option) (*ENB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("enb: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &ENB{cfg: cfg, log: o.Logger, ues: newUETable(cfg.MaxUEs), teids: newTEIDAlloc(),
		paged: newPagedSet(), sims: map[netip.AddrPort]struct{}{}}
	for _, a := range cfg.MME {
		addr, _ := mmeAddr(a) // validated
		n.mmes = append(n.mmes, &mmeLink{addr: addr})
	}
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("enb: %w", err)
	}
	n.ops = ops
	if n.m, err = newMetrics(ops.Registry(), n); err != nil {
		return nil, fmt.Errorf("enb: %w", err)
	}
	return n, nil
}

// Ops is the eNB's ops server.
func (n *ENB) Ops() *nfkit.Ops { return n.ops }

// Ready implements nfkit.Readiness.
func (n *ENB) Ready() (bool, string) {
	if n.radioConn.Load() == nil || n.up.Load() == nil {
		return false, "radio and S1-U sockets not bound yet"
	}
	if n.mmesUp() == 0 {
		return false, "no MME has accepted S1 Setup yet"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new UE connections are refused.
func (n *ENB) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: UE contexts held.
func (n *ENB) Remaining() int { return n.ConnectedUEs() }

// RadioAddr is the bound radio address (nil before Run binds it).
func (n *ENB) RadioAddr() net.Addr {
	if c := n.radioConn.Load(); c != nil {
		return c.LocalAddr()
	}
	return nil
}

// S1UAddr is the bound GTP-U address (invalid before Run binds it).
func (n *ENB) S1UAddr() netip.AddrPort {
	if e := n.up.Load(); e != nil {
		return e.LocalAddr()
	}
	return netip.AddrPort{}
}

// ConnectedUEs is the number of UE contexts held.
func (n *ENB) ConnectedUEs() int {
	u, _ := n.ues.counts()
	return u
}

// ERABs is the number of E-RABs with a user plane.
func (n *ENB) ERABs() int {
	_, e := n.ues.counts()
	return e
}

// Run binds the radio and S1-U sockets, associates with every MME and
// serves until ctx ends.
func (n *ENB) Run(ctx context.Context) error {
	rc, ep, err := n.bind(ctx)
	if err != nil {
		return err
	}
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.radioLoop(ctx, rc) },
		func(ctx context.Context) error {
			if err := ep.Run(ctx); err != nil {
				return fmt.Errorf("enb: gtp-u: %w", err)
			}
			return nil
		},
	}
	if n.cfg.InactivityTimer > 0 {
		fns = append(fns, func(ctx context.Context) error { n.inactivityLoop(ctx); return nil })
	}
	for _, l := range n.mmes {
		fns = append(fns, func(ctx context.Context) error { n.mmeLoop(ctx, l); return nil })
	}
	return nfkit.RunAll(ctx, fns...)
}

// bind opens the radio socket and the GTP-U endpoint.
func (n *ENB) bind(ctx context.Context) (*net.UDPConn, *gtpu.Endpoint, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", n.cfg.Radio.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("enb: radio: %w", err)
	}
	rc := pc.(*net.UDPConn)
	if err := nfkit.GrowUDPBuffers(rc); err != nil {
		simkit.CloseQuietly(n.log, "radio socket", rc)
		return nil, nil, fmt.Errorf("enb: radio: %w", err)
	}
	// S1-U G-PDUs carry no PDU Session Container: PDUType only matters
	// for Send, which the eNB does not use.
	ep, err := gtpu.New(gtpu.Config{Addr: n.cfg.GTPU.Listen, PDUType: gtpu.PDUTypeUL, Logger: n.log,
		OnErrorIndication: n.onGTPUErrorIndication})
	if err != nil {
		simkit.CloseQuietly(n.log, "radio socket", rc)
		return nil, nil, fmt.Errorf("enb: gtp-u: %w", err)
	}
	n.s1uAddr = ep.LocalAddr().Addr()
	if n.cfg.GTPU.Advertise != "" {
		n.s1uAddr = netip.MustParseAddr(n.cfg.GTPU.Advertise) // validated
	}
	if !n.s1uAddr.Is4() || n.s1uAddr.IsUnspecified() {
		simkit.CloseQuietly(n.log, "radio socket", rc)
		simkit.CloseQuietly(n.log, "gtp-u endpoint", ep)
		return nil, nil, errors.New("enb: gtpu.listen binds no single IPv4 address: set gtpu.advertise to the S1-U address the SGW reaches")
	}
	n.radioConn.Store(rc)
	n.up.Store(ep)
	n.log.Info("enb sockets bound", "radio", rc.LocalAddr().String(), "s1u", ep.LocalAddr().String())
	return rc, ep, nil
}

// rememberSim notes a UE simulator's address for paging.
func (n *ENB) rememberSim(a netip.AddrPort) {
	n.simsMu.Lock()
	defer n.simsMu.Unlock()
	if _, ok := n.sims[a]; ok || len(n.sims) >= maxSims {
		return
	}
	n.sims[a] = struct{}{}
}

func (n *ENB) simAddrs() []netip.AddrPort {
	n.simsMu.Lock()
	defer n.simsMu.Unlock()
	out := make([]netip.AddrPort, 0, len(n.sims))
	for a := range n.sims {
		out = append(out, a)
	}
	return out
}

func (n *ENB) gtpuMalformed() uint64 {
	if e := n.up.Load(); e != nil {
		return e.Stats().MalformedTotal()
	}
	return 0
}

func (n *ENB) gtpuUnknownTEID() uint64 {
	if e := n.up.Load(); e != nil {
		return e.Stats().UnknownTEID.Load()
	}
	return 0
}
