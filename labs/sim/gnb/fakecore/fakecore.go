// Package fakecore is a test double of the 5G core for the simulators'
// tests, at the NGAP and NAS level: one AMF (NG Setup, 5G AKA with real
// Milenage and resynchronisation, NAS security, registration, service
// request, deregistration, UE context release, paging) with a built-in SMF
// (PDU sessions from one address pool and DNN) and a UPF that echoes every
// uplink UDP packet back down its tunnel, as a UDP echo server on the DN
// would. Its crypto and codecs are the real ones (nf/aka, nf/proto/nas5g,
// nf/proto/n2, nf/proto/gtpu); the procedures are simplified and it keeps
// everything in memory. Use the real NFs where they exist.
package fakecore

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// Subscriber is what the home network holds for one SUPI.
type Subscriber struct {
	K, OPc []byte
	// SQN is the next sequence number a vector uses.
	SQN aka.SQN
}

// Config configures the fake core.
type Config struct {
	PLMN nas5g.PLMN
	// Subscribers by SUPI; Default (when set) serves any other IMSI, each
	// with its own SQN.
	Subscribers map[string]*Subscriber
	Default     *Subscriber
	// UEPool is where session addresses come from (default 10.45.0.0/16).
	UEPool netip.Prefix
	// DNN is the one DNN served (default "internet").
	DNN string
	// EncAlg and IntAlg are the NAS algorithms selected (default NEA2/NIA2).
	EncAlg, IntAlg uint8
	// HNKeys are the home network private keys by key ID, for SUCIs of
	// profiles A and B.
	HNKeys map[uint8]*ecdh.PrivateKey
	// SCTP is the N2 transport (default udp).
	SCTP sctp.Config
	Log  *slog.Logger
}

// Stats counts what the core did.
type Stats struct {
	Registered, Deregistered, AuthRejects, Resyncs      int
	Sessions, ServiceRequests, Pagings, ContextReleases int
	ErrorIndications, UplinkPackets                     int
}

// GUAMI is the one AMF identity the core serves.
var GUAMI = n2.GUAMI{RegionID: 0xCA, SetID: 1, Pointer: 1}

// Core is a running fake core.
type Core struct {
	cfg  Config
	log  *slog.Logger
	ln   sctp.Listener
	up   *gtpu.Endpoint
	snn  string
	pool netip.Prefix

	mu        sync.Mutex
	byAMFID   map[uint64]*ueCtx
	bySUPI    map[string]*ueCtx
	byTMSI    map[uint32]*ueCtx
	conns     map[sctp.Conn]bool
	nextAMFID uint64
	nextTMSI  uint32
	nextIP    netip.Addr
	nextTEID  uint32
	gnbN3Port uint16
	stats     Stats
	wg        sync.WaitGroup
}

// New binds the N2 listener and the N3 endpoint on 127.0.0.1.
func New(ctx context.Context, cfg Config) (*Core, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if !cfg.UEPool.IsValid() {
		cfg.UEPool = netip.MustParsePrefix("10.45.0.0/16")
	}
	if cfg.DNN == "" {
		cfg.DNN = "internet"
	}
	if cfg.EncAlg == 0 && cfg.IntAlg == 0 {
		cfg.EncAlg, cfg.IntAlg = nas5g.NEA2, nas5g.NIA2
	}
	if cfg.SCTP.Mode == "" {
		cfg.SCTP.Mode = sctp.ModeUDP
	}
	snn, err := aka.ServingNetworkName(cfg.PLMN.MCC, cfg.PLMN.MNC)
	if err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, log: cfg.Log, snn: snn, pool: cfg.UEPool.Masked(),
		byAMFID: map[uint64]*ueCtx{}, bySUPI: map[string]*ueCtx{}, byTMSI: map[uint32]*ueCtx{},
		conns: map[sctp.Conn]bool{}, nextAMFID: 1, nextTMSI: 0x1000, nextTEID: 0x100}
	c.nextIP = c.pool.Addr().Next()
	if c.ln, err = sctp.Listen(ctx, cfg.SCTP, "127.0.0.1:0", c.log); err != nil {
		return nil, fmt.Errorf("fakecore: n2: %w", err)
	}
	if c.up, err = gtpu.New(gtpu.Config{Addr: "127.0.0.1:0", PDUType: gtpu.PDUTypeDL, Logger: c.log}); err != nil {
		_ = c.ln.Close()
		return nil, fmt.Errorf("fakecore: n3: %w", err)
	}
	return c, nil
}

// N2Addr is the AMF's SCTP address.
func (c *Core) N2Addr() string { return c.ln.Addr().String() }

// N3Addr is the UPF's GTP-U address.
func (c *Core) N3Addr() netip.AddrPort { return c.up.LocalAddr() }

