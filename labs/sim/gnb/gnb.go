// Package gnb is corenf kind "gnb": a simulated gNB for labs. Towards the
// core it is real: NGAP (nf/proto/n2) over SCTP (nf/proto/sctp) to one or
// more AMFs, and GTP-U (nf/proto/gtpu) on N3. Towards the UEs it speaks the
// simulated air interface of labs/sim/radio over UDP: it relays NAS, sets
// up and releases UE contexts and PDU session user planes, pages, and
// carries user data between the radio and N3.
//
// Config (YAML, defaults in default.yaml, documented in README.md):
//
//	amf: ["10.0.2.5:38412"]   # AMFs (host or host:port)
//	gnb_id: 1                 # with gnb_id_bits, plmn, tac, cell_id, slices
//	radio: {listen: "${self.ran}:4997"}
//	gtpu:  {listen: "${self.n3}:2152"}
//
// Ready once the radio and N3 sockets are bound and at least one AMF
// accepted NG Setup. Draining refuses new UE connections; the UE contexts
// held are what remains.
package gnb

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
const Kind = "gnb"

// DefaultYAML is the default config, as shipped in the gnb image.
//
//go:embed default.yaml
var DefaultYAML []byte

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("gnb/default.yaml", DefaultYAML) }

// maxSims bounds the UE simulator addresses remembered for paging.
const maxSims = 4096

// NF is a running gNB.
type NF struct {
	cfg  Config
	log  *slog.Logger
	ops  *nfkit.Ops
	m    *metrics
	ues  *ueTable
	amfs []*amfLink
	rr   atomic.Uint32 // round robin over AMFs

	radioConn atomic.Pointer[net.UDPConn]
	up        atomic.Pointer[gtpu.Endpoint]
	n3Addr    netip.Addr // advertised in downlink F-TEIDs
	teids     *teidAlloc
	draining  atomic.Bool

	simsMu sync.Mutex
	sims   map[netip.AddrPort]struct{} // UE simulators seen, for paging
}

// New builds a gNB from cfg; Run binds its sockets and associates.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gnb: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, ues: newUETable(cfg.MaxUEs), teids: newTEIDAlloc(),
		sims: map[netip.AddrPort]struct{}{}}
	for _, a := range cfg.AMF {
		addr, _ := amfAddr(a) // validated
		n.amfs = append(n.amfs, &amfLink{addr: addr})
	}
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("gnb: %w", err)
	}
	n.ops = ops
	if n.m, err = newMetrics(ops.Registry(), n); err != nil {
		return nil, fmt.Errorf("gnb: %w", err)
	}
	return n, nil
}

// Ops is the gNB's ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Ready implements nfkit.Readiness.
func (n *NF) Ready() (bool, string) {
	if n.radioConn.Load() == nil || n.up.Load() == nil {
		return false, "radio and N3 sockets not bound yet"
	}
	if n.amfsUp() == 0 {
		return false, "no AMF has accepted NG Setup yet"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new UE connections are refused.
func (n *NF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: UE contexts held.
func (n *NF) Remaining() int {
	u, _ := n.ues.counts()
	return u
}

// RadioAddr is the bound radio address (nil before Run binds it).
func (n *NF) RadioAddr() net.Addr {
	if c := n.radioConn.Load(); c != nil {
		return c.LocalAddr()
	}
	return nil
}

// N3Addr is the bound GTP-U address (invalid before Run binds it).
func (n *NF) N3Addr() netip.AddrPort {
	if e := n.up.Load(); e != nil {
		return e.LocalAddr()
	}
	return netip.AddrPort{}
}

// ConnectedUEs is the number of UE contexts held.
func (n *NF) ConnectedUEs() int {
	u, _ := n.ues.counts()
	return u
}

// Run binds the radio and N3 sockets, associates with every AMF and serves
// until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	rc, ep, err := n.bind(ctx)
	if err != nil {
		return err
	}
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.radioLoop(ctx, rc) },
		func(ctx context.Context) error {
			if err := ep.Run(ctx); err != nil {
				return fmt.Errorf("gnb: gtp-u: %w", err)
			}
			return nil
		},
	}
	for _, l := range n.amfs {
		fns = append(fns, func(ctx context.Context) error { n.amfLoop(ctx, l); return nil })
	}
	return nfkit.RunAll(ctx, fns...)
}

// bind opens the radio socket and the GTP-U endpoint.
func (n *NF) bind(ctx context.Context) (*net.UDPConn, *gtpu.Endpoint, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", n.cfg.Radio.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("gnb: radio: %w", err)
	}
	rc := pc.(*net.UDPConn)
	if err := nfkit.GrowUDPBuffers(rc); err != nil {
		simkit.CloseQuietly(n.log, "radio socket", rc)
		return nil, nil, fmt.Errorf("gnb: radio: %w", err)
	}
	ep, err := gtpu.New(gtpu.Config{Addr: n.cfg.GTPU.Listen, PDUType: gtpu.PDUTypeUL, Logger: n.log,
		OnErrorIndication: n.onGTPUErrorIndication})
	if err != nil {
		simkit.CloseQuietly(n.log, "radio socket", rc)
		return nil, nil, fmt.Errorf("gnb: gtp-u: %w", err)
	}
	n.n3Addr = ep.LocalAddr().Addr()
	if n.cfg.GTPU.Advertise != "" {
		n.n3Addr = netip.MustParseAddr(n.cfg.GTPU.Advertise) // validated
	}
	if !n.n3Addr.Is4() || n.n3Addr.IsUnspecified() {
		simkit.CloseQuietly(n.log, "radio socket", rc)
		simkit.CloseQuietly(n.log, "gtp-u endpoint", ep)
		return nil, nil, errors.New("gnb: gtpu.listen binds no single IPv4 address: set gtpu.advertise to the N3 address the UPF reaches")
	}
	n.radioConn.Store(rc)
	n.up.Store(ep)
	n.log.Info("gnb sockets bound", "radio", rc.LocalAddr().String(), "n3", ep.LocalAddr().String())
	return rc, ep, nil
}

// rememberSim notes a UE simulator's address for paging.
func (n *NF) rememberSim(a netip.AddrPort) {
	n.simsMu.Lock()
	defer n.simsMu.Unlock()
	if _, ok := n.sims[a]; ok || len(n.sims) >= maxSims {
		return
	}
	n.sims[a] = struct{}{}
}

func (n *NF) simAddrs() []netip.AddrPort {
	n.simsMu.Lock()
	defer n.simsMu.Unlock()
	out := make([]netip.AddrPort, 0, len(n.sims))
	for a := range n.sims {
		out = append(out, a)
	}
	return out
}

func (n *NF) gtpuMalformed() uint64 {
	if e := n.up.Load(); e != nil {
		return e.Stats().MalformedTotal()
	}
	return 0
}

func (n *NF) gtpuUnknownTEID() uint64 {
	if e := n.up.Load(); e != nil {
		return e.Stats().UnknownTEID.Load()
	}
	return 0
}
