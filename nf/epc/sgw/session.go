package sgw

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/wmnsk/go-gtp/gtpv2/ie"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// session is one PDN connection relayed between an MME and a PGW.
type session struct {
	s11TEID uint32 // ours on S11
	s5TEID  uint32 // ours on S5/S8-C
	imsi    string
	mme     gtpv2c.FTEID // the MME's S11 F-TEID
	pgw     gtpv2c.FTEID // the PGW's S5/S8-C F-TEID, once known
	lbi     uint8

	idle   atomic.Bool // access bearers released: downlink is buffered and notified
	ddnOut atomic.Bool // a Downlink Data Notification went out this idle period

	mu      sync.Mutex // bearers, gone
	bearers map[uint8]*bearer
	gone    bool
}

// tunnelEnd is the far end of a GTP-U tunnel.
type tunnelEnd struct {
	fteid gtpv2c.FTEID
	peer  netip.AddrPort
}

// bearer is one EPS bearer: two tunnels of ours (S1-U, S5/S8-U) and
// their far ends.
type bearer struct {
	n       *NF
	sess    *session
	ebi     uint8
	s1uTEID uint32 // ours: the eNB sends uplink here
	s5uTEID uint32 // ours: the PGW sends downlink here
	qos     *ie.IE // Bearer QoS as the PGW granted it
	tft     *ie.IE // dedicated bearers
	charge  *ie.IE // Charging ID

	pgwU atomic.Pointer[tunnelEnd]
	enb  atomic.Pointer[tunnelEnd] // nil while idle or not yet known

	bufMu sync.Mutex // buf, and the switch of enb from nil
	buf   [][]byte   // downlink held while enb is nil
}

func (n *NF) newBearer(s *session, ebi uint8) *bearer {
	return &bearer{n: n, sess: s, ebi: ebi, s1uTEID: n.uTEIDs.Alloc(), s5uTEID: n.uTEIDs.Alloc()}
}

// install adds the bearer's two tunnels.
func (b *bearer) install() error {
	if err := b.n.s1u.AddTunnel(b.s1uTEID, uplinkTunnel{b}); err != nil {
		return err
	}
	if err := b.n.s5u.AddTunnel(b.s5uTEID, downlinkTunnel{b}); err != nil {
		b.n.s1u.RemoveTunnel(b.s1uTEID)
		return err
	}
	b.n.stats.bearers.Add(1)
	return nil
}

// free removes the tunnels (if installed), the TEIDs and what was buffered.
func (b *bearer) free(installed bool) {
	if installed {
		b.n.s1u.RemoveTunnel(b.s1uTEID)
		b.n.s5u.RemoveTunnel(b.s5uTEID)
		b.n.stats.bearers.Add(-1)
	}
	b.n.uTEIDs.Free(b.s1uTEID)
	b.n.uTEIDs.Free(b.s5uTEID)
	b.discard()
}

// discard drops what the bearer buffered.
func (b *bearer) discard() {
	b.bufMu.Lock()
	k := len(b.buf)
	b.buf = nil
	b.bufMu.Unlock()
	b.n.stats.buffered.Add(-int64(k))
	b.n.stats.drops[dropBufferDiscarded].Add(uint64(k))
}

// ftid is a bearer's F-TEID on one of our interfaces.
func (n *NF) ftid(ifType uint8, teid uint32, addr netip.Addr) gtpv2c.FTEID {
	return gtpv2c.FTEID{Interface: ifType, TEID: teid, Addr: addr}
}

func (n *NF) addSession(s *session) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.byS11[s.s11TEID] = s
	n.byS5[s.s5TEID] = s
}

func (n *NF) sessionByS11(teid uint32) *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byS11[teid]
}

// beginCreate marks our S5/S8-C TEID teid as naming a session whose
// Create Session procedure is under way, until end is called. The PGW
// learns the TEID from our request and may use it as soon as it has
// answered (a Create Bearer Request for the rules of its CCA-I): such a
// request, handled concurrently, must not overtake our handling of that
// answer and be refused as "context not found".
func (n *NF) beginCreate(teid uint32) (end func()) {
	done := make(chan struct{})
	n.mu.Lock()
	n.creating[teid] = done
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		if n.creating[teid] == done {
			delete(n.creating, teid)
		}
		n.mu.Unlock()
		close(done)
	}
}

// sessionByS5 finds the session of our S5/S8-C TEID, waiting first for
// a Create Session procedure under way on it to end (at most our Create
// Session Request's T3*(N3+1), or until ctx ends), so that the PGW's
// requests reach the MME after our Create Session Response does, as a
// gateway handling one session at a time would.
func (n *NF) sessionByS5(ctx context.Context, teid uint32) *session {
	n.mu.Lock()
	s, creating := n.byS5[teid], n.creating[teid]
	n.mu.Unlock()
	if creating == nil {
		return s
	}
	select {
	case <-creating:
	case <-ctx.Done():
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byS5[teid]
}

// removeSession frees the session and its bearers; false if it was gone.
func (n *NF) removeSession(s *session) bool {
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return false
	}
	s.gone = true
	bearers := s.bearers
	s.bearers = nil
	s.mu.Unlock()
	for _, b := range bearers {
		b.free(true)
	}
	n.mu.Lock()
	delete(n.byS11, s.s11TEID)
	delete(n.byS5, s.s5TEID)
	n.mu.Unlock()
	n.cTEIDs.Free(s.s11TEID)
	n.cTEIDs.Free(s.s5TEID)
	return true
}
