package smf

import (
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// fakeUP is a UP-side PFCP node that records what the SMF installs and
// chooses F-TEIDs like a UPF.
type fakeUP struct {
	node   *pfcp.Node
	cancel context.CancelFunc
	done   chan error

	mu       sync.Mutex
	sessions map[uint64]*pfcp.Session // by UP SEID
	mods     []*pfcp.Modification
	deleted  []uint64
	nextTEID uint32
}

var fakeN3 = netip.MustParseAddr("192.0.2.33")

func startFakeUP(t testing.TB, addr netip.AddrPort) *fakeUP {
	t.Helper()
	return startFakeUPAt(t, addr, time.Time{})
}

// startFakeUPAt starts a UP node with the given Recovery Time Stamp (zero:
// now), so a restart within the same second is still a restart.
func startFakeUPAt(t testing.TB, addr netip.AddrPort, recovery time.Time) *fakeUP {
	t.Helper()
	u := &fakeUP{sessions: map[uint64]*pfcp.Session{}, nextTEID: 0x100}
	node, err := pfcp.New(pfcp.Config{Role: pfcp.RoleUP, Addr: addr.String(), NodeID: addr.Addr().String(), UP: u,
		Logger: nfkittest.Quiet(), T1: 200 * time.Millisecond, N1: 2, HeartbeatInterval: 200 * time.Millisecond,
		RecoveryTime: recovery})
	if err != nil {
		t.Fatal(err)
	}
	u.node = node
	ctx, cancel := context.WithCancel(context.Background())
	u.cancel, u.done = cancel, make(chan error, 1)
	go func() { u.done <- node.Run(ctx) }()
	t.Cleanup(u.stop)
	return u
}

func (u *fakeUP) addr() netip.AddrPort { return u.node.LocalAddr() }

// stop ends the node (idempotent).
func (u *fakeUP) stop() {
	if u.cancel == nil {
		return
	}
	u.cancel()
	<-u.done
	u.cancel = nil
}

func (u *fakeUP) OnEstablish(_ context.Context, s *pfcp.Session) ([]pfcp.CreatedPDR, pfcp.Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sessions[s.UPSEID] = s
	var created []pfcp.CreatedPDR
	for _, p := range s.PDRs {
		if p.PDI.LocalFTEID != nil && p.PDI.LocalFTEID.Choose {
			u.nextTEID++
			created = append(created, pfcp.CreatedPDR{ID: p.ID, LocalFTEID: &pfcp.FTEID{TEID: u.nextTEID, IPv4: fakeN3}})
		}
	}
	return created, pfcp.CauseRequestAccepted
}

func (u *fakeUP) OnModify(_ context.Context, m *pfcp.Modification) ([]pfcp.CreatedPDR, []pfcp.UsageReport, pfcp.Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sessions[m.UPSEID] == nil {
		return nil, nil, pfcp.CauseSessionContextNotFound
	}
	u.mods = append(u.mods, m)
	return nil, nil, pfcp.CauseRequestAccepted
}

func (u *fakeUP) OnDelete(_ context.Context, seid uint64) ([]pfcp.UsageReport, pfcp.Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sessions[seid] == nil {
		return nil, pfcp.CauseSessionContextNotFound
	}
	delete(u.sessions, seid)
	u.deleted = append(u.deleted, seid)
	return []pfcp.UsageReport{{URRID: urrSession, Trigger: pfcp.UsageTermination,
		Volume: &pfcp.VolumeMeasurement{Uplink: 1000, Downlink: 3000, Total: 4000}}}, pfcp.CauseRequestAccepted
}

// only returns the single session installed.
func (u *fakeUP) only(t testing.TB) (uint64, *pfcp.Session) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.sessions) != 1 {
		t.Fatalf("UP holds %d sessions, want 1", len(u.sessions))
	}
	for seid, s := range u.sessions {
		return seid, s
	}
	return 0, nil
}

func (u *fakeUP) lastMod(t testing.TB) *pfcp.Modification {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.mods) == 0 {
		t.Fatal("no session modification reached the UP")
	}
	return u.mods[len(u.mods)-1]
}

// startUPF runs the real UPF (N6 in memory) serving pool for internet,
// and a gNB GTP-U endpoint on a loopback address of its own (port 2152,
// where the UPF sends downlink).
func startUPF(t testing.TB, pool string) (*upf.NF, *fakeGNB) {
	t.Helper()
	cfg := upf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.PFCP.Listen = "127.0.0.1:0"
	cfg.GTPU.Listen = "127.0.0.1:0"
	cfg.N6.Mode = upf.N6ModeMemory
	cfg.UEPools = []upf.UEPool{{CIDR: pool, DNN: testDNN}}
	n, err := upf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, wait, "upf ready", func() bool { ok, _ := n.Ready(); return ok })
	return n, startGNB(t)
}

// fakeGNB receives downlink G-PDUs and sends uplink ones.
type fakeGNB struct {
	ep *gtpu.Endpoint
	rx chan gpdu
}

type gpdu struct {
	teid    uint32
	qfi     uint8
	payload []byte
}

func startGNB(t testing.TB) *fakeGNB {
	t.Helper()
	var ep *gtpu.Endpoint
	var err error
	for range 5 { // a random loopback address whose 2152 is free
		ep, err = gtpu.New(gtpu.Config{Addr: netip.AddrPortFrom(randomLoopback(), gtpuPort).String(),
			PDUType: gtpu.PDUTypeUL, Logger: nfkittest.Quiet()})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGNB{ep: ep, rx: make(chan gpdu, 64)}
	if err := ep.AddTunnel(gnbTEID, gtpu.HandlerFunc(func(_ netip.AddrPort, h *gtpu.Header, p []byte) {
		g.rx <- gpdu{teid: h.TEID, qfi: h.PDUSession.QFI, payload: append([]byte(nil), p...)}
	})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ep.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gNB endpoint: %v", err)
		}
	})
	return g
}

func (g *fakeGNB) tunnel() n2.GTPTunnel {
	return n2.GTPTunnel{Addr: g.ep.LocalAddr().Addr(), TEID: gnbTEID}
}

// ipv4UDP is an IPv4/UDP packet of size octets from src to dst.
func ipv4UDP(src, dst netip.Addr, size int) []byte {
	p := make([]byte, size)
	p[0], p[8], p[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(p[2:], uint16(size))
	s, d := src.As4(), dst.As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(p[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(p[20:], 4000)
	binary.BigEndian.PutUint16(p[22:], 5000)
	binary.BigEndian.PutUint16(p[24:], uint16(size-20))
	return p
}
func (u *fakeUP) deletedSEIDs() []uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.deleted)
}

func (u *fakeUP) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.sessions)
}
