package hss_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
)

// BenchmarkAIR measures S6a authentication vectors per second through the
// whole path (Diameter over loopback TCP, Nudr read and conditional SQN
// update on a real UDR, Milenage and KASME), against a baseline in the
// same run: the same UDR work and vector computation called directly,
// without the HSS and Diameter.
func BenchmarkAIR(b *testing.B) {
	const subscribers = 64
	u, _ := udrtest.Start(b, udrtest.Config(b))
	imsis := make([]string, subscribers)
	for i := range imsis {
		imsis[i] = fmt.Sprintf("0010100000%05d", i+1)
		udrtest.Provision(b, u, udr.Provision{IMSI: imsis[i], K: testK, OPc: testOPc})
	}
	h, _ := hsstest.Start(b, hsstest.Config(u.SBIURL()))
	m := newMME(b, h, mme1)
	e := env{udr: u, hss: h}
	e.udrc = udrClient(b, u)
	var baseline float64 // vectors/s of the direct path
	report := func(b *testing.B, vectors float64) {
		rate := vectors / b.Elapsed().Seconds()
		b.ReportMetric(rate, "vectors/s")
		if baseline > 0 {
			b.ReportMetric(rate/baseline, "x-baseline")
		}
	}

	b.Run("udr-baseline-serial", func(b *testing.B) {
		mil, err := aka.NewMilenage(unhex(b, testK), unhex(b, testOPc))
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			supi := "imsi-" + imsis[i%subscribers]
			sub, err := e.udrc.AuthSubscription(bg, supi)
			if err != nil {
				b.Fatal(err)
			}
			cur := aka.SQNFromBytes([aka.SQNLen]byte(unhex(b, sub.SequenceNumber.Sqn)))
			if err := e.udrc.UpdateSQN(bg, supi, cur.String(), cur.Next().String()); err != nil {
				b.Fatal(err)
			}
			rand, err := aka.NewRAND()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := mil.GenerateEPSVector(cur.Next(), aka.AMF5G, "001", "01", rand); err != nil {
				b.Fatal(err)
			}
		}
		report(b, float64(b.N))
		baseline = float64(b.N) / b.Elapsed().Seconds()
	})
	b.Run("air-serial", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if a := m.air(b, imsis[i%subscribers], 1, nil); !a.Result.OK() {
				b.Fatal(a.Result)
			}
		}
		report(b, float64(b.N))
	})
	b.Run("air-parallel", func(b *testing.B) {
		var next atomic.Uint64
		b.SetParallelism(8) // MMEs keep many AIRs in flight on one connection
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				if a := m.air(b, imsis[i%subscribers], 1, nil); !a.Result.OK() {
					b.Error(a.Result)
					return
				}
			}
		})
		report(b, float64(b.N))
	})
	b.Run("air-5-vectors", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if a := m.air(b, imsis[i%subscribers], 5, nil); len(a.Vectors) != 5 {
				b.Fatal(a.Result)
			}
		}
		report(b, 5*float64(b.N))
	})
}
