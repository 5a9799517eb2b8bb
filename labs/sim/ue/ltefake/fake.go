// Package ltefake is a test double of an eNB and an MME in one, for the
// UE simulator's lte mode: it speaks the simulated air interface
// (labs/sim/radio) to UE simulators, as labs/sim/enb does (S-TMSI prefix
// on Connect, S-TMSI paging, SessionReady per EPS bearer, data by EBI),
// and plays the network side of EPS NAS with the real crypto and codecs:
// EPS AKA vectors and resynchronisation from nf/aka, NAS security from
// nf/proto/naseps. Procedures: attach by IMSI or GUTI (with
// identification when the GUTI is unknown), authentication, security
// mode, ESM information, attach accept with the default bearer, PDN
// connectivity, dedicated bearer activation and deactivation, detach,
// service request, paging, tracking area update, release. It echoes
// uplink UDP to port 7 and records uplink packets. Everything is in
// memory, one radio socket on 127.0.0.1; the procedures are simplified.
// Use the real eNB and EPC where they exist.
package ltefake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// Subscriber is what the home network holds for every IMSI.
type Subscriber struct {
	K, OPc []byte
	// SQN is the first sequence number a vector uses.
	SQN aka.SQN
}

// PDN is one APN the network serves.
type PDN struct {
	APN  string
	Pool netip.Prefix
	// PCSCF and DNS are returned in the PCO when the UE asks.
	PCSCF, DNS []netip.Addr
}

// Config configures the double.
type Config struct {
	PLMN    naseps.PLMN
	Default Subscriber
	// EncAlg and IntAlg are the NAS algorithms selected (default
	// EEA2/EIA2; EEA0 is allowed).
	EncAlg, IntAlg uint8
	// PDNs served; the first is the subscription's default APN. Default:
	// internet on 10.46.0.0/16.
	PDNs []PDN
	// T3412 goes in the Attach Accept; 0 deactivates periodic TAU.
	T3412 time.Duration
	Log   *slog.Logger
}

// Stats counts what the network did.
type Stats struct {
	Attaches, AttachesByGUTI, IdentityRequests, AuthRejects, Resyncs int
	Detaches, SwitchOffs, ServiceRequests, Pagings, Releases, TAUs   int
	PDNConnections, DedicatedActivated, BearersDeactivated           int
	UplinkPackets, IntegrityFailures                                 int
	// LastIMEISV is the IMEISV of the last Security Mode Complete.
	LastIMEISV string
}

// Uplink is one user-plane packet received.
type Uplink struct {
	IMSI   string
	EBI    uint8
	Packet []byte
}

// maxUplinks bounds the packets remembered.
const maxUplinks = 4096

// Fake is a running double.
type Fake struct {
	cfg  Config
	log  *slog.Logger
	conn *net.UDPConn

	mu       sync.Mutex
	seqs     map[string]aka.SQN // next SQN per IMSI
	byKey    map[radioKey]*ueCtx
	byIMSI   map[string]*ueCtx
	gutis    map[uint32]string // M-TMSI -> IMSI, kept across detach
	sims     map[netip.AddrPort]bool
	pools    map[string]*pool
	nextTMSI uint32
	stats    Stats
	uplinks  []Uplink
}

// MMEGroupID and MMECode are the double's MME identity in its GUTIs.
const (
	MMEGroupID = 0x0101
	MMECode    = 0x01
)

// New binds the radio socket on 127.0.0.1.
func New(cfg Config) (*Fake, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.EncAlg == 0 && cfg.IntAlg == 0 {
		cfg.EncAlg, cfg.IntAlg = naseps.EEA2, naseps.EIA2
	}
	if len(cfg.PDNs) == 0 {
		cfg.PDNs = []PDN{{APN: "internet", Pool: netip.MustParsePrefix("10.46.0.0/16")}}
	}
	if _, err := aka.EncodePLMNID(cfg.PLMN.MCC, cfg.PLMN.MNC); err != nil {
		return nil, fmt.Errorf("ltefake: %w", err)
	}
	f := &Fake{cfg: cfg, log: cfg.Log, seqs: map[string]aka.SQN{}, byKey: map[radioKey]*ueCtx{},
		byIMSI: map[string]*ueCtx{}, gutis: map[uint32]string{}, sims: map[netip.AddrPort]bool{},
		pools: map[string]*pool{}, nextTMSI: 0x1000}
	for _, p := range cfg.PDNs {
		f.pools[p.APN] = newPool(p)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("ltefake: radio: %w", err)
	}
	f.conn = c
	return f, nil
}

