package pfcp

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

// pendingRequest is one of our requests waiting for its response.
type pendingRequest struct {
	peer     netip.AddrPort
	respType uint8
	ch       chan message.Message // buffered: one response
}

// nextSeq returns a 24-bit sequence number, never 0.
func (n *Node) nextSeq() uint32 {
	for {
		if s := n.seq.Add(1) & 0xffffff; s != 0 {
			return s
		}
	}
}

func marshal(m message.Message) ([]byte, error) {
	b := make([]byte, m.MarshalLen())
	if err := m.MarshalTo(b); err != nil {
		return nil, fmt.Errorf("marshal %s: %w", m.MessageTypeName(), err)
	}
	return b, nil
}

// nonNil drops IEs go-pfcp could not build; its message constructors
// dereference every IE they are given.
func nonNil(ies []*ie.IE) []*ie.IE {
	out := ies[:0]
	for _, i := range ies {
		if i != nil {
			out = append(out, i)
		}
	}
	return out
}

func (n *Node) send(peer netip.AddrPort, b []byte) error {
	if _, err := n.conn.WriteToUDPAddrPort(b, peer); err != nil {
		n.stats.TxErrors.Add(1)
		return fmt.Errorf("pfcp send to %s: %w", peer, err)
	}
	n.stats.TxMessages.Add(1)
	return nil
}

// request sends m to peer and waits for its response, sending it again
// every T1 at most retries times. The sequence number is set here.
func (n *Node) request(ctx context.Context, peer netip.AddrPort, m message.Message, retries int) (message.Message, error) {
	seq := n.nextSeq()
	m.SetSequenceNumber(seq)
	b, err := marshal(m)
	if err != nil {
		return nil, err
	}
	p := &pendingRequest{peer: peer, respType: m.MessageType() + 1, ch: make(chan message.Message, 1)}
	n.mu.Lock()
	n.pending[seq] = p
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.pending, seq)
		n.mu.Unlock()
	}()
	timer := time.NewTimer(n.cfg.T1)
	defer timer.Stop()
	for attempt := 0; ; attempt++ {
		if err := n.send(peer, b); err != nil {
			return nil, err
		}
		select {
		case resp := <-p.ch:
			return resp, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("%s to %s: %w", m.MessageTypeName(), peer, ctx.Err())
		case <-n.ctx.Done():
			return nil, fmt.Errorf("%s to %s: %w", m.MessageTypeName(), peer, ErrClosed)
		case <-timer.C:
			if attempt >= retries {
				n.stats.Timeouts.Add(1)
				return nil, fmt.Errorf("%s to %s: %w", m.MessageTypeName(), peer, ErrTimeout)
			}
			n.stats.Retransmissions.Add(1)
			timer.Reset(n.cfg.T1)
		}
	}
}

// deliverResponse hands a response to the request waiting for it.
func (n *Node) deliverResponse(from netip.AddrPort, m message.Message) {
	n.mu.Lock()
	p, ok := n.pending[m.Sequence()]
	n.mu.Unlock()
	if !ok || p.peer != from || p.respType != m.MessageType() {
		n.stats.UnmatchedResponses.Add(1)
		n.log.Debug("unmatched response", "from", from, "type", m.MessageTypeName(), "seq", m.Sequence())
		return
	}
	select {
	case p.ch <- m:
		n.stats.RxResponses.Add(1)
	default: // a second response to a retransmitted request
		n.stats.UnmatchedResponses.Add(1)
	}
}

// cacheKey names a request: the peer's sequence numbers are its own.
type cacheKey struct {
	peer netip.AddrPort
	seq  uint32
}

type cacheEntry struct {
	response []byte // nil while the request is being handled
	expires  time.Time
}

// responseCache remembers the responses we sent for as long as the peer
// may retransmit the request, so a duplicate is answered, not executed.
type responseCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[cacheKey]*cacheEntry
	order   []cacheKey // insertion order, which is expiry order
}

// maxCacheEntries bounds memory under a flood of distinct requests.
const maxCacheEntries = 1 << 16

func newResponseCache(ttl time.Duration) responseCache {
	return responseCache{ttl: ttl, entries: make(map[cacheKey]*cacheEntry)}
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

// finish records the response sent for k.
func (c *responseCache) finish(k cacheKey, response []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		e.response = response
	}
}

func (c *responseCache) expire(now time.Time) {
	drop := 0
	for drop < len(c.order) {
		k := c.order[drop]
		e := c.entries[k]
		if len(c.order)-drop <= maxCacheEntries && e.expires.After(now) {
			break
		}
		delete(c.entries, k)
		drop++
	}
	// Re-slicing is amortised: append copies only live keys when it grows.
	c.order = c.order[drop:]
}
