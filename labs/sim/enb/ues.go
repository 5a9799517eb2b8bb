package enb

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/s1ap"
)

// ueKey names a UE on the radio side: its simulator's address and the UE
// ID that simulator chose.
type ueKey struct {
	sim netip.AddrPort
	id  uint32
}

func (k ueKey) String() string { return fmt.Sprintf("%s/%d", k.sim, k.id) }

// ueCtx is one UE's context in the eNB (RRC connected, S1-associated).
// Fields other than key, enbID, link and the atomics are guarded by the
// table's mutex.
type ueCtx struct {
	key   ueKey
	enbID uint32 // eNB UE S1AP ID, 24 bits
	link  *mmeLink
	mmeID uint32
	// hasMMEID: the MME has named its UE S1AP ID (first downlink message).
	hasMMEID bool
	kenb     [32]byte
	erabs    map[uint8]*erab
	// lastActive is when NAS or user data last went either way (unix
	// nanoseconds; kept only with an inactivity timer).
	lastActive atomic.Int64
	// releaseAsked: a UE Context Release Request for inactivity went out
	// since the last activity.
	releaseAsked atomic.Bool
}

func (u *ueCtx) ids() s1ap.UEIDs { return s1ap.UEIDs{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID} }

// erab is one E-RAB's user plane in the eNB. It is not changed once
// stored.
type erab struct {
	id     uint8          // E-RAB ID = EPS bearer identity
	dlTEID uint32         // ours, on S1-U
	ul     s1ap.GTPTunnel // the SGW's
	qci    uint8
}

// ueTable holds the UE contexts, by radio key and by eNB UE S1AP ID.
type ueTable struct {
	mu     sync.Mutex
	max    int
	byKey  map[ueKey]*ueCtx
	byENB  map[uint32]*ueCtx
	nextID uint32
	nerabs int
}

func newUETable(maxUEs int) *ueTable {
	return &ueTable{max: maxUEs, byKey: map[ueKey]*ueCtx{}, byENB: map[uint32]*ueCtx{}, nextID: 1}
}

var (
	errFull = errors.New("enb: UE table full")
	errGone = errors.New("enb: UE context released")
)

// add creates a context for key, replacing (and returning) any old one.
func (t *ueTable) add(key ueKey, link *mmeLink) (ue, old *ueCtx, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old = t.byKey[key]
	if old != nil {
		t.removeLocked(old)
	}
	if len(t.byKey) >= t.max {
		return nil, old, errFull
	}
	for t.nextID == 0 || t.nextID > maxENBUEIDs || t.byENB[t.nextID] != nil {
		t.nextID++
		if t.nextID > maxENBUEIDs {
			t.nextID = 1
		}
	}
	ue = &ueCtx{key: key, enbID: t.nextID, link: link, erabs: map[uint8]*erab{}}
	t.nextID++
	t.byKey[key] = ue
	t.byENB[ue.enbID] = ue
	return ue, old, nil
}

// remove drops ue if it is still the context held for its key.
func (t *ueTable) remove(ue *ueCtx) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byENB[ue.enbID] != ue {
		return false
	}
	t.removeLocked(ue)
	return true
}

func (t *ueTable) removeLocked(ue *ueCtx) {
	delete(t.byKey, ue.key)
	delete(t.byENB, ue.enbID)
	t.nerabs -= len(ue.erabs)
}

// lookup finds a context by radio key.
func (t *ueTable) lookup(key ueKey) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKey[key]
}

// forMME finds the context an MME message names: by eNB UE S1AP ID, and
// it must be associated with that MME. A first MME UE S1AP ID is learnt;
// a different one later is a mismatch. The cause says why none was found.
func (t *ueTable) forMME(link *mmeLink, ids s1ap.UEIDs) (*ueCtx, s1ap.Cause) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ue := t.byENB[ids.ENBUES1APID]
	if ue == nil || ue.link != link {
		return nil, s1ap.CauseUnknownENBUES1APID
	}
	if !ue.hasMMEID {
		ue.mmeID, ue.hasMMEID = ids.MMEUES1APID, true
	}
	if ue.mmeID != ids.MMEUES1APID {
		return nil, s1ap.CauseUnknownPairUES1APID
	}
	return ue, s1ap.Cause{}
}

