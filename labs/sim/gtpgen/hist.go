package gtpgen

import (
	"math"
	"math/bits"
)

// histogram counts latencies (ns) in log-linear buckets, HDR style: exact
// below 64 ns, then 32 buckets per power of two, so a value is known to
// within 1/32 (about 3 %). Recording is O(1) and never allocates.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    float64
	min    uint64
	max    uint64
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits + 1) * histSub
)

// histBucket is the bucket of v.
func histBucket(v uint64) int {
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// histUpper is the largest value bucket i holds.
func histUpper(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return (m+1)<<shift - 1
}

func (h *histogram) record(v uint64) {
	h.counts[histBucket(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += float64(v)
}

// quantile is the value at or below which a fraction q of the samples
// lie: the upper edge of the bucket holding that rank, capped by the
// largest sample.
func (h *histogram) quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(histUpper(i), h.max)
		}
	}
	return h.max
}

// latency summarises the histogram in microseconds.
func (h *histogram) latency() Latency {
	if h.n == 0 {
		return Latency{}
	}
	us := func(ns uint64) float64 { return float64(ns) / 1e3 }
	return Latency{Samples: h.n, MinUs: us(h.min), MeanUs: h.sum / float64(h.n) / 1e3,
		P50Us: us(h.quantile(0.50)), P90Us: us(h.quantile(0.90)), P99Us: us(h.quantile(0.99)), MaxUs: us(h.max)}
}
