package rtp

import (
	"bytes"
	"math"
	"testing"
)

func TestULawCodesRoundTrip(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		got := EncodeULaw(DecodeULaw(code))
		// 0x7f is "negative zero": it decodes to 0, which encodes as 0xff.
		if code == 0x7f {
			code = 0xff
		}
		if got != code {
			t.Errorf("EncodeULaw(DecodeULaw(%#02x)) = %#02x", c, got)
		}
	}
}

func TestULawKnownValues(t *testing.T) {
	tests := []struct {
		sample int16
		code   byte
	}{
		{0, 0xff},
		{-1, 0x7f},
		{8, 0xfe},
		{32767, 0x80},
		{-32768, 0x00},
		{1000, 0xce},
	}
	for _, tt := range tests {
		if got := EncodeULaw(tt.sample); got != tt.code {
			t.Errorf("EncodeULaw(%d) = %#02x, want %#02x", tt.sample, got, tt.code)
		}
	}
}

// Every sample that is not clipped comes back within half a quantization
// step, which is 1/32 of the biased magnitude's segment start.
func TestULawQuantizationError(t *testing.T) {
	for s := -ulawClip; s <= ulawClip; s++ {
		back := int(DecodeULaw(EncodeULaw(int16(s))))
		mag := s
		if mag < 0 {
			mag = -mag
		}
		bound := (mag+ulawBias)/32 + 1
		if diff := back - s; diff > bound || -diff > bound {
			t.Fatalf("sample %d decodes to %d, error above %d", s, back, bound)
		}
	}
}

func TestToneFrameIsContinuous(t *testing.T) {
	whole := make([]byte, 3*SamplesPerFrame)
	ToneFrame(whole, 12345)
	for i := range 3 {
		frame := make([]byte, SamplesPerFrame)
		ToneFrame(frame, 12345+uint64(i*SamplesPerFrame))
		if !bytes.Equal(frame, whole[i*SamplesPerFrame:(i+1)*SamplesPerFrame]) {
			t.Fatalf("frame %d differs from the continuous tone", i)
		}
	}
}

func TestToneFrameIsTone(t *testing.T) {
	second := make([]byte, ClockRate)
	ToneFrame(second, 1<<40)
	crossings, peak := 0, 0.0
	prev := DecodeULaw(second[0])
	for _, c := range second[1:] {
		s := DecodeULaw(c)
		if (prev < 0) != (s < 0) {
			crossings++
		}
		peak = max(peak, math.Abs(float64(s)))
		prev = s
	}
	if crossings < 2*ToneHz-2 || crossings > 2*ToneHz+2 {
		t.Errorf("%d zero crossings in one second, want about %d", crossings, 2*ToneHz)
	}
	if math.Abs(peak-toneAmplitude) > toneAmplitude*0.05 {
		t.Errorf("peak %v, want about %d", peak, toneAmplitude)
	}
}
