package diameter

import (
	"context"
	"math/rand/v2"
	"time"
)

// watchdog closes a connection that does not exchange capabilities within
// handshakeTimeout, then sends DWR after WatchdogInterval of silence and
// closes the connection when no DWA comes within two intervals (RFC 3539).
func (p *Peer) watchdog() {
	if !p.awaitUp() {
		return
	}
	tw := p.ep.cfg.WatchdogInterval
	t := time.NewTimer(jitter(tw))
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		if idle := time.Since(time.Unix(0, p.lastRx.Load())); idle < tw {
			t.Reset(tw - idle + jitter(tw)/10)
			continue
		}
		ctx, cancel := context.WithTimeout(p.ctx, 2*tw)
		_, err := p.request(ctx, p.dwr())
		cancel()
		if err != nil {
			if p.ctx.Err() == nil {
				p.logger().Warn("diameter: watchdog got no DWA, closing", "err", err)
			}
			p.Close()
			return
		}
		t.Reset(jitter(tw))
	}
}

// handshakeTimeout bounds the wait for CER (server) or CEA (client).
const handshakeTimeout = 5 * time.Second

// awaitUp waits for the capabilities exchange; false when the connection
// closed, or closes it when the exchange does not come in time.
func (p *Peer) awaitUp() bool {
	t := time.NewTimer(handshakeTimeout)
	defer t.Stop()
	select {
	case <-p.upCh:
		return true
	case <-p.ctx.Done():
		return false
	case <-t.C:
		p.logger().Warn("diameter: no capabilities exchange in time, closing", "after", handshakeTimeout)
		p.Close()
		return false
	}
}

// jitter is d ± 10%, so peers' watchdogs do not tick in step.
func jitter(d time.Duration) time.Duration {
	span := int64(d) / 5
	if span <= 0 {
		return d
	}
	return d - time.Duration(span/2) + time.Duration(rand.Int64N(span))
}
