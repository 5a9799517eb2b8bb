// Package gtpgen is corenf kind "gtpgen": a GTP-U traffic generator that
// benchmarks one UPF. It plays three parts at once:
//
//   - the SMF on N4: it associates with the UPF over PFCP (nf/proto/pfcp)
//     and, per run, installs N sessions (uplink PDR on a UPF-chosen F-TEID
//     with outer header removal, FAR to the core; downlink PDR on the UE
//     address, FAR encapsulating toward our N3 on a per-session TEID),
//     and deletes them at the end, leaving the UPF clean;
//   - the gNB on N3: uplink G-PDUs, each carrying an IPv4/UDP packet from a
//     UE address to our N6 address, and downlink G-PDUs received back;
//   - the data network on N6: uplink packets received after the UPF
//     decapsulated them, and downlink UDP sent to the UE addresses.
//
// Every payload starts with a probe (run, session, sequence number, send
// time), so each direction's loss, duplicates, reordering and one-way
// latency are measured exactly. Sockets use sendmmsg/recvmmsg batches and
// pacing sleeps per batch, never per packet.
//
// Kernel mode (kernel.go) measures the baseline a UPF is compared with:
// plain UDP through the same sockets and veths, forwarded by the kernel of
// the UPF's namespace with the UPF process left out.
//
// Runs are started with POST /gtpgen/run on the ops server, or
// Generator.Run in Go. Config (YAML, defaults in default.yaml, documented
// in README.md).
package gtpgen

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"

	"github.com/corebox/corebox/nf/nfkit"
)

// Kind is the corenf kind name.
const Kind = "gtpgen"

// DefaultYAML is the default config, as shipped in the gtpgen image.
//
//go:embed default.yaml
var DefaultYAML []byte

// NF is a running gtpgen: the Generator and its ops server.
type NF struct {
	cfg Config
	log *slog.Logger
	ops *nfkit.Ops
	gen *Generator
}

// New builds a gtpgen whose N6 is a UDP socket on n6.listen; Run binds it.
func New(cfg Config, opts ...nfkit.Option) (*NF, error) { return NewWithN6(cfg, nil, opts...) }

// NewWithN6 builds a gtpgen on the given N6 port (nil: a UDP socket on
// n6.listen), e.g. NewMemoryN6 over an in-process UPF's N6 in tests.
func NewWithN6(cfg Config, n6 N6Port, opts ...nfkit.Option) (*NF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gtpgen: %w", err)
	}
	o := nfkit.Apply(Kind, opts)
	n := &NF{cfg: cfg, log: o.Logger}
	ops, err := nfkit.NewOps(Kind, n.log, n, n)
	if err != nil {
		return nil, fmt.Errorf("gtpgen: %w", err)
	}
	n.ops = ops
	n.gen = newGenerator(cfg, n6, n.log, ops.SetInfo)
	if n.gen.m, err = newMetrics(ops.Registry(), n.gen); err != nil {
		return nil, fmt.Errorf("gtpgen: %w", err)
	}
	n.routes()
	return n, nil
}

// Ops is the ops server.
func (n *NF) Ops() *nfkit.Ops { return n.ops }

// Generator runs the traffic.
func (n *NF) Generator() *Generator { return n.gen }

// Ready implements nfkit.Readiness: sockets bound and the UPF associated.
func (n *NF) Ready() (bool, string) { return n.gen.Ready() }

// StartDrain implements nfkit.Drainer: no new runs.
func (n *NF) StartDrain() { n.gen.draining.Store(true) }

// Remaining implements nfkit.Drainer: 1 while a run is in progress.
func (n *NF) Remaining() int {
	if n.gen.busy.Load() {
		return 1
	}
	return 0
}

// Run binds N4, N3 and N6, routes the UE pool via the UPF (upf.n6),
// associates and serves runs until ctx ends. A run in progress then stops
// and deletes its sessions before Run returns.
func (n *NF) Run(ctx context.Context) error {
	return nfkit.RunAll(ctx,
		func(ctx context.Context) error { return n.ops.Run(ctx, n.cfg.Ops.Listen) },
		n.gen.serve,
	)
}
