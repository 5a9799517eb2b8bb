// Package pgw is corenf kind "pgw": the EPC PDN Gateway (TS 23.401
// §4.4.3.3; S5/S8 per TS 29.274, GTP-U per TS 29.281, Gx per TS 29.212).
//
// SGWs create PDN connections over GTPv2-C on S5/S8: the PGW picks the
// APN, hands the UE an IPv4 address from the APN's pool (a replica owns a
// slice of it), asks its policy (a PCRF over Gx, or local_policy) for the
// default bearer's QoS and the rules that get dedicated bearers, and
// answers with its S5/S8-U F-TEID and the PCO the UE asked for (DNS
// servers; the P-CSCF on the ims APN). Dedicated bearers are created and
// deleted toward the SGW (Create/Delete Bearer Request) when the policy
// installs or removes rules.
//
// User plane: G-PDUs from the SGW on S5/S8-U are decapsulated and written
// to the APN's SGi device (a TUN device whose pool egresses on the APN's
// own network: sgi for internet, ims for ims); downlink packets read from
// the device are matched to the UE's session by destination address, to a
// bearer by the TFTs of its dedicated bearers (else the default bearer),
// encapsulated in place and sent to the SGW in batches (sendmmsg).
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package pgw

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// Kind is the corenf kind name.
const Kind = "pgw"

// DefaultYAML is the default config, as shipped in the pgw image.
//
//go:embed default.yaml
var DefaultYAML []byte

// NF is a PGW.
type NF struct {
	cfg    Config
	log    *slog.Logger
	ops    *nfkit.Ops
	stats  *stats
	cAddr  netip.Addr // in our S5/S8-C F-TEID
	uAddr  netip.Addr // in our S5/S8-U F-TEIDs
	apns   []*apn
	policy Policy

	// Set by Run before anything reads them.
	gtpc   *gtpv2c.Conn
	gtpu   *gtpu.Endpoint
	runCtx context.Context
	bound  atomic.Pointer[Addrs]

	draining atomic.Bool
	bg       sync.WaitGroup // bearer procedures and policy calls after a response

	mu        sync.Mutex
	sessions  map[uint32]*session // by our S5/S8-C TEID
	byID      map[string]*session // by policy session ID
	byIMSIAPN map[string]*session // by imsi/apn, for InstallRules
	cTEIDs    gtpv2c.TEIDs
	uTEIDs    gtpv2c.TEIDs
	chargeID  atomic.Uint32
}

// Addrs are the bound sockets.
type Addrs struct {
	GTPC netip.AddrPort
	GTPU netip.AddrPort
}

// New builds a PGW from cfg. Sockets and devices are opened by Run.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pgw: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, stats: &stats{}, sessions: map[uint32]*session{},
		byID: map[string]*session{}, byIMSIAPN: map[string]*session{}}
	n.cAddr, _ = cfg.gtpcAddr() // validated above
	n.uAddr, _ = cfg.gtpuAddr()
	specs, _ := cfg.apns()
	for i, s := range specs {
		n.apns = append(n.apns, newAPN(s, i))
	}
	n.policy = localPolicy{cfg: cfg.LocalPolicy}
	if cfg.Gx.Enabled {
		gx, err := newGxPolicy(cfg.Gx, n, n.log)
		if err != nil {
			return nil, fmt.Errorf("pgw: %w", err)
		}
		n.policy = gx
	}
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("pgw: %w", err)
	}
	n.ops = ops
	if err := nfkit.Register(ops.Registry(), newCollector(n)); err != nil {
		return nil, fmt.Errorf("pgw: %w", err)
	}
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Addrs are the bound sockets, or nil before Run binds them.
func (n *NF) Addrs() *Addrs { return n.bound.Load() }

// MemoryDevice is the in-memory SGi device of APN name (sgi.mode
// memory), else nil.
func (n *NF) MemoryDevice(apnName string) *MemoryDevice {
	if a := n.apnByName(apnName); a != nil {
		return a.mem
	}
	return nil
}

