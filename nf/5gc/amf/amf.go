// Package amf is corenf kind "amf": the 5GC Access and Mobility Management
// Function. It serves N2 (NGAP over SCTP, TS 38.413) to gNBs, runs the
// NAS-5GS procedures of TS 24.501 with UEs (registration with 5G AKA
// through the AUSF and security mode control, deregistration, service
// request, PDU session relay to the SMF, paging) and serves
// Namf_Communication N1N2MessageTransfer (TS 29.518) to SMFs.
//
// Each UE context runs its procedures one at a time on its own serial
// executor (a goroutine only while it has work); SBI calls for one UE never
// hold up another UE or the gNB's read loop. Config: default.yaml and
// README.md.
package amf

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Kind is the corenf kind name.
const Kind = "amf"

// DefaultYAML is the default config, as shipped in the amf image.
//
//go:embed default.yaml
var DefaultYAML []byte

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("amf/default.yaml", DefaultYAML) }

// NF is an AMF.
type NF struct {
	cfg    Config
	log    *slog.Logger
	ops    *nfkit.Ops
	sbiSrv *sbi.Server
	client *sbi.Client
	nrf    *nrfc.Client
	peers  *peers
	m      *metrics
	id     string // nfInstanceId

	guami   n2.GUAMI
	plmn    nas5g.PLMN
	snn     string
	tais    []nas5g.TAI
	support []n2.PLMNSupport
	integ   []uint8
	cipher  []uint8

	runCtx  atomic.Pointer[context.Context]
	workers workers // UE executors
	n2Addr  atomic.Pointer[net.Addr]
	selfURI atomic.Pointer[string]
	gnbs    sync.Map // *gnb -> struct{}
	ues     registry
	stats   struct{ registered, connected, gnbs atomic.Int64 }

	draining   atomic.Bool
	drainStart atomic.Pointer[time.Time]
	drainCh    chan struct{}
}

// New builds an AMF from cfg.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("amf: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger, guami: cfg.GUAMI.guami(), plmn: cfg.GUAMI.plmn(),
		integ: cfg.Security.integrity(), cipher: cfg.Security.ciphering(), drainCh: make(chan struct{})}
	var err error
	if n.snn, err = aka.ServingNetworkName(n.plmn.MCC, n.plmn.MNC); err != nil {
		return nil, fmt.Errorf("amf: %w", err)
	}
	for _, t := range cfg.TAIList {
		n.tais = append(n.tais, nas5g.TAI{PLMN: nas5g.PLMN{MCC: t.MCC, MNC: t.MNC}, TAC: t.TAC})
	}
	for _, p := range cfg.PLMNSupport {
		ps := n2.PLMNSupport{PLMN: nas5g.PLMN{MCC: p.MCC, MNC: p.MNC}}
		for _, s := range p.Slices {
			sn, _ := s.snssai() // validated
			ps.Slices = append(ps.Slices, sn)
		}
		n.support = append(n.support, ps)
	}
	n.id = cfg.NRF.InstanceID
	if n.id == "" {
		n.id = nrfc.InstanceIDFor(nfkit.Instance())
	}
	if n.sbiSrv, err = sbi.NewServer(cfg.SBI, n.log); err != nil {
		return nil, fmt.Errorf("amf: %w", err)
	}
	if n.client, err = sbi.NewClient(cfg.Client); err != nil {
		return nil, fmt.Errorf("amf: %w", err)
	}
	if cfg.NRF.URI != "" {
		if n.nrf, err = nrfc.New(n.client, cfg.NRF.URI, nrfc.WithLogger(n.log)); err != nil {
			return nil, fmt.Errorf("amf: %w", err)
		}
	}
	n.peers = newPeers(n)
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, n); err != nil {
		return nil, fmt.Errorf("amf: %w", err)
	}
	if err := n.registerMetrics(); err != nil {
		return nil, fmt.Errorf("amf: %w", err)
	}
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// SBIURL is scheme://addr of the SBI server, "" before Run listens.
func (n *NF) SBIURL() string { return n.sbiSrv.URL() }

