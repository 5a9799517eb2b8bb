package ausf_test

import (
	"sync/atomic"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/aka"
)

// BenchmarkAuthentication measures full 5G AKA runs (POST
// ue-authentications, the USIM's answer, PUT 5g-aka-confirmation) through
// AUSF, UDM and UDR over h2c on loopback. The baseline is one bare SBI
// round trip to the AUSF in the same run, so the ratio says how many round
// trips' worth one authentication costs (it makes three hops and one
// bbolt commit).
func BenchmarkAuthentication(b *testing.B) {
	const subs = 64
	ch := startChain(b, subs, nil, nil)
	b.Run("baseline-roundtrip", func(b *testing.B) {
		url := ch.ausf.SBIURL() + "/nothing"
		for b.Loop() {
			if _, err := ch.sbi.Do(bg, "GET", url, nil, nil); err == nil {
				b.Fatal("want 404")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("serial", func(b *testing.B) {
		ue := newUE(b, 1, testK, 0)
		for b.Loop() {
			authenticate(b, ch.c, ue, 1)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomic.Int32
		b.SetParallelism(8) // 8 x GOMAXPROCS clients, each its own subscriber
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1))%subs + 2
			if i > subs {
				i = 2
			}
			ue := newUE(b, i, testK, 0)
			for pb.Next() {
				authenticate(b, ch.c, ue, i)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
	})
}

func authenticate(b *testing.B, c *ausf.Client, ue *aka.USIM, i int) {
	ch, err := c.Authenticate(bg, info(i))
	if err != nil {
		b.Fatal(err)
	}
	res, err := ue.Authenticate(ch.RAND, ch.AUTN, snn, nil)
	if err != nil {
		b.Fatal(err)
	}
	conf, err := c.Confirm(bg, ch.ConfirmURL, res.RESStar)
	if err != nil || conf.AuthResult != models.Ausf_UEAU_AuthResult_SUCCESS {
		b.Fatalf("confirm: %+v %v", conf, err)
	}
}
