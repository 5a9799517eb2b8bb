package pgw

import (
	"math/bits"
	"net/netip"
	"sync"
)

// pool hands out the UE addresses of one APN's prefix: every address but
// the network and broadcast ones, lowest free first after the last one
// handed out, so that a released address is not reused at once.
type pool struct {
	prefix netip.Prefix
	base   uint32 // first address of the prefix
	size   uint32 // addresses in the prefix

	mu   sync.Mutex
	used []uint64 // bit i: base+i is taken
	next uint32   // where the next search starts
	free int
	// reserved counts the service addresses kept back (never free).
	reserved int
}

// reserved are addresses never handed to a UE: the APN's own DNS and
// P-CSCF servers when they sit inside its pool (a UE holding one would
// receive the other UEs' packets to that server).
func newPool(p netip.Prefix, reserved ...netip.Addr) *pool {
	size := uint32(1) << (32 - p.Bits())
	pl := &pool{prefix: p, base: addrU32(p.Addr()), size: size, used: make([]uint64, (size+63)/64)}
	pl.mark(0)        // network
	pl.mark(size - 1) // broadcast
	pl.free = int(size) - 2
	for _, a := range reserved {
		if !p.Contains(a) {
			continue
		}
		if i := addrU32(a) - pl.base; !pl.isUsed(i) {
			pl.mark(i)
			pl.free--
			pl.reserved++
		}
	}
	pl.next = 1
	return pl
}

func (p *pool) mark(i uint32)     { p.used[i/64] |= 1 << (i % 64) }
func (p *pool) clearBit(i uint32) { p.used[i/64] &^= 1 << (i % 64) }
func (p *pool) isUsed(i uint32) bool {
	return p.used[i/64]&(1<<(i%64)) != 0
}

// alloc returns a free address, or false when the pool is exhausted.
func (p *pool) alloc() (netip.Addr, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == 0 {
		return netip.Addr{}, false
	}
	i, ok := p.findFree(p.next, p.size)
	if !ok {
		i, ok = p.findFree(0, p.next)
	}
	if !ok {
		return netip.Addr{}, false // unreachable while free counts right
	}
	p.mark(i)
	p.free--
	p.next = (i + 1) % p.size
	return u32Addr(p.base + i), true
}

// findFree is the first clear bit in [from, to), a word at a time.
func (p *pool) findFree(from, to uint32) (uint32, bool) {
	for i := from; i < to; {
		w := p.used[i/64] | (1<<(i%64) - 1) // bits below i count as taken
		if w != ^uint64(0) {
			j := i/64*64 + uint32(bits.TrailingZeros64(^w))
			if j < to {
				return j, true
			}
			return 0, false
		}
		i = (i/64 + 1) * 64
	}
	return 0, false
}

// release returns a to the pool; addresses not handed out are ignored.
func (p *pool) release(a netip.Addr) {
	if !p.prefix.Contains(a) {
		return
	}
	i := addrU32(a) - p.base
	if i == 0 || i == p.size-1 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isUsed(i) {
		p.clearBit(i)
		p.free++
	}
}

// inUse is how many addresses are handed out.
func (p *pool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.size) - 2 - p.reserved - p.free
}
