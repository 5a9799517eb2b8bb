package amf

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// mmState is the 5GMM state of a UE context.
type mmState uint8

const (
	mmDeregistered mmState = iota
	mmRegistering
	mmRegistered
)

// ue is one UE context. Its procedures run on exec, one at a time; mu
// guards the fields, held only for short stretches (never across an SBI
// call), so the N1N2 handler and the gNB read loops can reach in.
type ue struct {
	n    *NF
	exec serial

	mu       sync.Mutex
	state    mmState
	ran      *ranUE // nil: CM-IDLE
	supi     string
	suci     string
	guti     *nas5g.GUTI
	sec      *nas5g.SecurityContext
	ngKSI    nas5g.KSI
	kamf     aka.Key256
	secCap   nas5g.UESecurityCapability
	lastUL   nas5g.Count // COUNT of the last verified uplink NAS message
	allowed  []nas5g.SNSSAI
	ambr     n2.AMBR // subscribed UE-AMBR
	reg      *regProc
	timer    *nasTimer
	sessions map[uint8]*session
	pending  map[uint8]*smcontext.N1N2Request // N2 SM info held while paging
	gone     bool                             // removed from the registry
}

// ranUE is a UE's UE-associated logical NG connection with one gNB.
type ranUE struct {
	g        *gnb
	amfID    uint64
	ranID    uint32
	u        *ue
	loc      n2.UserLocation
	ctxSetup bool // Initial Context Setup done (guarded by u.mu)
	released bool // UE Context Release Command sent (guarded by u.mu)
}

func (r *ranUE) ids() n2.UEIDs { return n2.UEIDs{AMFUENGAPID: r.amfID, RANUENGAPID: r.ranID} }

// session is a PDU session the AMF relays to an SMF.
type session struct {
	id      uint8
	snssai  nas5g.SNSSAI
	dnn     string
	smfRoot string
	ref     string // smContextRef; "" until created
}

// registry indexes UE contexts. sync.Maps: reads dominate and keys are
// disjoint, so no lock is shared by all UEs.
type registry struct {
	byAMFID   sync.Map // uint64 -> *ranUE
	byTMSI    sync.Map // uint32 -> *ue
	bySUPI    sync.Map // string -> *ue
	nextAMFID atomic.Uint64
}

func (n *NF) newUE() *ue {
	return &ue{n: n, sessions: map[uint8]*session{}, ngKSI: nas5g.NoKey, ambr: defaultUEAMBR}
}

// do queues work on u's executor.
func (u *ue) do(f func()) {
	if !u.exec.do(&u.n.workers, f) {
		u.n.m.nasDiscarded.Inc()
	}
}

// logger names the UE by what is known of it.
func (u *ue) logger() *slog.Logger {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.loggerLocked()
}

func (u *ue) loggerLocked() *slog.Logger {
	l := u.n.log
	if u.supi != "" {
		l = l.With("supi", u.supi)
	} else if u.suci != "" {
		l = l.With("suci", u.suci)
	}
	if u.ran != nil {
		l = l.With("amf_ue_ngap_id", u.ran.amfID)
	}
	return l
}

// account adds delta to the registered/connected gauges for u's current
// state; callers bracket a change with account(-1) and account(+1).
func (u *ue) account(delta int64) {
	if u.state != mmRegistered || u.gone {
		return
	}
	u.n.stats.registered.Add(delta)
	if u.ran != nil {
		u.n.stats.connected.Add(delta)
	}
}

func (u *ue) setState(s mmState) {
	u.account(-1)
	u.state = s
	u.account(1)
}

func (u *ue) setRAN(r *ranUE) {
	u.account(-1)
	u.ran = r
	u.account(1)
}

// newRAN allocates an AMF UE NGAP ID for u's connection from g.
func (n *NF) newRAN(g *gnb, ranID uint32, loc n2.UserLocation, u *ue) *ranUE {
	r := &ranUE{g: g, ranID: ranID, loc: loc, u: u, amfID: n.ues.nextAMFID.Add(1) & (1<<40 - 1)}
	n.ues.byAMFID.Store(r.amfID, r)
	g.ues.Store(r.amfID, r)
	return r
}

// dropRAN forgets a connection (release complete or gNB lost).
func (n *NF) dropRAN(r *ranUE) {
	n.ues.byAMFID.CompareAndDelete(r.amfID, r)
	r.g.ues.CompareAndDelete(r.amfID, r)
}

// allocTMSI picks a random 5G-TMSI no UE holds and reserves it for u.
func (n *NF) allocTMSI(u *ue) (uint32, error) {
	var b [4]byte
	for range 16 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("random tmsi: %w", err)
		}
		t := binary.BigEndian.Uint32(b[:])
		if t == 0xFFFFFFFF {
			continue // reserved: no valid TMSI
		}
		if _, taken := n.ues.byTMSI.LoadOrStore(t, u); !taken {
			return t, nil
		}
	}
	return 0, fmt.Errorf("no free 5G-TMSI after 16 draws")
}

// bySTMSI finds the UE holding a 5G-S-TMSI of this AMF.
func (n *NF) bySTMSI(s nas5g.STMSI) *ue {
	if s.AMFSetID != n.guami.SetID || s.AMFPointer != n.guami.Pointer {
		return nil
	}
	if v, ok := n.ues.byTMSI.Load(s.TMSI); ok {
		return v.(*ue)
	}
	return nil
}

// byGUTI finds the UE holding a 5G-GUTI of this AMF.
func (n *NF) byGUTI(g nas5g.GUTI) *ue {
	if g.PLMN != n.plmn || g.AMFRegionID != n.guami.RegionID {
		return nil
	}
	return n.bySTMSI(g.STMSI())
}

// forget removes u from the registry for good (deregistered, or a
// registration that never completed). Caller holds u.mu.
func (u *ue) forgetLocked() {
	u.account(-1)
	u.gone = true
	if u.supi != "" {
		u.n.ues.bySUPI.CompareAndDelete(u.supi, u)
	}
	if u.guti != nil {
		u.n.ues.byTMSI.CompareAndDelete(u.guti.TMSI, u)
	}
	if u.reg != nil && u.reg.newTMSI != 0 {
		u.n.ues.byTMSI.CompareAndDelete(u.reg.newTMSI, u)
	}
	u.stopTimerLocked()
}
