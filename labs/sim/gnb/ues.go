package gnb

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/corebox/corebox/nf/proto/n2"
)

// ueKey names a UE on the radio side: its simulator's address and the UE
// ID that simulator chose.
type ueKey struct {
	sim netip.AddrPort
	id  uint32
}

func (k ueKey) String() string { return fmt.Sprintf("%s/%d", k.sim, k.id) }

// ueCtx is one UE's context in the gNB (RRC connected, NG-associated).
// Fields are guarded by the table's mutex.
type ueCtx struct {
	key   ueKey
	ranID uint32
	link  *amfLink
	amfID uint64
	// hasAMFID: the AMF has named its UE NGAP ID (first downlink message).
	hasAMFID bool
	kgnb     [32]byte
	hasKey   bool
	sessions map[uint8]*session
}

func (u *ueCtx) ids() n2.UEIDs { return n2.UEIDs{AMFUENGAPID: u.amfID, RANUENGAPID: u.ranID} }

// session is a PDU session's user plane in the gNB. It is not changed once
// stored: a change stores a changed copy (see moveUplink).
type session struct {
	id     uint8
	dlTEID uint32       // ours, allocated on N3
	ul     n2.GTPTunnel // the UPF's
	qfi    uint8
}

// ueTable holds the UE contexts, by radio key and by RAN UE NGAP ID.
type ueTable struct {
	mu     sync.Mutex
	max    int
	byKey  map[ueKey]*ueCtx
	byRAN  map[uint32]*ueCtx
	nextID uint32
	nsess  int
}

func newUETable(maxUEs int) *ueTable {
	return &ueTable{max: maxUEs, byKey: map[ueKey]*ueCtx{}, byRAN: map[uint32]*ueCtx{}, nextID: 1}
}

// errFull: max_ues contexts are held.
var (
	errFull = errors.New("gnb: UE table full")
	errGone = errors.New("gnb: UE context released")
)

// add creates a context for key, replacing (and returning) any old one.
func (t *ueTable) add(key ueKey, link *amfLink) (ue, old *ueCtx, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old = t.byKey[key]
	if old != nil {
		t.removeLocked(old)
	}
	if len(t.byKey) >= t.max {
		return nil, old, errFull
	}
	for t.byRAN[t.nextID] != nil {
		t.nextID++
	}
	ue = &ueCtx{key: key, ranID: t.nextID, link: link, sessions: map[uint8]*session{}}
	t.nextID++
	t.byKey[key] = ue
	t.byRAN[ue.ranID] = ue
	return ue, old, nil
}

// remove drops ue if it is still the context held for its key.
func (t *ueTable) remove(ue *ueCtx) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byRAN[ue.ranID] != ue {
		return false
	}
	t.removeLocked(ue)
	return true
}

func (t *ueTable) removeLocked(ue *ueCtx) {
	delete(t.byKey, ue.key)
	delete(t.byRAN, ue.ranID)
	t.nsess -= len(ue.sessions)
}

// lookup finds a context by radio key.
func (t *ueTable) lookup(key ueKey) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKey[key]
}

// forAMF finds the context an AMF message names: by RAN UE NGAP ID, and
// it must be associated with that AMF. A first AMF UE NGAP ID is learnt;
// a different one later is a mismatch (nil).
func (t *ueTable) forAMF(link *amfLink, ids n2.UEIDs) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	ue := t.byRAN[ids.RANUENGAPID]
	if ue == nil || ue.link != link {
		return nil
	}
	if !ue.hasAMFID {
		ue.amfID, ue.hasAMFID = ids.AMFUENGAPID, true
	}
	if ue.amfID != ids.AMFUENGAPID {
		return nil
	}
	return ue
}

// byRANOf finds a context of link by its RAN UE NGAP ID alone.
func (t *ueTable) byRANOf(link *amfLink, ranID uint32) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ue := t.byRAN[ranID]; ue != nil && ue.link == link {
		return ue
	}
	return nil
}

// byAMFID finds a context by its AMF UE NGAP ID alone.
func (t *ueTable) byAMFID(link *amfLink, amfID uint64) *ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ue := range t.byRAN {
		if ue.link == link && ue.hasAMFID && ue.amfID == amfID {
			return ue
		}
	}
	return nil
}

// dropLink lists and removes every context associated with link.
func (t *ueTable) dropLink(link *amfLink) []*ueCtx {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*ueCtx
	for _, ue := range t.byRAN {
		if ue.link == link {
			out = append(out, ue)
			t.removeLocked(ue)
		}
	}
	return out
}

// ids reads a context's UE NGAP IDs under the lock.
func (t *ueTable) ids(ue *ueCtx) (n2.UEIDs, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ue.ids(), ue.hasAMFID
}

// setKey stores the security key from Initial Context Setup.
func (t *ueTable) setKey(ue *ueCtx, k [32]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ue.kgnb, ue.hasKey = k, true
}

// addSession stores a session's user plane, replacing (and returning) an
// older one with the same ID. It fails when the UE context is gone.
func (t *ueTable) addSession(ue *ueCtx, s *session) (old *session, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byRAN[ue.ranID] != ue {
		return nil, errGone
	}
	old = ue.sessions[s.id]
	if old == nil {
		t.nsess++
	}
	ue.sessions[s.id] = s
	return old, nil
}

// removeSession drops a session and returns it (nil if unknown).
func (t *ueTable) removeSession(ue *ueCtx, id uint8) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := ue.sessions[id]
	if s != nil {
		delete(ue.sessions, id)
		t.nsess--
	}
	return s
}

// moveUplink points a session's uplink at ul by storing a copy of the
// session: a packet that already took the old one still goes to the old
// tunnel, every later one goes to ul, and none is lost in between.
func (t *ueTable) moveUplink(ue *ueCtx, id uint8, ul n2.GTPTunnel) (*session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := ue.sessions[id]
	if t.byRAN[ue.ranID] != ue || old == nil {
		return nil, errGone
	}
	s := *old
	s.ul = ul
	ue.sessions[id] = &s
	return &s, nil
}

// session finds a session of the UE with key.
func (t *ueTable) session(key ueKey, id uint8) (*ueCtx, *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ue := t.byKey[key]
	if ue == nil {
		return nil, nil
	}
	return ue, ue.sessions[id]
}

// sessionIDs lists the UE's sessions, in order.
func (t *ueTable) sessionIDs(ue *ueCtx) []uint8 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]uint8, 0, len(ue.sessions))
	for id := range ue.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sessionsOf returns the UE's sessions.
func (t *ueTable) sessionsOf(ue *ueCtx) []*session {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*session, 0, len(ue.sessions))
	for _, s := range ue.sessions {
		out = append(out, s)
	}
	return out
}

// ueSession is a session with the UE holding it.
type ueSession struct {
	ue *ueCtx
	s  *session
}

// findUL finds the sessions whose uplink tunnel is teid at addr.
func (t *ueTable) findUL(addr netip.Addr, teid uint32) []ueSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []ueSession
	for _, ue := range t.byRAN {
		for _, s := range ue.sessions {
			if s.ul.TEID == teid && s.ul.Addr == addr {
				out = append(out, ueSession{ue, s})
			}
		}
	}
	return out
}

// counts are the numbers the metrics report.
func (t *ueTable) counts() (ues, sessions int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byKey), t.nsess
}