// RadioAddr is the double's radio address (the UE simulator's enb).
func (f *Fake) RadioAddr() netip.AddrPort { return f.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Stats is a snapshot of the counters.
func (f *Fake) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// Uplinks lists the user-plane packets received, oldest first.
func (f *Fake) Uplinks() []Uplink {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Uplink(nil), f.uplinks...)
}

// SetSQN sets the next SQN used for imsi (to provoke a synch failure).
func (f *Fake) SetSQN(imsi string, sqn aka.SQN) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seqs[imsi] = sqn
}

// ForgetGUTIs drops every GUTI, as a restarted MME would: the next attach
// by GUTI runs the identification procedure.
func (f *Fake) ForgetGUTIs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gutis = map[uint32]string{}
}

// Run serves the radio until ctx ends.
func (f *Fake) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = f.conn.Close() })
	defer stop()
	buf := make([]byte, radio.HeaderLen+radio.MaxBody+1)
	for {
		n, from, err := f.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("ltefake: radio read: %w", err)
		}
		f.mu.Lock()
		f.handleRadio(netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n])
		f.mu.Unlock()
	}
}

// radioKey names a UE on the radio: its simulator and UE ID.
type radioKey struct {
	sim netip.AddrPort
	id  uint32
}

// handleRadio takes one datagram; called with f.mu held.
func (f *Fake) handleRadio(from netip.AddrPort, b []byte) {
	m, err := radio.Decode(b)
	if err != nil {
		f.log.Debug("ltefake: malformed radio", "err", err)
		return
	}
	key := radioKey{sim: from, id: m.UE}
	switch m.Type {
	case radio.Connect:
		f.sims[from] = true
		f.connect(key, m.Body)
	case radio.UplinkNAS:
		if c := f.byKey[key]; c != nil {
			f.uplinkNAS(c, m.Body)
		}
	case radio.UplinkData:
		f.uplinkData(key, uint8(m.Session), m.Body)
	case radio.Inactive:
		if c := f.byKey[key]; c != nil {
			f.release(c)
			return
		}
		f.sendRadio(key, radio.Release, 0, nil)
	}
}

// sendRadio puts one message on the air; called with f.mu held.
func (f *Fake) sendRadio(key radioKey, t radio.Type, ebi uint8, body []byte) {
	b, err := radio.Append(nil, radio.Message{Type: t, Session: uint16(ebi), UE: key.id, Body: body})
	if err != nil {
		f.log.Error("ltefake: radio encode", "type", t, "err", err)
		return
	}
	if _, err := f.conn.WriteToUDPAddrPort(b, key.sim); err != nil {
		f.log.Debug("ltefake: radio send", "err", err)
	}
}

// release ends a UE's connection (UE Context Release): radio Release,
// EMM-IDLE on both sides.
func (f *Fake) release(c *ueCtx) {
	if !c.connected {
		return
	}
	f.stats.Releases++
	c.connected = false
	delete(f.byKey, c.key)
	f.sendRadio(c.key, radio.Release, 0, nil)
}

// Release releases the UE with imsi (as an eNB's inactivity timer would).
func (f *Fake) Release(imsi string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byIMSI[imsi]
	if c == nil || !c.connected {
		return fmt.Errorf("ltefake: %s is not connected", imsi)
	}
	f.release(c)
	return nil
}

// pool hands out the addresses of one APN.
type pool struct {
	pdn  PDN
	next netip.Addr
	used map[netip.Addr]bool
}

func newPool(p PDN) *pool {
	return &pool{pdn: p, next: p.Pool.Masked().Addr().Next(), used: map[netip.Addr]bool{}}
}

func (p *pool) get() (netip.Addr, error) {
	for range 1 << 16 {
		a := p.next
		p.next = p.next.Next()
		if !p.pdn.Pool.Contains(p.next) {
			p.next = p.pdn.Pool.Masked().Addr().Next()
		}
		if p.pdn.Pool.Contains(a) && !p.used[a] {
			p.used[a] = true
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("ltefake: pool of %s exhausted", p.pdn.APN)
}

func (p *pool) put(a netip.Addr) { delete(p.used, a) }
