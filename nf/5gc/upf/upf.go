// Package upf is corenf kind "upf": the 5GC User Plane Function
// (TS 23.501 §6.2.3, N4 per TS 29.244, N3 per TS 29.281).
//
// The SMF associates over PFCP (N4) and installs per-session rules: PDRs
// detect uplink G-PDUs by local F-TEID (allocated here on CHOOSE) and QFI,
// and downlink packets by UE address; FARs forward (with a GTP-U outer
// header toward the gNB), drop or buffer (notifying the SMF); QERs gate
// and police the maximum bit rate per direction; URRs count volume and
// packets, reported on deletion and when a URR is removed.
//
// The data path runs on `workers` lanes, one per CPU by default. Uplink:
// the GTP-U endpoint (N3) has one SO_REUSEPORT socket per worker, each read
// with recvmmsg by a loop of its own, which finds the tunnel by TEID in
// O(1) and writes the inner packet to the N6 queue of its UE. Downlink: one
// worker per N6 queue (a multi-queue TUN device in a container, an
// in-memory device for tests) reads a batch of packets, finds each session
// by destination address in O(1), encapsulates in place (PDU Session
// Container with the QFI) and sends the batch to the gNBs with one
// sendmmsg. Nothing is allocated per packet; lookups take no lock.
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package upf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "upf"

// DefaultYAML is the default config, as shipped in the upf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// NF is a UPF.
type NF struct {
	cfg     Config
	log     *slog.Logger
	ops     *nfkit.Ops
	stats   *stats
	workers int
	control *lane            // the PFCP handlers' lane
	now     func() time.Time // the policers' clock; tests set it before Run
	// peerPort is where gNBs (and other UPFs) receive GTP-U: always
	// gtpu.Port on a network; tests run gNBs on other ports.
	peerPort uint16
	nodeID   netip.Addr
	n3       netip.Addr
	pools    []netip.Prefix
	mem      *MemoryN6 // n6.mode memory
	nrf      *nrfc.Client
	sbi      *sbi.Client // the NRF client's

	// Set by Run before anything reads them.
	n6      n6Device
	gtp     *gtpu.Endpoint
	node    *pfcp.Node
	runCtx  context.Context
	ulLanes []*lane // by N3 read loop
	dlLanes []*lane // by N6 queue

	bound     atomic.Pointer[Addrs] // nil until Run has bound the sockets
	draining  atomic.Bool
	drain     chan struct{}
	drainOnce sync.Once
	reports   sync.WaitGroup // Session Report Requests in flight

	sessMu   sync.Mutex
	sessions map[uint64]*session // by UP SEID
	teidMu   sync.Mutex
	lastTEID uint32
	ueMu     sync.Mutex         // serialises changes to byUE and foreign
	byUE     ueIndex            // by UE IPv4 address
	foreign  map[netip.Addr]int // sessions per UE address outside our pools

	throughput throughputMeter
}

// Addrs are the bound N4 and N3 sockets.
type Addrs struct {
	PFCP netip.AddrPort
	GTPU netip.AddrPort
}

// New builds a UPF from cfg. Sockets and the TUN device are opened by Run.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("upf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	w := cfg.workers()
	// Lanes: control, then one per N3 read loop, then one per N6 queue.
	n := &NF{cfg: cfg, log: o.Logger, stats: newStats(1 + 2*w), workers: w, now: time.Now, peerPort: gtpu.Port,
		drain: make(chan struct{}), sessions: map[uint64]*session{}, foreign: map[netip.Addr]int{}}
	n.control = newLane(n, n.stats.lanes[0], nil, nil)
	n.nodeID, _ = cfg.nodeAddr() // validated above
	n.n3, _ = cfg.n3Addr()
	n.pools, _ = cfg.pools()
	if cfg.N6.Mode == N6ModeMemory {
		n.mem = NewMemoryN6()
	}
	if cfg.NRF.URI != "" {
		var err error
		if n.sbi, err = sbi.NewClient(sbi.ClientConfig{}); err != nil {
			return nil, fmt.Errorf("upf: %w", err)
		}
		if n.nrf, err = nrfc.New(n.sbi, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("upf: %w", err)
		}
	}
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("upf: %w", err)
	}
	n.ops = ops
	if err := nfkit.Register(ops.Registry(), newCollector(n)); err != nil {
		return nil, fmt.Errorf("upf: %w", err)
	}
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// MemoryN6 is the in-memory N6 device (n6.mode memory), else nil.
func (n *NF) MemoryN6() *MemoryN6 { return n.mem }

// Addrs are the bound N4 and N3 addresses, or nil before Run binds them.
func (n *NF) Addrs() *Addrs { return n.bound.Load() }

