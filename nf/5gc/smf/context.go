package smf

import (
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
)

// qos is what a session gets: from the PCF, the subscription or defaults.
type qos struct {
	fiveQI uint8
	arp    uint8
	ambr   bitrates
	source string // "pcf", "subscription" or "defaults"
}

// The QoS flow and rules every session has: one default flow.
const (
	defaultQFI = 1
	pdrUL      = 1
	pdrDL      = 2
	farUL      = 1
	farDL      = 2
	qerSession = 1
	urrSession = 1
)

// release phases of a context.
const (
	phaseActive    int32 = iota
	phaseReleasing       // PFCP session deleted, waiting for the UE and RAN
	phaseReleased        // gone
)

// smContext is one PDU session. Its mutex is held across the PFCP round
// trips of its own procedures, so procedures of one session run one at a
// time while different sessions run in parallel.
type smContext struct {
	mu sync.Mutex

	ref     string
	supi    string
	psi     uint8
	pti     uint8
	entry   *dnnEntry
	created time.Time

	servingNfID string
	statusURI   string // AMF's smContextStatusUri
	anType      models.AccessType
	ratType     models.RatType
	network     *models.PlmnIdNid

	upf       *upfNode
	slice     *addrSlice
	ueAddr    netip.Addr
	cpSEID    uint64
	ulTunnel  n2.GTPTunnel  // the UPF's N3 F-TEID
	dlTunnel  *n2.GTPTunnel // the gNB's, once known
	policyURI string
	qos       qos

	moving  *move // on its way to another UPF (see moveSession)
	upState models.Smf_PDUSess_UpCnxState
	phase   atomic.Int32
	paging  bool // a downlink data report asked the AMF to page
	initial bool // the first N2 setup has not been answered yet
	relRsp  bool // the RAN released its resources (PDU_RES_REL_RSP)
}

// contextStore indexes contexts by ref, by SUPI and PDU session ID, and by
// CP SEID. sync.Map suits it: keys are written once and read many times.
type contextStore struct {
	byRef  sync.Map // string -> *smContext
	byUE   sync.Map // ueKey -> *smContext
	bySEID sync.Map // uint64 -> *smContext
	count  atomic.Int64
}

type ueKey struct {
	supi string
	psi  uint8
}

func (s *contextStore) add(c *smContext) {
	s.byRef.Store(c.ref, c)
	s.byUE.Store(ueKey{c.supi, c.psi}, c)
	s.bySEID.Store(c.cpSEID, c)
	s.count.Add(1)
}

// remove drops c (only the entries that still point at it); it reports
// whether c was there.
func (s *contextStore) remove(c *smContext) bool {
	if !s.byRef.CompareAndDelete(c.ref, c) {
		return false
	}
	s.byUE.CompareAndDelete(ueKey{c.supi, c.psi}, c)
	s.bySEID.CompareAndDelete(c.cpSEID, c)
	s.count.Add(-1)
	return true
}

func (s *contextStore) get(ref string) *smContext {
	v, ok := s.byRef.Load(ref)
	if !ok {
		return nil
	}
	return v.(*smContext)
}

func (s *contextStore) byUEKey(supi string, psi uint8) *smContext {
	v, ok := s.byUE.Load(ueKey{supi, psi})
	if !ok {
		return nil
	}
	return v.(*smContext)
}

func (s *contextStore) bySeid(seid uint64) *smContext {
	v, ok := s.bySEID.Load(seid)
	if !ok {
		return nil
	}
	return v.(*smContext)
}

// onUPF lists the contexts anchored on u.
func (s *contextStore) onUPF(u *upfNode) []*smContext {
	var out []*smContext
	s.byRef.Range(func(_, v any) bool {
		if c := v.(*smContext); c.upf == u {
			out = append(out, c)
		}
		return true
	})
	return out
}

// refCounter makes smContextRefs: unique within the instance (a random
// prefix chosen at start tells instances apart across restarts).
type refCounter struct {
	prefix string
	n      atomic.Uint64
}

func (r *refCounter) next() string {
	return r.prefix + "-" + strconv.FormatUint(r.n.Add(1), 10)
}
