package rtp

import "math"

// E-model (ITU-T G.107) inputs for G.711 with packet loss concealment.
const (
	// rDefault is Ro - Is with every other G.107 parameter at its
	// default: the R of a perfect narrowband call.
	rDefault = 93.2
	// ie is G.711's equipment impairment, bpl its packet-loss robustness
	// with PLC (G.113 Appendix I).
	ie  = 0
	bpl = 25.1
	// burstR 1 is random (not bursty) loss.
	burstR = 1
)

// MOS estimates the mean opinion score of a G.711 call from the G.107
// E-model: R = Ro - Is - Id - Ie,eff (A = 0), then mapped to MOS.
//
// lossRatio is the random packet loss (0..1), jitterMs the interarrival
// jitter and delayMs the one-way mouth-to-ear delay without the jitter
// buffer. Our assumption: the receiver's jitter buffer holds 2*jitter + 20
// ms, which is added to delayMs. Id is G.107's Idd for that total delay
// (talker echo assumed cancelled, so Idte and Idle are left out).
func MOS(lossRatio, jitterMs, delayMs float64) float64 {
	ppl := 100 * clamp(lossRatio, 0, 1)
	ta := max(delayMs, 0) + 2*max(jitterMs, 0) + 20
	ieEff := ie + (95-ie)*ppl/(ppl/burstR+bpl)
	r := rDefault - delayImpairment(ta) - ieEff
	return clamp(rToMOS(r), 1, 4.5)
}

// delayImpairment is G.107's Idd for an absolute delay of ta ms.
func delayImpairment(ta float64) float64 {
	if ta <= 100 {
		return 0
	}
	x := math.Log10(ta/100) / math.Log10(2)
	return 25 * (math.Pow(1+math.Pow(x, 6), 1.0/6) - 3*math.Pow(1+math.Pow(x/3, 6), 1.0/6) + 2)
}

func rToMOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

// clamp limits v to [lo, hi]; NaN becomes lo.
func clamp(v, lo, hi float64) float64 {
	if !(v >= lo) {
		return lo
	}
	return min(v, hi)
}