// Run opens N6, binds N4 and N3 and serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	n.runCtx = ctx
	if err := n.open(); err != nil {
		return err
	}
	defer n.closeN6()
	n.bound.Store(&Addrs{PFCP: n.node.LocalAddr(), GTPU: n.gtp.LocalAddr()})
	n.announce()
	n.log.Info("upf starting", "pfcp", n.node.LocalAddr(), "node_id", n.nodeID, "gtpu", n.gtp.LocalAddr(),
		"n3_address", n.n3, "n6", n.n6.Name(), "ue_pools", n.pools, "nrf", n.cfg.NRF.URI,
		"workers", n.workers, "n6_queues", n.n6.Queues())
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.gtp.Run,
		n.node.Run,
		n.measureThroughput,
		func(ctx context.Context) error { // unblocks the downlink workers' reads
			<-ctx.Done()
			n.closeN6()
			return nil
		},
	}
	for _, l := range n.dlLanes {
		fns = append(fns, l.readN6)
	}
	if n.nrf != nil {
		fns = append(fns, func(ctx context.Context) error { return n.nrf.Run(ctx, n.profile()) }, n.suspendOnDrain)
	}
	err := nfkit.RunAll(ctx, fns...)
	n.reports.Wait()
	if n.sbi != nil {
		n.sbi.CloseIdleConnections()
	}
	return err
}

// open sets up N6, then the GTP-U endpoint, then the PFCP node (whose
// handlers use the other two).
func (n *NF) open() error {
	if n.mem != nil {
		n.n6 = n.mem
	} else {
		tun, err := openTUN(n.cfg.N6.TUNName, n.cfg.N6.MTU, n.workers, n.pools)
		if err != nil {
			return fmt.Errorf("upf: %w", err)
		}
		n.n6 = tun
	}
	var err error
	n.gtp, err = gtpu.New(gtpu.Config{Addr: n.cfg.GTPU.Listen, PDUType: gtpu.PDUTypeDL, Logger: n.log,
		Sockets: n.workers, GSO: n.cfg.GTPU.GSO, OnErrorIndication: n.onErrorIndication})
	if err != nil {
		n.closeN6()
		return fmt.Errorf("upf: n3: %w", err)
	}
	if err := n.buildLanes(); err != nil {
		n.closeN6()
		return errors.Join(fmt.Errorf("upf: %w", err), n.gtp.Close())
	}
	n.node, err = pfcp.New(pfcp.Config{Role: pfcp.RoleUP, Addr: n.cfg.PFCP.Listen, NodeID: n.nodeID.String(),
		UP: n4Handler{n}, Logger: n.log,
		OnAssociationUp:   func(pfcp.PeerInfo) { n.stats.associations.Add(1) },
		OnAssociationDown: func(pfcp.PeerInfo) { n.stats.associations.Add(-1) },
	})
	if err != nil {
		n.closeN6()
		return errors.Join(fmt.Errorf("upf: n4: %w", err), n.gtp.Close())
	}
	return nil
}

// buildLanes gives each N3 read loop and each N6 queue its lane; downlink
// lane i reads N6 queue i and sends from N3 socket i.
func (n *NF) buildLanes() error {
	n.control.n6 = make([]n6Writer, n.n6.Queues())
	for i := range n.control.n6 {
		n.control.n6[i] = n.n6.Queue(i) // WritePacket is safe for any goroutine
	}
	n.ulLanes = make([]*lane, n.gtp.Sockets())
	for i := range n.ulLanes {
		n.ulLanes[i] = n.workerLane(n.stats.lanes[1+i], nil, nil)
	}
	n.dlLanes = make([]*lane, n.n6.Queues())
	for i := range n.dlLanes {
		b, err := n.gtp.NewBatch(i, n6BatchSize)
		if err != nil {
			return err
		}
		n.dlLanes[i] = n.workerLane(n.stats.lanes[1+n.workers+i], n.n6.Queue(i), b)
	}
	return nil
}

func (n *NF) closeN6() {
	if err := n.n6.Close(); err != nil {
		n.log.Warn("closing n6", "err", err)
	}
}

// onErrorIndication: a gNB does not know the TEID we sent downlink to.
func (n *NF) onErrorIndication(from netip.AddrPort, ei gtpu.ErrorIndication) {
	n.stats.errIndRx.Add(1)
	n.log.Debug("error indication from gNB", "from", from, "teid", ei.TEID, "peer", ei.PeerAddr)
}

// endpointCounts reads what the GTP-U endpoint counted (zero before Run).
func (n *NF) endpointCounts() endpointCounts {
	if n.bound.Load() == nil {
		return endpointCounts{}
	}
	s := n.gtp.Stats()
	return endpointCounts{unknownTEID: s.UnknownTEID.Load(), malformed: s.MalformedTotal(),
		errIndSent: s.ErrorIndicationSent.Load()}
}

// Ready implements nfkit.Readiness: N4 and N3 bound, N6 up and, with an
// NRF, registered.
func (n *NF) Ready() (bool, string) {
	switch {
	case n.bound.Load() == nil:
		return false, "pfcp and gtp-u sockets not bound"
	case n.nrf != nil && !n.nrf.Registered():
		return false, "not registered with the NRF"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new sessions are refused, the NRF
// profile turns SUSPENDED, existing sessions are served until the SMF
// deletes them.
func (n *NF) StartDrain() {
	n.drainOnce.Do(func() {
		n.draining.Store(true)
		close(n.drain)
	})
}

// Remaining implements nfkit.Drainer: the sessions still installed.
func (n *NF) Remaining() int { return n.Sessions() }
