package mme

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// emmState is the EMM state of a UE context (TS 24.301 5.1.3.4).
type emmState uint8

const (
	emmDeregistered emmState = iota
	emmRegistering           // an attach is under way
	emmRegistered
)

// ue is one UE context. Its procedures run on exec, one at a time; mu
// guards the fields, held only for short stretches (never across an S6a
// or S11 round trip), so the S11 handlers and the eNB read loops can
// reach in.
type ue struct {
	m    *MME
	exec serial

	mu        sync.Mutex
	state     emmState
	conn      *enbUE // nil: ECM-IDLE
	imsi      string
	guti      *naseps.GUTI
	sec       *naseps.SecurityContext
	ksi       uint8 // eKSI of the native security context
	kasme     aka.Key256
	netCap    naseps.UENetworkCapability
	lastUL    uint32 // COUNT of the last verified uplink NAS message
	kenbCount uint32 // uplink NAS COUNT KeNB is derived from
	sub       *subscription
	sgw       netip.AddrPort // the UE's SGW (S11)
	teid      uint32         // our S11 TEID for the UE; 0 until the first session
	pdns      map[uint8]*pdn // by default bearer EBI
	attach    *attachProc
	closing   map[uint8]chan struct{} // bearers being deactivated, closed on the UE's accept
	// afterConnect runs once the UE has a context in the eNB again
	// (held while it is paged).
	afterConnect []func()
	// afterAttach runs once the attach under way completed (a failed
	// attach leaves its entries to time out in onCreateBearer).
	afterAttach []func()
	timer       *nasTimer
	tai         naseps.TAI // last reported
	paging      bool       // paged, waiting for the Service Request
	gone        bool       // removed from the registry
}

// enbUE is a UE's UE-associated logical S1 connection with one eNB.
type enbUE struct {
	e        *enb
	mmeID    uint32
	enbID    uint32
	u        *ue
	ctxSetup bool // Initial Context Setup done (guarded by u.mu)
	released bool // UE Context Release Command sent (guarded by u.mu)
}

func (c *enbUE) ids() s1ap.UEIDs { return s1ap.UEIDs{MMEUES1APID: c.mmeID, ENBUES1APID: c.enbID} }

// registry indexes UE contexts. sync.Maps: reads dominate and keys are
// disjoint, so no lock is shared by all UEs.
type registry struct {
	byMMEID   sync.Map // uint32 MME UE S1AP ID -> *enbUE
	byTMSI    sync.Map // uint32 M-TMSI -> *ue
	byIMSI    sync.Map // string -> *ue
	byTEID    sync.Map // uint32 our S11 TEID -> *ue
	nextMMEID atomic.Uint32
	nextTEID  atomic.Uint32
}

// Buckets of the UEs-by-state gauge; every context is in exactly one
// while it is registered with the MME.
const (
	bucketDeregistered = iota
	bucketAttaching
	bucketIdle
	bucketConnected
	nBuckets
)

var bucketNames = [nBuckets]string{"deregistered", "attaching", "idle", "connected"}

// ueStats are the gauges kept as counters: UEs per bucket, eNBs set up,
// PDN connections held.
type ueStats struct {
	n          [nBuckets]atomic.Int64
	enbs, pdns atomic.Int64
}

func (s *ueStats) count(b int) int64 { return s.n[b].Load() }

func (s *ueStats) total() int64 {
	var t int64
	for i := range s.n {
		t += s.n[i].Load()
	}
	return t
}

// bucketLocked is u's bucket, -1 once gone.
func (u *ue) bucketLocked() int {
	switch {
	case u.gone:
		return -1
	case u.state == emmDeregistered:
		return bucketDeregistered
	case u.state == emmRegistering:
		return bucketAttaching
	case u.conn != nil:
		return bucketConnected
	}
	return bucketIdle
}

// changeLocked applies f and moves u between the state buckets.
func (u *ue) changeLocked(f func()) {
	before := u.bucketLocked()
	f()
	if after := u.bucketLocked(); after != before {
		if before >= 0 {
			u.m.stats.n[before].Add(-1)
		}
		if after >= 0 {
			u.m.stats.n[after].Add(1)
		}
	}
}

func (u *ue) setStateLocked(s emmState) { u.changeLocked(func() { u.state = s }) }

func (u *ue) setConnLocked(c *enbUE) { u.changeLocked(func() { u.conn = c }) }

// newUE makes a context, counted as deregistered.
func (m *MME) newUE() *ue {
	u := &ue{m: m, pdns: map[uint8]*pdn{}, ksi: naseps.KSINoKey}
	m.stats.n[bucketDeregistered].Add(1)
	return u
}

// do queues work on u's executor.
func (u *ue) do(f func()) {
	if !u.exec.post(&u.m.workers, f) {
		u.m.m.nasDiscarded.Inc()
	}
}

