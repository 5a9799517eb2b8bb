package rtp

import (
	"math"
	"testing"
)

func TestMOSValues(t *testing.T) {
	tests := []struct {
		name                string
		loss, jitter, delay float64
		min, max            float64
	}{
		{"no loss, low delay", 0, 0, 20, 4.38, 4.42},
		{"5% loss", 0.05, 0, 20, 3.8, 4.0},
		{"20% loss", 0.20, 0, 20, 2.5, 2.8},
		{"all lost", 1, 0, 20, 1, 1.3},
		{"400 ms delay", 0, 0, 400, 1, 3.6},
		{"NaN loss counts as none", math.NaN(), 0, 20, 4.38, 4.42},
		{"negative inputs clamp", -1, -5, -100, 4.38, 4.42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MOS(tt.loss, tt.jitter, tt.delay)
			if got < tt.min || got > tt.max {
				t.Fatalf("MOS(%v, %v, %v) = %v, want in [%v, %v]", tt.loss, tt.jitter, tt.delay, got, tt.min, tt.max)
			}
		})
	}
}

func TestMOSMonotonic(t *testing.T) {
	axes := []struct {
		name string
		mos  func(x float64) float64
		step float64
	}{
		{"loss", func(x float64) float64 { return MOS(x/100, 0, 20) }, 1},
		{"jitter", func(x float64) float64 { return MOS(0.01, x, 20) }, 5},
		{"delay", func(x float64) float64 { return MOS(0.01, 0, x*5) }, 1},
	}
	for _, ax := range axes {
		t.Run(ax.name, func(t *testing.T) {
			prev := ax.mos(0)
			for x := ax.step; x <= 100; x += ax.step {
				got := ax.mos(x)
				if got > prev || got < 1 || got > 4.5 {
					t.Fatalf("MOS at %v = %v after %v: not non-increasing in [1, 4.5]", x, got, prev)
				}
				prev = got
			}
			if prev >= ax.mos(0) {
				t.Fatalf("MOS never fell along %s", ax.name)
			}
		})
	}
}

// The jitter buffer assumption: jitter j costs the same as 2j ms of delay.
func TestMOSJitterAsDelay(t *testing.T) {
	if a, b := MOS(0, 50, 100), MOS(0, 0, 200); math.Abs(a-b) > 1e-12 {
		t.Fatalf("MOS with 50 ms jitter %v, with 100 ms more delay %v", a, b)
	}
}
