package ue

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// echoParams is one UE's share of a traffic step.
type echoParams struct {
	target   netip.AddrPort
	count    int
	interval time.Duration
	wait     time.Duration
	size     int
}

// echoReply is a UDP payload that came back, and when.
type echoReply struct {
	payload []byte
	at      time.Time
}

// seqLen is how much of a payload carries the sequence number: 8 octets,
// or the whole payload when it is shorter (the number then wraps).
func seqLen(size int) int { return min(size, 8) }

func putSeq(p []byte, seq uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	n := seqLen(len(p))
	copy(p[:n], b[8-n:])
}

func readSeq(p []byte) uint64 {
	var b [8]byte
	n := seqLen(len(p))
	copy(b[8-n:], p[:n])
	return binary.BigEndian.Uint64(b[:])
}

// measure sends count echo requests at the interval through send and
// matches the replies, until all came back or wait passed after the last
// send (or ctx ended). RTTs are in arrival order; the outcome also says
// when the last request went and the last reply came. sendErr is the
// first send that failed (the rest are still tried): a UE whose every send
// fails reports why instead of an unexplained zero.
func measure(ctx context.Context, p echoParams, send func(payload []byte) error, replies <-chan echoReply) (out simapi.TrafficOutcome, sendErr error) {
	sentAt := make(map[uint64]time.Time, p.count)
	var first time.Time
	sinceFirst := func(t time.Time) float64 { return ms(t.Sub(first)) }
	mask := uint64(1)<<(8*uint(seqLen(p.size))) - 1
	if seqLen(p.size) == 8 {
		mask = ^uint64(0)
	}
	take := func(r echoReply) {
		if len(r.payload) != p.size {
			return
		}
		seq := readSeq(r.payload)
		if t, ok := sentAt[seq]; ok {
			delete(sentAt, seq)
			out.Received++
			out.RTTMs = append(out.RTTMs, float64(r.at.Sub(t).Microseconds())/1000)
			out.LastReplyMs = max(out.LastReplyMs, sinceFirst(r.at))
		}
	}
	tick := time.NewTicker(max(p.interval, time.Microsecond))
	defer tick.Stop()
	for i := 0; i < p.count; i++ {
		payload := make([]byte, p.size)
		seq := uint64(i+1) & mask
		putSeq(payload, seq)
		now := time.Now()
		if i == 0 {
			first = now
		}
		sentAt[seq] = now
		out.LastSendMs = sinceFirst(now)
		out.Sent++
		if err := send(payload); err != nil {
			delete(sentAt, seq) // lost: nothing to wait for
			if sendErr == nil {
				sendErr = fmt.Errorf("send echo request %d: %w", i+1, err)
			}
		}
		if i == p.count-1 {
			break
		}
		if p.interval > 0 {
			if !drainUntil(ctx, tick.C, replies, take) {
				return out, sendErr
			}
		}
	}
	deadline := time.NewTimer(p.wait)
	defer deadline.Stop()
	for len(sentAt) > 0 {
		select {
		case r := <-replies:
			take(r)
		case <-deadline.C:
			return out, sendErr
		case <-ctx.Done():
			return out, sendErr
		}
	}
	return out, sendErr
}

// drainUntil takes replies until the next tick; false when ctx ended.
func drainUntil(ctx context.Context, tick <-chan time.Time, replies <-chan echoReply, take func(echoReply)) bool {
	for {
		select {
		case <-tick:
			return true
		case r := <-replies:
			take(r)
		case <-ctx.Done():
			return false
		}
	}
}

// ms is d in milliseconds, to the microsecond, as the control API reports
// times.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