// SetGNBN3Port tells the UPF the gNB's GTP-U port (F-TEIDs carry none).
func (c *Core) SetGNBN3Port(p uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gnbN3Port = p
}

// Stats is a snapshot of the counters.
func (c *Core) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// SetSQN sets the next SQN used for supi (to provoke a synch failure).
func (c *Core) SetSQN(supi string, sqn aka.SQN) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.subscriberLocked(supi)
	if err != nil {
		return err
	}
	s.SQN = sqn
	return nil
}

// Run accepts gNB associations and serves them until ctx ends.
func (c *Core) Run(ctx context.Context) error {
	c.wg.Go(func() {
		if err := c.up.Run(ctx); err != nil {
			c.log.Error("fakecore n3", "err", err)
		}
	})
	defer c.wg.Wait()
	defer func() { _ = c.ln.Close() }()
	for {
		conn, err := c.ln.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("fakecore: accept: %w", err)
		}
		c.mu.Lock()
		c.conns[conn] = true
		c.mu.Unlock()
		c.wg.Go(func() { c.serve(ctx, conn) })
	}
}

func (c *Core) serve(ctx context.Context, conn sctp.Conn) {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer func() {
		c.mu.Lock()
		delete(c.conns, conn)
		c.mu.Unlock()
		_ = conn.Close()
	}()
	buf := make([]byte, sctp.MaxMessageSize)
	for {
		n, _, err := conn.ReadMsg(buf)
		if err != nil {
			return
		}
		pdu := append([]byte(nil), buf[:n]...)
		c.mu.Lock()
		c.handle(conn, pdu)
		c.mu.Unlock()
	}
}

// send encodes and writes an NGAP message; called with c.mu held.
func (c *Core) send(conn sctp.Conn, m n2.Message) {
	b, err := m.Encode()
	if err != nil {
		c.log.Error("fakecore encode", "err", err)
		return
	}
	stream := uint16(0)
	if m.ProcedureCode() != n2.ProcNGSetup && m.ProcedureCode() != n2.ProcPaging {
		stream = 1
	}
	if err := conn.WriteMsg(b, sctp.Info{Stream: stream, PPID: sctp.PPIDNGAP}); err != nil {
		c.log.Warn("fakecore send", "err", err)
	}
}

// handle dispatches one NGAP PDU; called with c.mu held.
func (c *Core) handle(conn sctp.Conn, pdu []byte) {
	m, err := n2.Decode(pdu)
	if err != nil {
		c.log.Warn("fakecore: bad ngap", "err", err)
		return
	}
	switch r := m.(type) {
	case *n2.NGSetupRequest:
		c.send(conn, &n2.NGSetupResponse{AMFName: "fake-amf", ServedGUAMIs: []n2.GUAMI{c.guami()},
			RelativeCapacity: 255, PLMNSupport: []n2.PLMNSupport{{PLMN: c.cfg.PLMN, Slices: []n2.SNSSAI{{SST: 1}}}}})
	case *n2.InitialUEMessage:
		c.initialUE(conn, r)
	case *n2.UplinkNASTransport:
		if u := c.byAMFID[r.AMFUENGAPID]; u != nil && u.ranID == r.RANUENGAPID {
			c.uplinkNAS(u, r.NASPDU)
		}
	case *n2.InitialContextSetupResponse:
		c.sessionsUp(r.AMFUENGAPID, r.Sessions)
	case *n2.PDUSessionResourceSetupResponse:
		c.sessionsUp(r.AMFUENGAPID, r.Sessions)
	case *n2.UEContextReleaseRequest:
		if u := c.byAMFID[r.AMFUENGAPID]; u != nil {
			c.send(conn, &n2.UEContextReleaseCommand{UEIDs: r.UEIDs, Cause: r.Cause})
		}
	case *n2.UEContextReleaseComplete:
		c.released(r.AMFUENGAPID)
	case *n2.ErrorIndication:
		c.stats.ErrorIndications++
	}
}

func (c *Core) guami() n2.GUAMI {
	g := GUAMI
	g.PLMN = c.cfg.PLMN
	return g
}

func (c *Core) subscriberLocked(supi string) (*Subscriber, error) {
	if s := c.cfg.Subscribers[supi]; s != nil {
		return s, nil
	}
	if c.cfg.Default == nil {
		return nil, fmt.Errorf("fakecore: unknown subscriber %s", supi)
	}
	if c.cfg.Subscribers == nil {
		c.cfg.Subscribers = map[string]*Subscriber{}
	}
	s := &Subscriber{K: c.cfg.Default.K, OPc: c.cfg.Default.OPc, SQN: c.cfg.Default.SQN}
	c.cfg.Subscribers[supi] = s
	return s, nil
}
