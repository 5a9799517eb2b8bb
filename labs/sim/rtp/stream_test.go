package rtp

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

func listenLoopback(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type streamResult struct {
	st      simapi.RTPStats
	counts  Counts
	elapsed time.Duration
	err     error
}

func TestStreamBothWays(t *testing.T) {
	a, b := listenLoopback(t), listenLoopback(t)
	// Garbage queued before the call must be counted, not break it.
	if _, err := b.WriteTo([]byte("not rtp"), a.LocalAddr()); err != nil {
		t.Fatalf("send garbage: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var res [2]streamResult
	var wg sync.WaitGroup
	for i, ends := range [2][2]net.PacketConn{{a, b}, {b, a}} {
		wg.Go(func() {
			start := time.Now()
			st, c, err := StreamCounts(ctx, ends[0], ends[1].LocalAddr())
			res[i] = streamResult{st, c, time.Since(start), err}
		})
	}
	wg.Wait()
	for i, r := range res {
		peer := res[1-i]
		if r.err != nil {
			t.Fatalf("side %d: %v", i, r.err)
		}
		ticks := int(r.elapsed / Ptime)
		if r.st.Sent < ticks-3 || r.st.Sent > ticks+2 {
			t.Errorf("side %d sent %d in %v, want about %d", i, r.st.Sent, r.elapsed, ticks+1)
		}
		// The peer may send a last packet or two after this side stopped.
		if r.st.Received > peer.st.Sent || r.st.Received < peer.st.Sent-3 {
			t.Errorf("side %d received %d, peer sent %d", i, r.st.Received, peer.st.Sent)
		}
		if r.st.Lost != 0 || r.st.Expected != r.st.Received || r.st.MOS < 4 {
			t.Errorf("side %d stats %+v: want no loss, MOS above 4", i, r.st)
		}
		wantMalformed := 1 - i // only a got garbage
		if r.counts != (Counts{Malformed: wantMalformed}) {
			t.Errorf("side %d counts %+v, want %d malformed only", i, r.counts, wantMalformed)
		}
	}
}

func TestStreamLeavesConnUsable(t *testing.T) {
	a, b := listenLoopback(t), listenLoopback(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	st, err := Stream(ctx, a, b.LocalAddr())
	if err != nil || st.Sent > 1 {
		t.Fatalf("Stream with ended ctx: %+v, %v", st, err)
	}
	// The read deadline Stream used is cleared: a later read waits.
	if _, err := b.WriteTo([]byte("after"), a.LocalAddr()); err != nil {
		t.Fatalf("send: %v", err)
	}
	buf := make([]byte, 64)
	for {
		n, _, err := a.ReadFrom(buf)
		if err != nil {
			t.Fatalf("read after Stream: %v", err)
		}
		if string(buf[:n]) == "after" {
			return
		}
	}
}

func TestStreamClosedConn(t *testing.T) {
	a, b := listenLoopback(t), listenLoopback(t)
	a.Close()
	_, err := Stream(t.Context(), a, b.LocalAddr())
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Stream on closed conn: %v, want net.ErrClosed", err)
	}
}
