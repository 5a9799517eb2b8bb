package smf

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/free5gc/openapi/models"
)

// upfNode is a UPF we know, from the config or the NRF.
type upfNode struct {
	key    string // its N4 address: the pool slices are keyed by it
	addr   netip.AddrPort
	static bool

	associated  atomic.Bool
	associating atomic.Bool
	sessions    atomic.Int64 // sessions anchored here (and selections in flight)

	mu       sync.Mutex
	nfID     string                 // NRF instance, "" if only configured
	listed   bool                   // selectable: configured, or REGISTERED in the last discovery
	leftAt   time.Time              // when a discovered UPF stopped being listed
	serves   []served               // empty: every DNN we have
	ranges   map[string][]addrRange // address ranges it routes, per DNN
	recovery time.Time              // its Recovery Time Stamp when last associated
	lastErr  string                 // why the last association attempt failed
}

// served is a DNN a UPF serves; a nil snssai means in any slice.
type served struct {
	snssai *models.Snssai
	dnn    string
}

func (u *upfNode) servesEntry(e *dnnEntry) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.listed {
		return false
	}
	if len(u.serves) == 0 {
		return true
	}
	return slices.ContainsFunc(u.serves, func(s served) bool {
		return s.dnn == e.name && (s.snssai == nil || snssaiEqual(*s.snssai, e.snssai))
	})
}

// leftFor is how long a discovered UPF has been out of the NRF's list
// (0 while listed, or if configured).
func (u *upfNode) leftFor(now time.Time) time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.listed || u.leftAt.IsZero() {
		return 0
	}
	return now.Sub(u.leftAt)
}

func (u *upfNode) rangesFor(dnn string) []addrRange {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ranges[dnn]
}

func (u *upfNode) setErr(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.lastErr = ""
	if err != nil {
		u.lastErr = err.Error()
	}
}

// upfRegistry holds every UPF known, by N4 address.
type upfRegistry struct {
	mu    sync.RWMutex
	nodes map[netip.AddrPort]*upfNode
}

func newUPFRegistry() *upfRegistry {
	return &upfRegistry{nodes: map[netip.AddrPort]*upfNode{}}
}

func (r *upfRegistry) get(addr netip.AddrPort) *upfNode {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.nodes[addr]
}

func (r *upfRegistry) all() []*upfNode {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*upfNode, 0, len(r.nodes))
	for _, u := range r.nodes {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *upfNode) int { return strings.Compare(a.key, b.key) })
	return out
}

// getOrAdd returns the node at addr, adding an empty one if new.
func (r *upfRegistry) getOrAdd(addr netip.AddrPort) (*upfNode, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := r.nodes[addr]; u != nil {
		return u, false
	}
	u := &upfNode{key: addr.String(), addr: addr, ranges: map[string][]addrRange{}}
	r.nodes[addr] = u
	return u, true
}

// addStatic adds a configured UPF.
func (r *upfRegistry) addStatic(c UPFConfig) error {
	addr, err := parseN4(c.N4)
	if err != nil {
		return err
	}
	u, _ := r.getOrAdd(addr)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.static, u.listed = true, true
	for _, d := range c.DNNs {
		u.serves = append(u.serves, served{dnn: strings.ToLower(d)})
	}
	for d, cidr := range c.Pools {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return fmt.Errorf("upf %s pools.%s: %w", addr, d, err)
		}
		u.ranges[strings.ToLower(d)] = []addrRange{prefixRange(p)}
	}
	return nil
}

// updateDiscovered folds a discovery result in: the UPFs listed become
// selectable with what their profiles say; discovered UPFs no longer
// listed (deregistered, or SUSPENDED while draining) stop being selected
// but keep their association and sessions (until moved: see leftFor). It
// returns the new nodes.
func (r *upfRegistry) updateDiscovered(profiles []models.Nrf_NFDisc_NFProfile, port uint16, now time.Time) []*upfNode {
	seen := map[*upfNode]bool{}
	var added []*upfNode
	for _, p := range profiles {
		addr, ok := upfN4Addr(p, port)
		if !ok {
			continue
		}
		u, isNew := r.getOrAdd(addr)
		seen[u] = true
		if isNew {
			added = append(added, u)
		}
		u.mu.Lock()
		u.nfID, u.listed, u.leftAt = p.NfInstanceId, true, time.Time{}
		if !u.static {
			u.serves, u.ranges = upfServes(p.UpfInfo)
		}
		u.mu.Unlock()
	}
	for _, u := range r.all() {
		u.mu.Lock()
		if !u.static && u.nfID != "" && !seen[u] && u.listed {
			u.listed, u.leftAt = false, now
		}
		u.mu.Unlock()
	}
	return added
}

// upfN4Addr is where a UPF's PFCP listens: the first IPv4 address of its
// profile (TS 29.510: the N4 address is the profile's), on port.
func upfN4Addr(p models.Nrf_NFDisc_NFProfile, port uint16) (netip.AddrPort, bool) {
	for _, s := range p.Ipv4Addresses {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() && !a.IsUnspecified() {
			return netip.AddrPortFrom(a, port), true
		}
	}
	return netip.AddrPort{}, false
}

// upfServes reads the slices, DNNs and UE address ranges of a upfInfo.
func upfServes(info *models.Nrf_NFMgmt_UpfInfo) ([]served, map[string][]addrRange) {
	ranges := map[string][]addrRange{}
	if info == nil {
		return nil, ranges
	}
	var out []served
	for _, it := range info.SNssaiUpfInfoList {
		var sn *models.Snssai
		if it.SNssai != nil {
			sn = &models.Snssai{Sst: it.SNssai.Sst, Sd: it.SNssai.Sd}
		}
		for _, d := range it.DnnUpfInfoList {
			name := strings.ToLower(d.Dnn)
			out = append(out, served{snssai: sn, dnn: name})
			for _, r := range d.Ipv4AddressRanges {
				first, err1 := netip.ParseAddr(r.Start)
				last, err2 := netip.ParseAddr(r.End)
				if err1 != nil || err2 != nil || !first.Is4() || !last.Is4() || last.Less(first) {
					continue
				}
				ar := addrRange{first: addrU32(first), last: addrU32(last)}
				if !slices.Contains(ranges[name], ar) {
					ranges[name] = append(ranges[name], ar)
				}
			}
		}
	}
	return out, ranges
}

// candidates are the associated, selectable UPFs serving e, fewest
// sessions first.
func (r *upfRegistry) candidates(e *dnnEntry) []*upfNode {
	var out []*upfNode
	for _, u := range r.all() {
		if u.associated.Load() && u.servesEntry(e) {
			out = append(out, u)
		}
	}
	slices.SortStableFunc(out, func(a, b *upfNode) int { return cmp.Compare(a.sessions.Load(), b.sessions.Load()) })
	return out
}

func (r *upfRegistry) associatedCount() int {
	n := 0
	for _, u := range r.all() {
		if u.associated.Load() {
			n++
		}
	}
	return n
}

// notReadyReason says why no UPF is associated.
func (r *upfRegistry) notReadyReason() string {
	nodes := r.all()
	if len(nodes) == 0 {
		return "no UPF known (configure upfs, or register UPFs with the NRF)"
	}
	var parts []string
	for _, u := range nodes {
		u.mu.Lock()
		e := u.lastErr
		u.mu.Unlock()
		if e == "" {
			e = "not associated yet"
		}
		parts = append(parts, u.key+": "+e)
	}
	return "no UPF associated: " + strings.Join(parts, "; ")
}
