package smf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Errors of address allocation.
var (
	errPoolExhausted = errors.New("address pool exhausted")
	errNoSlice       = errors.New("no slice of the pool for this UPF")
)

// addrRange is an inclusive range of IPv4 addresses as integers.
type addrRange struct{ first, last uint32 }

func (r addrRange) size() uint64              { return uint64(r.last) - uint64(r.first) + 1 }
func (r addrRange) overlaps(o addrRange) bool { return r.first <= o.last && o.first <= r.last }
func (r addrRange) String() string            { return fmt.Sprintf("%s-%s", u32Addr(r.first), u32Addr(r.last)) }

func prefixRange(p netip.Prefix) addrRange {
	first := addrU32(p.Masked().Addr())
	return addrRange{first: first, last: first | (uint32(1)<<(32-p.Bits()) - 1)}
}

func addrU32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func u32Addr(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// dnnPool is a DNN's UE address pool, split into one slice per UPF: each
// UPF owns its slice and the data network routes the slice to it, so UPF
// replicas never share an address range.
type dnnPool struct {
	name      string
	prefix    netip.Prefix
	upfPrefix int // carve slices of this length; 0: the whole pool
	inUse     atomic.Int64
	usable    atomic.Int64 // addresses in all slices made so far

	mu     sync.Mutex
	slices map[string]*addrSlice // by UPF key
}

func newDNNPool(name string, prefix netip.Prefix, upfPrefix int) *dnnPool {
	if upfPrefix == 0 {
		upfPrefix = prefix.Bits()
	}
	return &dnnPool{name: name, prefix: prefix, upfPrefix: upfPrefix, slices: map[string]*addrSlice{}}
}

// sliceFor returns the slice owned by the UPF upfKey, making it on first
// use: the part of the pool the UPF advertises (it only routes that), else
// the first free subnet of upf_prefix bits.
func (p *dnnPool) sliceFor(upfKey string, advertised []addrRange) (*addrSlice, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.slices[upfKey]; s != nil {
		return s, nil
	}
	if s := p.sameRange(advertised); s != nil {
		// A UPF taking over the range another one had (a replacement
		// replica): the slice's bitmap still knows the addresses of the
		// sessions moved off the old one.
		p.slices[upfKey] = s
		return s, nil
	}
	r, err := p.pickRange(advertised)
	if err != nil {
		return nil, fmt.Errorf("dnn %s, UPF %s: %w", p.name, upfKey, err)
	}
	s := newAddrSlice(r, prefixRange(p.prefix), &p.inUse)
	p.slices[upfKey] = s
	p.usable.Add(int64(s.usable))
	return s, nil
}

func (p *dnnPool) pickRange(advertised []addrRange) (addrRange, error) {
	pool := prefixRange(p.prefix)
	if len(advertised) > 0 {
		for _, a := range advertised {
			r := addrRange{first: max(a.first, pool.first), last: min(a.last, pool.last)}
			if r.first > r.last {
				continue
			}
			if o := p.overlapping(r); o != "" {
				return addrRange{}, fmt.Errorf("%w: its range %s overlaps the slice of UPF %s", errNoSlice, r, o)
			}
			return r, nil
		}
		return addrRange{}, fmt.Errorf("%w: it advertises %v, outside the pool %s", errNoSlice, advertised, p.prefix)
	}
	step := uint64(1) << (32 - p.upfPrefix)
	for first := uint64(pool.first); first+step-1 <= uint64(pool.last); first += step {
		r := addrRange{first: uint32(first), last: uint32(first + step - 1)}
		if p.overlapping(r) == "" {
			return r, nil
		}
	}
	return addrRange{}, fmt.Errorf("%w: every /%d of %s is taken", errNoSlice, p.upfPrefix, p.prefix)
}

// sameRange is an existing slice covering exactly one of the advertised
// ranges (clipped to the pool), if any.
func (p *dnnPool) sameRange(advertised []addrRange) *addrSlice {
	pool := prefixRange(p.prefix)
	for _, a := range advertised {
		r := addrRange{first: max(a.first, pool.first), last: min(a.last, pool.last)}
		for _, s := range p.slices {
			if s.r == r {
				return s
			}
		}
	}
	return nil
}

func (p *dnnPool) overlapping(r addrRange) string {
	for k, s := range p.slices {
		if s.r.overlaps(r) {
			return k
		}
	}
	return ""
}

// slice is the UPF's slice if it has one.
func (p *dnnPool) slice(upfKey string) *addrSlice {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.slices[upfKey]
}

// addrSlice hands out the addresses of one range. Allocation is next-fit
// over a bitmap, so a released address is reused only after the others:
// late packets for an old session rarely reach a new one.
type addrSlice struct {
	r        addrRange
	reserved [2]uint32 // the pool's network and broadcast addresses
	usable   int
	inUse    *atomic.Int64 // the pool's count

	mu   sync.Mutex
	bits []uint64 // 1: taken (or never usable)
	next uint64   // offset to try first
	used int
}

// newAddrSlice covers r, never handing out the pool's network and
// broadcast addresses.
func newAddrSlice(r, pool addrRange, inUse *atomic.Int64) *addrSlice {
	n := r.size()
	s := &addrSlice{r: r, reserved: [2]uint32{pool.first, pool.last}, inUse: inUse, bits: make([]uint64, (n+63)/64)}
	for off := n; off < uint64(len(s.bits))*64; off++ {
		s.bits[off/64] |= 1 << (off % 64)
	}
	s.usable = int(n)
	for _, reserved := range s.reserved {
		if reserved >= r.first && reserved <= r.last {
			off := uint64(reserved - r.first)
			s.bits[off/64] |= 1 << (off % 64)
			s.usable--
		}
	}
	return s
}

// alloc takes a free address.
func (s *addrSlice) alloc() (netip.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.r.size()
	for i := uint64(0); i < n; {
		off := (s.next + i) % n
		w := off / 64
		if s.bits[w] == ^uint64(0) {
			i += 64 - off%64 // the whole word is taken
			continue
		}
		if s.bits[w]&(1<<(off%64)) == 0 {
			s.bits[w] |= 1 << (off % 64)
			s.next = (off + 1) % n
			s.used++
			s.inUse.Add(1)
			return u32Addr(s.r.first + uint32(off)), nil
		}
		i++
	}
	return netip.Addr{}, fmt.Errorf("%w: all %d addresses of %s are in use", errPoolExhausted, s.usable, s.r)
}

// release gives a back; it reports false if a was not handed out here.
func (s *addrSlice) release(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	v := addrU32(a)
	if v < s.r.first || v > s.r.last || v == s.reserved[0] || v == s.reserved[1] {
		return false
	}
	off := uint64(v - s.r.first)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bits[off/64]&(1<<(off%64)) == 0 {
		return false
	}
	s.bits[off/64] &^= 1 << (off % 64)
	s.used--
	s.inUse.Add(-1)
	return true
}

// free is how many addresses are left.
func (s *addrSlice) free() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usable - s.used
}
