// Package ue is corenf kind "ue": many simulated UEs in one process. Each
// UE has a USIM (nf/aka), conceals its SUPI in a SUCI, and runs the 5GS
// NAS procedures (nf/proto/nas5g) of a real UE: registration with 5G AKA
// and NAS security, PDU session establishment, service request (also when
// paged), idle, deregistration. They reach the gNB simulator over the
// simulated air interface (labs/sim/radio). Session addresses go on a TUN
// device with a source rule each, so ordinary programs use them (tun
// mode), or stay in memory for tests (memory mode).
//
// With rat: lte the UEs are LTE UEs instead, towards the eNB simulator:
// EPS NAS (nf/proto/naseps) with EPS AKA, attach by IMSI or GUTI, PDN
// connections (the PCO's P-CSCF and DNS kept), dedicated bearers whose
// TFTs steer uplink packets, service request, paging, tracking area
// update and detach (the lte_*.go files).
//
// The control API of labs/simapi is served on the ops server:
//
//	POST /ues/register /ues/sessions /ues/traffic /ues/idle /ues/deregister
//	GET  /ues
//	lte: GET /ues/pdns, POST /ues/tau
//	lte, IMS (ims_*.go): POST /ues/ims/register /ues/ims/deregister /ues/calls, GET /ues/calls
//
// Config (YAML, defaults in default.yaml, documented in README.md):
//
//	gnb: "10.0.9.2:4997"
//	radio: {listen: "${self.ran}:0"}
//	ues: {imsi: "001010000000001", count: 10, k: ..., opc: ...}
//	data_plane: {mode: tun}
//
// Ready once the radio socket is bound and the data plane is up.
package ue

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit"
)

// Kind is the corenf kind name.
const Kind = "ue"

// DefaultYAML is the default config, as shipped in the ue image.
//
//go:embed default.yaml
var DefaultYAML []byte

// DefaultConfig is default.yaml decoded.
func DefaultConfig() Config { return nfkit.MustDecode[Config]("ue/default.yaml", DefaultYAML) }

// NF is a running UE simulator.
type NF struct {
	cfg Config
	res resolved
	snn string
	log *slog.Logger
	ops *nfkit.Ops
	m   *metrics
	ues []*UE
	dp  dataPlane
	ims *imsNF // lte mode only

	conn atomic.Pointer[net.UDPConn]
	ctx  atomic.Pointer[context.Context]

	tmsiMu sync.Mutex
	byTMSI map[[6]byte]*UE // by Paging body
}

