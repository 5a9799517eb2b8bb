// Package smf is corenf kind "smf": the 5GC Session Management Function
// (TS 23.502 §4.3.2, Nsmf_PDUSession per TS 29.502, N4 per TS 29.244).
//
// For each PDU session the AMF creates an SM context: the SMF checks the
// DNN against its own DNNs and the subscriber's sm-data (UDM), picks a UPF
// among those associated over N4 (fewest sessions first), takes a UE
// address from that UPF's slice of the DNN pool, asks the PCF for the
// session's policy (AMBR, default QoS), installs the PFCP session and
// answers 201; then it sends the AMF the N1 PDU Session Establishment
// Accept and the N2 PDU Session Resource Setup Request Transfer
// (Namf_Communication N1N2MessageTransfer). UpdateSMContext carries the
// gNB's tunnel (downlink FAR to FORW), idle transitions (BUFF+NOCP) and
// service requests; a Downlink Data Report from the UPF makes the SMF ask
// the AMF to page the UE. ReleaseSMContext, and the UE-requested release
// over N1, remove the PFCP session, the address and the policy.
//
// Sessions live in memory; each has its own lock, held across its own
// PFCP round trips only, so sessions proceed in parallel.
//
// Config (YAML, defaults in default.yaml, documented in README.md).
package smf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Kind is the corenf kind name.
const Kind = "smf"

// DefaultYAML is the default config, as shipped in the smf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// NF is an SMF.
type NF struct {
	cfg      Config
	log      *slog.Logger
	ops      *nfkit.Ops
	server   *sbi.Server
	client   *sbi.Client
	nrf      *nrfc.Client
	peers    *peers
	dnns     *dnnTable
	defaults qos
	upfs     *upfRegistry
	store    contextStore
	refs     refCounter
	metrics  *metrics
	handler  http.Handler
	upfPort  uint16 // N4 port of UPFs found through the NRF (nrf.upf_n4_port)

	node        atomic.Pointer[pfcp.Node]
	advertise   atomic.Pointer[string] // our apiRoot, once known
	bgCtx       atomic.Pointer[context.Context]
	bg          sync.WaitGroup // procedures that outlive a request
	kick        chan struct{}  // associate UPFs now
	discoverNow chan struct{}  // ask the NRF for UPFs now
	subscribed  atomic.Bool    // the NRF notifies us of UPF changes
	draining    atomic.Bool
	drain       chan struct{}
	drainOnce   sync.Once
	fallbackLog *logLimiter
}

// New builds an SMF from cfg; Run binds its sockets.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("smf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, upfs: newUPFRegistry(), upfPort: uint16(cfg.NRF.UPFN4Port),
		kick: make(chan struct{}, 1), discoverNow: make(chan struct{}, 1), drain: make(chan struct{}),
		fallbackLog: &logLimiter{every: 10 * time.Second, last: map[string]time.Time{}}}
	n.refs.prefix = strconv.FormatInt(time.Now().UnixNano()&0xffffffffff, 36)
	var err error
	if n.dnns, err = cfg.dnnTable(); err != nil {
		return nil, fmt.Errorf("smf: %w", err)
	}
	ambr, _ := cfg.Defaults.AMBR.parse("defaults.ambr") // validated
	n.defaults = qos{fiveQI: uint8(cfg.Defaults.FiveQI), arp: uint8(cfg.Defaults.ARP), ambr: ambr, source: "defaults"}
	for _, u := range cfg.UPFs {
		if err := n.upfs.addStatic(u); err != nil {
			return nil, fmt.Errorf("smf: %w", err)
		}
	}
	if n.server, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("smf: %w", err)
	}
	if n.client, err = sbi.NewClient(cfg.Client); err != nil {
		return nil, fmt.Errorf("smf: %w", err)
	}
	if cfg.NRF.URI != "" {
		if n.nrf, err = nrfc.New(n.client, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("smf: %w", err)
		}
	}
	n.peers = &peers{cfg: cfg.Peers, sbi: n.client, nrf: n.nrf, selfID: n.instanceID()}
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("smf: %w", err)
	}
	if n.metrics, err = newMetrics(n); err != nil {
		return nil, fmt.Errorf("smf: %w", err)
	}
	n.handler = n.routes()
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBI is the Nsmf server (its Addr and URL once listening).
func (n *NF) SBI() *sbi.Server { return n.server }

