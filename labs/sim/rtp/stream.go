package rtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// maxDatagram bounds what one read takes; RTP over UDP never exceeds it.
const maxDatagram = 65535

// Stream sends G.711 frames on conn to peer every Ptime from a random
// SSRC/seq/timestamp start, and reads the peer's packets from the same
// conn into a Receiver, until ctx ends. It returns the receive stats with
// Sent filled. Malformed packets are dropped, counted and logged at the
// end; StreamCounts returns the counts.
func Stream(ctx context.Context, conn net.PacketConn, peer net.Addr) (simapi.RTPStats, error) {
	st, counts, err := StreamCounts(ctx, conn, peer)
	if counts != (Counts{}) {
		slog.Default().Info("rtp: packets set aside", "peer", peer.String(),
			"malformed", counts.Malformed, "other_ssrc", counts.OtherSSRC,
			"duplicates", counts.Duplicates, "jumps", counts.Jumps)
	}
	return st, err
}

// StreamCounts is Stream that also returns what the receive side set
// aside (malformed, other SSRC, duplicates, sequence jumps).
//
// Packets are accepted from any source address: a media relay may send
// from another address than the one the SDP gave; the SSRC separates
// streams. conn's read deadline is used to stop reading and is cleared on
// return.
func StreamCounts(ctx context.Context, conn net.PacketConn, peer net.Addr) (simapi.RTPStats, Counts, error) {
	// A deadline left by an earlier user would stop our reader early.
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return simapi.RTPStats{}, Counts{}, fmt.Errorf("rtp: clear read deadline: %w", err)
	}
	rcv := NewReceiver()
	var malformed int
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { readErr <- readLoop(conn, rcv, &malformed) })

	sent, sendErr := sendLoop(ctx, conn, peer, readErr)

	// Stop the reader; it owns rcv until wg.Wait returns.
	deadlineErr := conn.SetReadDeadline(time.Now())
	wg.Wait()
	err := errors.Join(sendErr, <-readErr)
	if deadlineErr != nil {
		err = errors.Join(err, fmt.Errorf("rtp: stop reading: %w", deadlineErr))
	} else if cerr := conn.SetReadDeadline(time.Time{}); cerr != nil {
		err = errors.Join(err, fmt.Errorf("rtp: clear read deadline: %w", cerr))
	}
	counts := rcv.Counts()
	counts.Malformed = malformed
	return rcv.Stats(sent), counts, err
}

// sendLoop sends a frame now and one per Ptime tick until ctx ends, or
// the reader fails (its error is put back for the caller).
func sendLoop(ctx context.Context, conn net.PacketConn, peer net.Addr, readErr chan error) (int, error) {
	p := &Packet{
		PayloadType: PayloadPCMU,
		Marker:      true, // first packet of a talkspurt (RFC 3551 section 4.1)
		Seq:         uint16(rand.Uint32()),
		Timestamp:   rand.Uint32(),
		SSRC:        rand.Uint32(),
		Payload:     make([]byte, SamplesPerFrame),
	}
	buf := make([]byte, 0, headerLen+SamplesPerFrame)
	ticker := time.NewTicker(Ptime)
	defer ticker.Stop()
	sent, samples := 0, uint64(0)
	for {
		ToneFrame(p.Payload, samples)
		pkt, err := p.AppendTo(buf[:0])
		if err != nil {
			return sent, fmt.Errorf("rtp: encode: %w", err)
		}
		if _, err := conn.WriteTo(pkt, peer); err != nil {
			return sent, fmt.Errorf("rtp: send to %s: %w", peer, err)
		}
		sent++
		p.Marker = false
		p.Seq++
		p.Timestamp += SamplesPerFrame
		samples += SamplesPerFrame
		select {
		case <-ctx.Done():
			return sent, nil
		case err := <-readErr:
			readErr <- err
			return sent, nil
		case <-ticker.C:
		}
	}
}

// readLoop feeds rcv until the read deadline expires (StreamCounts sets
// it once sending stops) or reading fails.
func readLoop(conn net.PacketConn, rcv *Receiver, malformed *int) error {
	buf := make([]byte, maxDatagram)
	for {
		n, _, err := conn.ReadFrom(buf)
		if n > 0 {
			arrival := time.Now()
			if p, perr := Parse(buf[:n]); perr != nil {
				*malformed++
			} else {
				rcv.Add(p, arrival)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil // our deadline: the sender stopped
		default:
			return fmt.Errorf("rtp: receive: %w", err)
		}
	}
}