// logger names the UE by what is known of it.
func (u *ue) logger() *slog.Logger {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.loggerLocked()
}

func (u *ue) loggerLocked() *slog.Logger {
	l := u.m.log
	if u.imsi != "" {
		l = l.With("imsi", u.imsi)
	}
	if u.conn != nil {
		l = l.With("mme_ue_s1ap_id", u.conn.mmeID)
	}
	return l
}

// newConn allocates an MME UE S1AP ID for u's connection from e.
func (m *MME) newConn(e *enb, enbID uint32, u *ue) *enbUE {
	id := m.ues.nextMMEID.Add(1)
	for id == 0 {
		id = m.ues.nextMMEID.Add(1)
	}
	c := &enbUE{e: e, enbID: enbID, u: u, mmeID: id}
	m.ues.byMMEID.Store(id, c)
	e.ues.Store(id, c)
	return c
}

// dropConn forgets a connection (release complete or eNB lost).
func (m *MME) dropConn(c *enbUE) {
	m.ues.byMMEID.CompareAndDelete(c.mmeID, c)
	c.e.ues.CompareAndDelete(c.mmeID, c)
}

// allocTMSI picks a random M-TMSI no UE holds and reserves it for u.
func (m *MME) allocTMSI(u *ue) (uint32, error) {
	var b [4]byte
	for range 16 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("random M-TMSI: %w", err)
		}
		t := binary.BigEndian.Uint32(b[:])
		if t == 0 || t == 0xFFFFFFFF {
			continue
		}
		if _, taken := m.ues.byTMSI.LoadOrStore(t, u); !taken {
			return t, nil
		}
	}
	return 0, fmt.Errorf("no free M-TMSI after 16 draws")
}

// gutiOf is our GUTI with M-TMSI tmsi.
func (m *MME) gutiOf(tmsi uint32) *naseps.GUTI {
	return &naseps.GUTI{PLMN: m.plmn, MMEGroupID: m.cfg.MMEGroupID, MMECode: m.cfg.MMECode, MTMSI: tmsi}
}

// byGUTI finds the UE holding a GUTI of this MME.
func (m *MME) byGUTI(g naseps.GUTI) *ue {
	if g.PLMN != m.plmn || g.MMEGroupID != m.cfg.MMEGroupID || g.MMECode != m.cfg.MMECode {
		return nil
	}
	return m.byTMSI(g.MTMSI)
}

// bySTMSI finds the UE an S-TMSI of this MME names.
func (m *MME) bySTMSI(s s1ap.STMSI) *ue {
	if s.MMEC != m.cfg.MMECode {
		return nil
	}
	return m.byTMSI(s.MTMSI)
}

func (m *MME) byTMSI(t uint32) *ue {
	if v, ok := m.ues.byTMSI.Load(t); ok {
		return v.(*ue)
	}
	return nil
}

func (m *MME) byIMSI(imsi string) *ue {
	if v, ok := m.ues.byIMSI.Load(imsi); ok {
		return v.(*ue)
	}
	return nil
}

func (m *MME) byTEID(teid uint32) *ue {
	if v, ok := m.ues.byTEID.Load(teid); ok {
		return v.(*ue)
	}
	return nil
}

// s11TEIDLocked gives u its S11 TEID, allocating it on first use.
func (u *ue) s11TEIDLocked() uint32 {
	if u.teid != 0 {
		return u.teid
	}
	for {
		t := u.m.ues.nextTEID.Add(1)
		if t == 0 {
			continue
		}
		if _, taken := u.m.ues.byTEID.LoadOrStore(t, u); !taken {
			u.teid = t
			return t
		}
	}
}

// setIMSILocked indexes u by IMSI; an older context of the same
// subscriber is told to go away.
func (u *ue) setIMSILocked(imsi string) {
	u.imsi = imsi
	prev, loaded := u.m.ues.byIMSI.Swap(imsi, u)
	if loaded && prev.(*ue) != u {
		p := prev.(*ue)
		p.do(p.displaced)
	}
}

// forgetLocked removes u from the registry for good.
func (u *ue) forgetLocked() {
	u.stopTimerLocked()
	u.changeLocked(func() { u.gone = true })
	if u.imsi != "" {
		u.m.ues.byIMSI.CompareAndDelete(u.imsi, u)
	}
	if u.guti != nil {
		u.m.ues.byTMSI.CompareAndDelete(u.guti.MTMSI, u)
	}
	if a := u.attach; a != nil && a.newTMSI != 0 {
		u.m.ues.byTMSI.CompareAndDelete(a.newTMSI, u)
	}
	if u.teid != 0 {
		u.m.ues.byTEID.CompareAndDelete(u.teid, u)
	}
}

// current reports whether c is still the UE's connection.
func (u *ue) current(c *enbUE) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conn == c
}
