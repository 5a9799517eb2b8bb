package gtpgen

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkUPF drives the in-process UPF (N3 and N4 on loopback, N6 in
// memory) flat out for a second per run, one direction and packet size
// at a time. It reports what the UPF delivered, and the ratio to what
// gtpgen offered in the same run (the baseline). Run with -benchtime=1x.
func BenchmarkUPF(b *testing.B) {
	for _, dir := range []Direction{Uplink, Downlink} {
		for _, size := range []int{64, 1400} {
			b.Run(fmt.Sprintf("%s/%d", dir, size), func(b *testing.B) {
				l := startLab(b, nil, nil)
				var last Result
				for b.Loop() {
					res, err := l.gen.Generator().Run(ctxT(b), Params{Sessions: 64, Duration: time.Second, Size: size, Direction: dir})
					if err != nil {
						b.Fatal(err)
					}
					last = res
				}
				f := last.Uplink
				if dir == Downlink {
					f = last.Downlink
				}
				b.ReportMetric(f.TxPPS, "tx_pps")
				b.ReportMetric(f.RxPPS, "rx_pps")
				b.ReportMetric(f.RxGbps, "rx_gbps")
				b.ReportMetric(f.RxPPS/f.TxPPS, "delivered_ratio")
				b.ReportMetric(f.Latency.P99Us, "p99_us")
			})
		}
	}
}