// Run opens the SGi devices, binds S5/S8-C and -U, and serves until ctx
// ends.
func (n *NF) Run(ctx context.Context) error {
	n.runCtx = ctx
	if err := n.open(); err != nil {
		return err
	}
	defer n.closeDevices()
	n.bound.Store(&Addrs{GTPC: n.gtpc.LocalAddr(), GTPU: n.gtpu.LocalAddr()})
	for _, a := range n.apns {
		n.ops.SetRoutes(a.spec.cfg.SGi.Network, []netip.Prefix{a.spec.pool})
	}
	n.log.Info("pgw starting", "gtpc", n.gtpc.LocalAddr(), "gtpu", n.gtpu.LocalAddr(),
		"apns", n.apnNames(), "gx", n.cfg.Gx.Enabled)
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.gtpc.Run,
		n.gtpu.Run,
		func(ctx context.Context) error { // unblocks the downlink readers
			<-ctx.Done()
			n.closeDevices()
			return nil
		},
	}
	for _, a := range n.apns {
		fns = append(fns, a.downlinkLoop(n))
	}
	if r, ok := n.policy.(interface{ Run(context.Context) error }); ok {
		fns = append(fns, r.Run)
	}
	err := nfkit.RunAll(ctx, fns...)
	n.bg.Wait()
	return err
}

func (n *NF) open() error {
	for i, a := range n.apns {
		if err := a.open(); err != nil {
			for _, b := range n.apns[:i] {
				b.close(n.log)
			}
			return fmt.Errorf("pgw: %w", err)
		}
	}
	var err error
	n.gtpu, err = gtpu.New(gtpu.Config{Addr: n.cfg.GTPU.Listen, Logger: n.log})
	if err != nil {
		n.closeDevices()
		return fmt.Errorf("pgw: s5-u: %w", err)
	}
	for _, a := range n.apns {
		if a.batch, err = n.gtpu.NewBatch(0, dlBatch); err != nil {
			n.closeDevices()
			return errors.Join(fmt.Errorf("pgw: %w", err), n.gtpu.Close())
		}
	}
	n.gtpc, err = gtpv2c.New(gtpv2c.Config{Addr: n.cfg.GTPC.Listen, T3: n.cfg.GTPC.T3, N3: n.cfg.GTPC.N3,
		Handler: gtpcHandler{n}, Logger: n.log})
	if err != nil {
		n.closeDevices()
		return errors.Join(fmt.Errorf("pgw: s5-c: %w", err), n.gtpu.Close())
	}
	return nil
}

func (n *NF) closeDevices() {
	for _, a := range n.apns {
		a.close(n.log)
	}
}

func (n *NF) apnNames() []string {
	out := make([]string, len(n.apns))
	for i, a := range n.apns {
		out[i] = a.spec.cfg.Name
	}
	return out
}

// apnByName finds an APN by its network identifier: the configured name,
// case-insensitive, alone or followed by an operator identifier
// ("internet.mnc001.mcc001.gprs").
func (n *NF) apnByName(name string) *apn {
	name = strings.ToLower(name)
	for _, a := range n.apns {
		cfg := strings.ToLower(a.spec.cfg.Name)
		if name == cfg || strings.HasPrefix(name, cfg+".mnc") {
			return a
		}
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

// Ready implements nfkit.Readiness: sockets bound and, with Gx, the PCRF
// connected.
func (n *NF) Ready() (bool, string) {
	if n.bound.Load() == nil {
		return false, "gtp-c and gtp-u sockets not bound"
	}
	if r, ok := n.policy.(interface{ Ready() (bool, string) }); ok {
		return r.Ready()
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: new PDN connections are refused
// (cause 73, no resources available); existing ones are served until
// the SGW deletes them.
func (n *NF) StartDrain() { n.draining.Store(true) }

// Remaining implements nfkit.Drainer: the PDN connections held.
func (n *NF) Remaining() int { return n.Sessions() }

// Sessions is the number of PDN connections.
func (n *NF) Sessions() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.sessions)
}