// New builds the simulator and its UEs from cfg; Run binds and serves.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) {
	res, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("ue: %w", err)
	}
	snn, err := aka.ServingNetworkName(res.plmn.MCC, res.plmn.MNC)
	if err != nil {
		return nil, fmt.Errorf("ue: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, res: res, snn: snn, log: o.Logger, byTMSI: map[[6]byte]*UE{}}
	if cfg.DataPlane.Mode == ModeMemory {
		n.dp = newMemoryPlane(n)
	} else {
		n.dp = newTUNPlane(n)
	}
	n.ues = make([]*UE, cfg.UEs.Count)
	for i := range n.ues {
		if n.ues[i], err = newUE(n, i); err != nil {
			return nil, err
		}
	}
	if n.ops, err = nfkit.NewOps(Kind, n.log, n, nil); err != nil {
		return nil, fmt.Errorf("ue: %w", err)
	}
	if n.m, err = newMetrics(n.ops.Registry(), n); err != nil {
		return nil, fmt.Errorf("ue: %w", err)
	}
	if res.lte {
		if n.ims, err = newIMSNF(n); err != nil {
			return nil, fmt.Errorf("ue: %w", err)
		}
	}
	n.routes()
	return n, nil
}

// Ops is the simulator's ops server (with the control API).
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Ready implements nfkit.Readiness.
func (n *NF) Ready() (bool, string) {
	if n.conn.Load() == nil {
		return false, "radio socket not bound yet"
	}
	if !n.dp.ready() {
		return false, "data plane not up yet"
	}
	return true, ""
}

// RadioAddr is the bound radio address (nil before Run binds it).
func (n *NF) RadioAddr() net.Addr {
	if c := n.conn.Load(); c != nil {
		return c.LocalAddr()
	}
	return nil
}

// UEs lists the simulated UEs.
func (n *NF) UEs() []*UE { return n.ues }

// Run binds the radio socket and runs the UEs, the data plane and the ops
// server until ctx ends.
func (n *NF) Run(ctx context.Context) error {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", n.cfg.Radio.Listen)
	if err != nil {
		return fmt.Errorf("ue: radio: %w", err)
	}
	c := pc.(*net.UDPConn)
	if err := nfkit.GrowUDPBuffers(c); err != nil {
		c.Close()
		return fmt.Errorf("ue: radio: %w", err)
	}
	n.conn.Store(c)
	n.log.Info("ue simulator radio bound", "addr", c.LocalAddr().String(), "gnb", n.res.gnb.String(), "ues", len(n.ues))
	defer n.closeIMS()
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error {
			n.ctx.Store(&ctx)
			var wg sync.WaitGroup
			for _, u := range n.ues {
				wg.Go(func() { u.loop(ctx) })
			}
			wg.Wait()
			return nil
		},
		func(ctx context.Context) error { return n.radioLoop(ctx, c) },
		n.dp.run,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
	)
}

// runCtx is the context of Run (Background before Run).
func (n *NF) runCtx() context.Context {
	if p := n.ctx.Load(); p != nil {
		return *p
	}
	return context.Background()
}

var errNotRunning = errors.New("radio socket not bound")

// send puts a radio message on the air towards the gNB.
func (n *NF) send(m radio.Message) error {
	c := n.conn.Load()
	if c == nil {
		return errNotRunning
	}
	b, err := radio.Append(nil, m)
	if err != nil {
		return fmt.Errorf("radio encode %s: %w", m.Type, err)
	}
	if _, err := c.WriteToUDPAddrPort(b, n.res.gnb); err != nil {
		return fmt.Errorf("radio send %s: %w", m.Type, err)
	}
	return nil
}

// uplink sends one IP packet up a UE's session; in lte mode session is
// the default bearer, and a dedicated bearer's TFT may claim the packet.
func (n *NF) uplink(u *UE, session uint8, pkt []byte) error {
	if u.eps != nil {
		session = u.eps.uplinkEBI(session, pkt)
	}
	if err := u.send(radio.UplinkData, session, pkt); err != nil {
		n.m.dropped.WithLabelValues("send_error").Inc()
		return err
	}
	n.m.ulPackets.Inc()
	n.m.ulBytes.Add(float64(len(pkt)))
	return nil
}

// reindex keeps the (5G-)S-TMSI index paging looks UEs up in.
func (n *NF) reindex(u *UE, old, cur snapshot) {
	if old.registered == cur.registered && old.pagingKey == cur.pagingKey {
		return
	}
	n.tmsiMu.Lock()
	defer n.tmsiMu.Unlock()
	if old.registered && n.byTMSI[old.pagingKey] == u {
		delete(n.byTMSI, old.pagingKey)
	}
	if cur.registered {
		n.byTMSI[cur.pagingKey] = u
	}
}

func (n *NF) byPaging(key [6]byte) *UE {
	n.tmsiMu.Lock()
	defer n.tmsiMu.Unlock()
	return n.byTMSI[key]
}

// counts is what the gauges report.
type counts struct{ registered, connected, sessions, bearers int }

func (n *NF) count() counts {
	var c counts
	for _, u := range n.ues {
		s := u.snapshot()
		if s.registered {
			c.registered++
		}
		if s.connected {
			c.connected++
		}
		c.sessions += len(s.sessions)
		c.bearers += s.bearers
	}
	return c
}
