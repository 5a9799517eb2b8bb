package rtp

import (
	"math"
	"testing"
	"time"
)

func TestReceiverSequence(t *testing.T) {
	tests := []struct {
		name                      string
		seqs                      []uint16
		received, expected, lost  int
		duplicates, jumps, others int
	}{
		{name: "in order", seqs: []uint16{10, 11, 12, 13}, received: 4, expected: 4},
		{name: "wrap-around", seqs: []uint16{65533, 65534, 65535, 0, 1, 2}, received: 6, expected: 6},
		{name: "loss across wrap", seqs: []uint16{65534, 1}, received: 2, expected: 4, lost: 2},
		{name: "loss", seqs: []uint16{1, 2, 4, 5, 8}, received: 5, expected: 8, lost: 3},
		{name: "duplicates", seqs: []uint16{1, 2, 2, 3, 2, 1}, received: 3, expected: 3, duplicates: 3},
		{name: "reordered", seqs: []uint16{1, 3, 2, 4}, received: 4, expected: 4},
		{name: "first packet late across wrap", seqs: []uint16{0, 65535, 1}, received: 3, expected: 3},
		{name: "unconfirmed jump dropped", seqs: []uint16{1, 2, 30000, 3}, received: 3, expected: 3, jumps: 1},
		{name: "confirmed jump restarts", seqs: []uint16{1, 2, 30000, 30001}, received: 3, expected: 3, jumps: 1},
		{name: "too late is a jump", seqs: []uint16{500, 100}, received: 1, expected: 1, jumps: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReceiver()
			at := time.Unix(0, 0)
			for _, s := range tt.seqs {
				r.Add(&Packet{Seq: s, Timestamp: uint32(s) * SamplesPerFrame, SSRC: 5}, at)
				at = at.Add(Ptime)
			}
			r.Add(&Packet{Seq: tt.seqs[0] + 1, SSRC: 6}, at)
			st, c := r.Stats(7), r.Counts()
			if st.Sent != 7 || st.Received != tt.received || st.Expected != tt.expected || st.Lost != tt.lost {
				t.Errorf("stats %+v, want received %d expected %d lost %d", st, tt.received, tt.expected, tt.lost)
			}
			if want := float64(tt.lost) / float64(tt.expected); st.LossRatio != want {
				t.Errorf("loss ratio %v, want %v", st.LossRatio, want)
			}
			if c.Duplicates != tt.duplicates || c.Jumps != tt.jumps || c.OtherSSRC != 1 {
				t.Errorf("counts %+v, want duplicates %d jumps %d other SSRC 1", c, tt.duplicates, tt.jumps)
			}
		})
	}
}

func TestReceiverEmpty(t *testing.T) {
	st := NewReceiver().Stats(3)
	// Nothing heard is a dead call: all lost, the lowest MOS.
	if st.Sent != 3 || st.Received != 0 || st.Expected != 0 || st.Lost != 0 || st.LossRatio != 1 || st.MOS != 1 {
		t.Fatalf("empty receiver stats %+v, want loss 1 and MOS 1", st)
	}
}

// A confirmed jump starts a new run; expected packets of both runs add up
// (40000 is dropped, 40001 confirms the jump).
func TestReceiverRestartAccumulates(t *testing.T) {
	r := NewReceiver()
	at := time.Unix(0, 0)
	for _, s := range []uint16{1, 2, 3, 40000, 40001, 40003} {
		r.Add(&Packet{Seq: s, SSRC: 1}, at)
	}
	st := r.Stats(0)
	if st.Received != 5 || st.Expected != 6 || st.Lost != 1 {
		t.Fatalf("stats %+v, want received 5 expected 6 (3 + 40001..40003) lost 1", st)
	}
}

func TestReceiverJitter(t *testing.T) {
	// Alternating transit of 0 and 10 ms gives |D| = 80 timestamp units on
	// every update, so after n updates J = 80 (1 - (15/16)^n) units.
	alternating := func(n int) float64 { return 10 * (1 - math.Pow(15.0/16, float64(n))) }
	tests := []struct {
		name    string
		packets int
		extra   func(i int) time.Duration // transit of packet i beyond the first's
		wantMs  float64
	}{
		{"constant transit", 50, func(int) time.Duration { return 0 }, 0},
		{"constant offset", 50, func(int) time.Duration { return 30 * time.Millisecond }, 0},
		{"alternating, 2 packets", 2, alternatingTransit, 0.625},
		{"alternating, 3 packets", 3, alternatingTransit, 1.2109375},
		{"alternating, 200 packets", 200, alternatingTransit, alternating(199)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReceiver()
			start := time.Unix(100, 0)
			for i := range tt.packets {
				sendTime := time.Duration(i) * Ptime
				// The timestamps wrap past 2^32 on the way.
				ts := uint32(i*SamplesPerFrame) + 0xfffff000
				r.Add(&Packet{Seq: uint16(i), Timestamp: ts, SSRC: 1}, start.Add(sendTime+tt.extra(i)))
			}
			if got := r.Stats(0).JitterMs; math.Abs(got-tt.wantMs) > 1e-9 {
				t.Fatalf("jitter %v ms, want %v", got, tt.wantMs)
			}
		})
	}
}

func alternatingTransit(i int) time.Duration {
	return time.Duration(i%2) * 10 * time.Millisecond
}
