package gtpv2c

import (
	"net/netip"
	"sync"
	"time"
)

// cacheKey names a request: each peer numbers its own requests.
type cacheKey struct {
	peer netip.AddrPort
	seq  uint32
}

type cacheEntry struct {
	response []byte // nil while the request is being handled
	expires  time.Time
}

// responseCache remembers the responses we sent for as long as the peer
// may retransmit the request (TS 29.274 §7.6), so that a retransmission
// is answered with the same bytes instead of being run twice.
type responseCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[cacheKey]*cacheEntry
	order   []cacheKey // insertion order, which is expiry order
}

// maxCacheEntries bounds memory under a flood of distinct requests.
const maxCacheEntries = 1 << 16

func newResponseCache(ttl time.Duration) responseCache {
	return responseCache{ttl: ttl, entries: map[cacheKey]*cacheEntry{}}
}

// begin registers a new request. For a duplicate it returns false and the
// cached response, or nil while the original is still being handled.
func (c *responseCache) begin(k cacheKey, now time.Time) (isNew bool, cached []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if e, ok := c.entries[k]; ok {
		return false, e.response
	}
	c.entries[k] = &cacheEntry{expires: now.Add(c.ttl)}
	c.order = append(c.order, k)
	return true, nil
}

// finish records the response sent for k; the peer may retransmit for
// another ttl from now.
func (c *responseCache) finish(k cacheKey, response []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		e.response = response
		e.expires = now.Add(c.ttl)
		c.order = append(c.order, k) // its new place in expiry order
	}
}

// forget drops k: a request we did not answer may be handled when it
// comes again.
func (c *responseCache) forget(k cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k) // its key in order is skipped when it expires
}

// len is the number of requests remembered.
func (c *responseCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// expire forgets answered entries past their time, and the oldest ones
// beyond maxCacheEntries. A request still being handled is kept (and
// keeps the ones behind it). A key may sit in order twice (forgotten
// early, or moved by finish); a stale place is skipped when it comes up.
func (c *responseCache) expire(now time.Time) {
	drop := 0
	for ; drop < len(c.order); drop++ {
		k := c.order[drop]
		e, ok := c.entries[k]
		over := len(c.order)-drop > maxCacheEntries
		if ok && !over && (e.response == nil || e.expires.After(now)) {
			break
		}
		if ok {
			delete(c.entries, k)
		}
	}
	c.order = c.order[drop:]
}
