package gtpu

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrBatchFull is returned by Batch.Add when the batch needs a Flush.
var ErrBatchFull = errors.New("gtpu: batch full")

// DefaultBatchSize is the batch size NewBatch picks for a size <= 0.
const DefaultBatchSize = 64

// Batch queues encoded messages and sends them with one sendmmsg(2) per
// Flush (one send per message where the OS has no sendmmsg), coalescing
// runs for one peer with UDP GSO when Config.GSO is set. It does not copy:
// a message's buffer must stay untouched until the Flush that sends it
// returns. A Batch belongs to one goroutine.
type Batch struct {
	e     *Endpoint
	ring  *txRing
	bytes int // octets queued
	onErr func(i int, err error)
	fail  func(i int, err error) // b.failed, bound once
}

// NewBatch returns a batch of size messages sending from the endpoint's
// socket number socket (modulo Sockets), so that each sending goroutine
// can have a socket of its own.
func (e *Endpoint) NewBatch(socket, size int) (*Batch, error) {
	if size <= 0 {
		size = DefaultBatchSize
	}
	ring, err := newTxRing(e.socks[socket%len(e.socks)], e.ipv6, e.cfg.GSO, size)
	if err != nil {
		return nil, fmt.Errorf("gtpu batch on %s: %w", e.local, err)
	}
	b := &Batch{e: e, ring: ring}
	b.fail = b.failed
	return b, nil
}

// Len is the number of messages queued.
func (b *Batch) Len() int { return b.ring.len() }

// Cap is how many messages the batch holds.
func (b *Batch) Cap() int { return b.ring.cap() }

// Add queues msg for dst. It fails when the batch is full or dst is of
// the other address family (counted in Stats().TxErrors).
func (b *Batch) Add(dst netip.AddrPort, msg []byte) error {
	dst, err := b.e.checkDst(dst)
	if err != nil {
		return err
	}
	if b.ring.len() == b.ring.cap() {
		return ErrBatchFull
	}
	b.ring.add(dst, msg)
	b.bytes += len(msg)
	return nil
}

// Flush sends the queued messages in order and empties the batch. A
// message the kernel refuses is skipped, counted in Stats().TxErrors and
// passed to onError (when not nil) with its index in the batch. Flush
// returns how many messages were sent.
func (b *Batch) Flush(onError func(i int, err error)) int {
	b.onErr = onError
	sent, _ := b.ring.flush(b.fail) // a socket error is reported per message
	b.onErr = nil
	st := &b.e.stats
	st.TxPackets.Add(uint64(sent))
	st.TxBytes.Add(uint64(b.bytes))
	b.bytes = 0
	return sent
}

func (b *Batch) failed(i int, err error) {
	b.e.stats.TxErrors.Add(1)
	b.bytes -= len(b.ring.msgs[i])
	if b.onErr != nil {
		b.onErr(i, fmt.Errorf("gtpu send: %w", err))
	}
}