// Handler serves the SMF's SBI routes (what Run serves).
func (n *NF) Handler() http.Handler { return n.handler }

// PFCPAddr is the bound N4 address, invalid before Run binds it.
func (n *NF) PFCPAddr() (addr string, ok bool) {
	node := n.node.Load()
	if node == nil {
		return "", false
	}
	return node.LocalAddr().String(), true
}

// Sessions is the number of PDU sessions held.
func (n *NF) Sessions() int { return int(n.store.count.Load()) }

// Run serves until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.SBI.Listen)
	if err != nil {
		return fmt.Errorf("smf: sbi listen %s: %w", n.cfg.SBI.Listen, err)
	}
	pc := n.cfg.pfcpConfig()
	pc.Logger = n.log
	pc.OnSessionReport = n.onSessionReport
	pc.OnAssociationUp = n.onAssociationUp
	pc.OnAssociationDown = n.onAssociationDown
	pc.OnPeerRestart = n.onPeerRestart
	node, err := pfcp.New(pc)
	if err != nil {
		return errors.Join(fmt.Errorf("smf: %w", err), ln.Close())
	}
	adv := advertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Listen, n.cfg.SBI.Scheme(), ln.Addr())
	n.advertise.Store(&adv)
	bgCtx, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	n.bgCtx.Store(&bgCtx)
	n.node.Store(node)
	n.ops.SetInfo("pfcp", node.LocalAddr().String())
	n.ops.SetInfo("sbi", adv)
	n.log.Info("smf starting", "sbi", ln.Addr().String(), "pfcp", node.LocalAddr().String(),
		"nrf", n.cfg.NRF.URI, "dnns", len(n.dnns.entries), "upfs", len(n.cfg.UPFs))
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.server.Serve(ctx, ln, n.handler) },
		node.Run,
		n.maintainUPFs,
	}
	if n.nrf != nil {
		profile := n.profile(adv)
		fns = append(fns, func(ctx context.Context) error { return n.nrf.Run(ctx, profile) },
			n.suspendOnDrain, n.discoverUPFs, n.subscribeUPFs)
		if n.cfg.UPFDrain.MoveAfter > 0 {
			fns = append(fns, n.moveOffLeftUPFs)
		}
	}
	err = nfkit.RunAll(ctx, fns...)
	cancelBG()
	n.bg.Wait()
	n.client.CloseIdleConnections()
	return err
}

// goBG runs fn beside the request that started it, until Run ends.
func (n *NF) goBG(fn func(ctx context.Context)) {
	p := n.bgCtx.Load()
	if p == nil {
		return
	}
	n.bg.Go(func() { fn(*p) })
}

// Ready implements nfkit.Readiness.
func (n *NF) Ready() (bool, string) {
	switch {
	case n.server.Addr() == nil:
		return false, "sbi not listening"
	case n.node.Load() == nil:
		return false, "pfcp not bound"
	case n.cfg.Readiness.RequireUPF && n.upfs.associatedCount() == 0:
		return false, n.upfs.notReadyReason()
	case n.nrf != nil && !n.nrf.Registered():
		return false, "not registered with the NRF"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: the NRF profile turns SUSPENDED so
// AMFs pick other SMFs, and new SM contexts are refused (503); the
// sessions held are served until they are released.
func (n *NF) StartDrain() {
	n.drainOnce.Do(func() {
		n.draining.Store(true)
		close(n.drain)
	})
}

// Remaining implements nfkit.Drainer: the sessions held.
func (n *NF) Remaining() int { return n.Sessions() }

// errStopped: the SMF is shutting down.
var errStopped = errors.New("smf stopped")
