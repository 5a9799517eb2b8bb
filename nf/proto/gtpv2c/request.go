package gtpv2c

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"
)

// pendingRequest is one of our requests waiting for its response.
type pendingRequest struct {
	peer     netip.AddrPort
	respType uint8
	ch       chan message.Message // buffered: one response
}

// nextSeq returns the next 24-bit sequence number.
func (c *Conn) nextSeq() uint32 { return c.seq.Add(1) & 0xffffff }

// Request sends m to peer and waits for its response, sending it again
// every T3, at most N3 times. It sets m's sequence number. The response
// is of type m's type + 1 and came from peer; its cause is the caller's
// to judge.
func (c *Conn) Request(ctx context.Context, peer netip.AddrPort, m message.Message) (message.Message, error) {
	peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	seq := c.nextSeq()
	p := &pendingRequest{peer: peer, respType: m.MessageType() + 1, ch: make(chan message.Message, 1)}
	c.mu.Lock()
	for c.pending[seq] != nil { // 2^24 requests outstanding cannot happen; a wrap can
		seq = c.nextSeq()
	}
	c.pending[seq] = p
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}()
	m.SetSequenceNumber(seq)
	b, err := Marshal(m)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(c.cfg.T3)
	defer timer.Stop()
	for attempt := 0; ; attempt++ {
		if err := c.send(peer, b); err != nil {
			return nil, err
		}
		select {
		case resp := <-p.ch:
			return resp, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("%s to %s: %w", m.MessageTypeName(), peer, ctx.Err())
		case <-c.done:
			return nil, fmt.Errorf("%s to %s: %w", m.MessageTypeName(), peer, ErrClosed)
		case <-timer.C:
			if attempt >= c.cfg.N3 {
				c.stats.Timeouts.Add(1)
				return nil, fmt.Errorf("%s to %s: %w", m.MessageTypeName(), peer, ErrTimeout)
			}
			c.stats.Retransmissions.Add(1)
			timer.Reset(c.cfg.T3)
		}
	}
}

// deliverResponse hands a response to the request waiting for it.
func (c *Conn) deliverResponse(from netip.AddrPort, m message.Message) {
	c.mu.Lock()
	p, ok := c.pending[m.Sequence()]
	c.mu.Unlock()
	if !ok || p.peer != from || p.respType != m.MessageType() {
		c.stats.UnmatchedResponses.Add(1)
		c.log.Debug("unmatched response", "from", from, "type", m.MessageTypeName(), "seq", m.Sequence())
		return
	}
	select {
	case p.ch <- m:
		c.stats.RxResponses.Add(1)
	default: // a second answer to a retransmitted request
		c.stats.UnmatchedResponses.Add(1)
	}
}

// Echo sends an Echo Request to peer (with retransmissions) and returns
// the peer's Recovery (restart counter).
func (c *Conn) Echo(ctx context.Context, peer netip.AddrPort) (uint8, error) {
	resp, err := c.Request(ctx, peer, message.NewEchoRequest(0, ie.NewRecovery(c.cfg.Recovery)))
	if err != nil {
		return 0, err
	}
	er, ok := resp.(*message.EchoResponse)
	if !ok || er.Recovery == nil {
		return 0, fmt.Errorf("echo response without Recovery: %w", ErrMalformed)
	}
	r, err := er.Recovery.Recovery()
	if err != nil {
		return 0, fmt.Errorf("echo response Recovery: %w: %v", ErrMalformed, err)
	}
	return r, nil
}

// warnLevel rate-limits warnings about hostile traffic: at most one a
// second at Warn, the rest at Debug.
func (c *Conn) warnLevel() slog.Level {
	now := time.Now().UnixNano()
	last := c.lastWarn.Load()
	if now-last >= int64(time.Second) && c.lastWarn.CompareAndSwap(last, now) {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}
