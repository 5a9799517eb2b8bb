package ue

import (
	"context"
	"math"
	"net/netip"
	"testing"
	"time"
)

// TestMeasureTimesLastSendAndReply: replies stop after the third request;
// the outcome says when the last reply came and the last request went, in
// ms since the first send, so a caller can tell a session that broke.
func TestMeasureTimesLastSendAndReply(t *testing.T) {
	const count, answered = 6, 3
	p := echoParams{target: netip.MustParseAddrPort("10.0.0.1:7"), count: count, interval: 5 * time.Millisecond,
		wait: 20 * time.Millisecond, size: 16}
	replies := make(chan echoReply, count)
	var sends []time.Time
	send := func(payload []byte) error {
		now := time.Now()
		sends = append(sends, now)
		if len(sends) <= answered {
			replies <- echoReply{payload: append([]byte(nil), payload...), at: now.Add(2 * time.Millisecond)}
		}
		return nil
	}
	out, err := measure(context.Background(), p, send, replies)
	if err != nil {
		t.Fatal(err)
	}
	if out.Sent != count || out.Received != answered || len(out.RTTMs) != answered {
		t.Fatalf("outcome %+v", out)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	wantReply := ms(sends[answered-1].Sub(sends[0]) + 2*time.Millisecond)
	wantSend := ms(sends[count-1].Sub(sends[0]))
	if math.Abs(out.LastReplyMs-wantReply) > 1 {
		t.Errorf("last reply at %.3f ms, want %.3f", out.LastReplyMs, wantReply)
	}
	if math.Abs(out.LastSendMs-wantSend) > 1 {
		t.Errorf("last send at %.3f ms, want %.3f", out.LastSendMs, wantSend)
	}
	if out.LastSendMs <= out.LastReplyMs {
		t.Errorf("replies stopped before the last send, yet last reply %.3f >= last send %.3f", out.LastReplyMs, out.LastSendMs)
	}
}
