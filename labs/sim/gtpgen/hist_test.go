package gtpgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Every value falls in a bucket whose bounds hold it, and buckets tile
// the range without gaps.
func TestHistBuckets(t *testing.T) {
	values := []uint64{0, 1, 31, 32, 63, 64, 65, 66, 127, 128, 1000, 1 << 20, 1<<40 + 12345, math.MaxUint64}
	for range 1000 {
		values = append(values, rand.Uint64()>>rand.IntN(64))
	}
	for _, v := range values {
		i := histBucket(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("value %d: bucket %d out of 0..%d", v, i, histBuckets-1)
		}
		lower := uint64(0)
		if i > 0 {
			lower = histUpper(i-1) + 1
		}
		if v < lower || v > histUpper(i) {
			t.Fatalf("value %d in bucket %d = [%d, %d]", v, i, lower, histUpper(i))
		}
		// Relative width stays within 1/32.
		if width := histUpper(i) - lower; v >= 64 && float64(width) > float64(v)/histSub {
			t.Fatalf("bucket %d of %d is %d wide", i, v, width)
		}
	}
}

// Quantiles match the exact ones of the samples within the bucket width.
func TestHistQuantiles(t *testing.T) {
	for name, gen := range map[string]func() uint64{
		"uniform":     func() uint64 { return 1000 + rand.Uint64N(1_000_000) },
		"exponential": func() uint64 { return uint64(rand.ExpFloat64() * 50_000) },
		"constant":    func() uint64 { return 42_000 },
	} {
		var h histogram
		samples := make([]uint64, 100_000)
		for i := range samples {
			samples[i] = gen()
			h.record(samples[i])
		}
		slices.Sort(samples)
		for _, q := range []float64{0.5, 0.9, 0.99, 1} {
			exact := samples[int(math.Ceil(q*float64(len(samples))))-1]
			got := h.quantile(q)
			if got < exact || float64(got-exact) > float64(exact)/histSub+1 {
				t.Errorf("%s: q%v = %d, exact %d", name, q, got, exact)
			}
		}
		l := h.latency()
		if l.Samples != uint64(len(samples)) || l.MinUs != float64(samples[0])/1e3 || l.MaxUs != float64(samples[len(samples)-1])/1e3 {
			t.Errorf("%s: %+v", name, l)
		}
	}
	var empty histogram
	if l := empty.latency(); l != (Latency{}) {
		t.Errorf("empty histogram: %+v", l)
	}
}

func TestHistRecordDoesNotAllocate(t *testing.T) {
	var h histogram
	if n := testing.AllocsPerRun(1000, func() { h.record(rand.Uint64N(1e9)) }); n != 0 {
		t.Errorf("record allocates %v times", n)
	}
}