// N2Addr is the bound NGAP address, nil before Run listens.
func (n *NF) N2Addr() net.Addr {
	if p := n.n2Addr.Load(); p != nil {
		return *p
	}
	return nil
}

// InstanceID is the AMF's nfInstanceId.
func (n *NF) InstanceID() string { return n.id }

// Run serves N2 and the SBI until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.runCtx.Store(&ctx)
	var lc net.ListenConfig
	sbiLn, err := lc.Listen(ctx, "tcp", n.cfg.SBI.Listen)
	if err != nil {
		return fmt.Errorf("amf: sbi listen %s: %w", n.cfg.SBI.Listen, err)
	}
	n2Ln, err := sctp.Listen(ctx, n.cfg.N2.SCTP, n.cfg.N2.Listen, n.log)
	if err != nil {
		sbiLn.Close()
		return fmt.Errorf("amf: n2 listen %s: %w", n.cfg.N2.Listen, err)
	}
	n.ops.SetInfo("sctp", sctp.Chosen(n.cfg.N2.SCTP))
	a := n2Ln.Addr()
	n.n2Addr.Store(&a)
	self := advertiseURI(n.cfg.AdvertiseURI, n.cfg.SBI.Scheme(), sbiLn.Addr())
	n.selfURI.Store(&self)
	n.log.Info("amf starting", "n2", a.String(), "sbi", sbiLn.Addr().String(), "guami", n.guami,
		"nrf", n.cfg.NRF.URI, "network", n.cfg.NetworkName)
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		func(ctx context.Context) error { return n.sbiSrv.Serve(ctx, sbiLn, n.sbiHandler()) },
		func(ctx context.Context) error { return n.serveN2(ctx, n2Ln) },
	}
	if n.nrf != nil {
		fns = append(fns, func(ctx context.Context) error { return n.nrf.Run(ctx, n.profile(self)) }, n.suspendOnDrain)
	}
	err = nfkit.RunAll(ctx, fns...)
	cancel()
	n.workers.close()
	n.client.CloseIdleConnections() // peers shutting down need not wait for us
	return err
}

// ctx is the context procedures run under: Run's, or a cancelled one
// before Run.
func (n *NF) ctx() context.Context {
	if p := n.runCtx.Load(); p != nil {
		return *p
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Ready implements nfkit.Readiness: N2 and SBI listening and, with an
// NRF, registered.
func (n *NF) Ready() (bool, string) {
	switch {
	case n.N2Addr() == nil:
		return false, "n2 not listening"
	case n.sbiSrv.Addr() == nil:
		return false, "sbi not listening"
	case n.nrf != nil && !n.nrf.Registered():
		return false, "not registered with the NRF"
	}
	return true, ""
}

// StartDrain implements nfkit.Drainer: the NRF profile turns SUSPENDED so
// no new UEs are steered here; UEs already served keep being served.
func (n *NF) StartDrain() {
	if n.draining.CompareAndSwap(false, true) {
		now := time.Now()
		n.drainStart.Store(&now)
		close(n.drainCh)
	}
}

// Remaining implements nfkit.Drainer: registered UEs in CM-CONNECTED, or
// 0 once drain_timeout has passed since the drain started.
func (n *NF) Remaining() int {
	if t := n.drainStart.Load(); t != nil && n.cfg.DrainTimeout > 0 && time.Since(*t) >= n.cfg.DrainTimeout {
		return 0
	}
	return int(n.stats.connected.Load())
}

func (n *NF) suspendOnDrain(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-n.drainCh:
	}
	if err := n.nrf.SetStatus(ctx, models.Nrf_NFMgmt_NFStatus_SUSPENDED); err != nil && !errors.Is(err, context.Canceled) {
		n.log.Warn("could not mark the NRF profile SUSPENDED", "err", err)
	}
	return nil
}