// byENBOf finds a context of link by its eNB UE S1AP ID alone.
func (t *ueTable) byENBOf(link *mmeLink, enbID uint32) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ue := t.byENB[enbID]; ue != nil && ue.link == link {
		return ue
	}
	return nil
}

// byMMEID finds a context by its MME UE S1AP ID alone.
func (t *ueTable) byMMEID(link *mmeLink, mmeID uint32) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ue := range t.byENB {
		if ue.link == link && ue.hasMMEID && ue.mmeID == mmeID {
			return ue
		}
	}
	return nil
}

// dropLink lists and removes every context associated with link.
func (t *ueTable) dropLink(link *mmeLink) []*ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*ueCtx
	for _, ue := range t.byENB {
		if ue.link == link {
			out = append(out, ue)
			t.removeLocked(ue)
		}
	}
	return out
}

// ids reads a context's UE S1AP IDs under the lock.
func (t *ueTable) ids(ue *ueCtx) (s1ap.UEIDs, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ue.ids(), ue.hasMMEID
}

// setKey stores KeNB from Initial Context Setup.
func (t *ueTable) setKey(ue *ueCtx, k [32]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ue.kenb = k
}

// addERAB stores an E-RAB's user plane. It fails when the UE context is
// gone, or when the E-RAB ID is taken and replace is false; with replace
// the older E-RAB is returned.
func (t *ueTable) addERAB(ue *ueCtx, e *erab, replace bool) (old *erab, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byENB[ue.enbID] != ue {
		return nil, errGone
	}
	old = ue.erabs[e.id]
	if old != nil && !replace {
		return nil, errERABExists
	}
	if old == nil {
		t.nerabs++
	}
	ue.erabs[e.id] = e
	return old, nil
}

var errERABExists = errors.New("enb: E-RAB ID in use")

// removeERAB drops an E-RAB and returns it (nil if unknown). A context
// already out of the table keeps its E-RABs for whoever removed it.
func (t *ueTable) removeERAB(ue *ueCtx, id uint8) *erab {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byENB[ue.enbID] != ue {
		return nil
	}
	e := ue.erabs[id]
	if e != nil {
		delete(ue.erabs, id)
		t.nerabs--
	}
	return e
}

// erab finds an E-RAB of the UE with key.
func (t *ueTable) erab(key ueKey, id uint8) (*ueCtx, *erab) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ue := t.byKey[key]
	if ue == nil {
		return nil, nil
	}
	return ue, ue.erabs[id]
}

// erabsOf returns the UE's E-RABs.
func (t *ueTable) erabsOf(ue *ueCtx) []*erab {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*erab, 0, len(ue.erabs))
	for _, e := range ue.erabs {
		out = append(out, e)
	}
	return out
}

// ueERAB is an E-RAB with the UE holding it.
type ueERAB struct {
	ue *ueCtx
	e  *erab
}

// findUL finds the E-RABs whose uplink tunnel is teid at addr.
func (t *ueTable) findUL(addr netip.Addr, teid uint32) []ueERAB {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []ueERAB
	for _, ue := range t.byENB {
		for _, e := range ue.erabs {
			if e.ul.TEID == teid && e.ul.Addr == addr {
				out = append(out, ueERAB{ue, e})
			}
		}
	}
	return out
}

// idleSince lists the UEs inactive since before cutoff (unix
// nanoseconds) that were not asked about yet, and marks them asked.
func (t *ueTable) idleSince(cutoff int64) []*ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*ueCtx
	for _, ue := range t.byENB {
		if ue.lastActive.Load() < cutoff && ue.releaseAsked.CompareAndSwap(false, true) {
			out = append(out, ue)
		}
	}
	return out
}

// active notes activity at now (unix nanoseconds); it takes no lock, as
// it runs for every packet.
func (u *ueCtx) active(now int64) {
	u.lastActive.Store(now)
	if u.releaseAsked.Load() {
		u.releaseAsked.Store(false)
	}
}

// counts are the numbers the metrics report.
func (t *ueTable) counts() (ues, erabs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byKey), t.nerabs
}
