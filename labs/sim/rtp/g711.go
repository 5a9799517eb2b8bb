package rtp

import "math"

// G.711 µ-law: a 14-bit linear sample is biased, split into a 3-bit
// segment (the position of its highest set bit) and a 4-bit mantissa, and
// the code is sent inverted. These work on 16-bit PCM, whose two low bits
// µ-law drops.
const (
	ulawBias = 0x84  // 132: makes every segment's range start at a power of two
	ulawClip = 32635 // largest magnitude that still fits once biased
)

// ToneHz is the tone ToneFrame produces. 440 Hz at 8 kHz repeats exactly
// every 200 samples, so the phase stays exact however long a call lasts.
const ToneHz = 440

const (
	tonePeriod    = 200  // ClockRate / gcd(ClockRate, ToneHz)
	toneAmplitude = 8000 // about -12 dBFS
)

// EncodeULaw encodes a 16-bit linear PCM sample to µ-law.
func EncodeULaw(sample int16) byte {
	s := int32(sample)
	var sign byte
	if s < 0 {
		sign = 0x80
		s = -s
	}
	s = min(s, ulawClip) + ulawBias
	seg := byte(0)
	for v := s >> 8; v > 0 && seg < 7; v >>= 1 {
		seg++
	}
	mantissa := byte(s>>(seg+3)) & 0x0f
	return ^(sign | seg<<4 | mantissa)
}

// DecodeULaw decodes a µ-law code to a 16-bit linear PCM sample.
func DecodeULaw(code byte) int16 {
	code = ^code
	seg := (code >> 4) & 0x07
	mantissa := int32(code & 0x0f)
	s := ((mantissa<<3 | ulawBias) << seg) - ulawBias
	if code&0x80 != 0 {
		s = -s
	}
	return int16(s)
}

// ToneFrame fills dst (normally SamplesPerFrame bytes; all of dst is
// filled) with µ-law samples of a ToneHz sine continuing from sample
// index n, so consecutive frames make one continuous tone.
func ToneFrame(dst []byte, n uint64) {
	phase := n % tonePeriod
	for i := range dst {
		x := toneAmplitude * math.Sin(2*math.Pi*ToneHz*float64(phase)/ClockRate)
		dst[i] = EncodeULaw(int16(math.Round(x)))
		if phase++; phase == tonePeriod {
			phase = 0
		}
	}
}
