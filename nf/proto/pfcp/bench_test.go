package pfcp

import (
	"testing"
	"time"

	"github.com/wmnsk/go-pfcp/message"
)

// BenchmarkSessionEstablishment measures CP→UP establishments of a full
// PDU session (2 PDRs, 3 FARs, 2 QERs, 2 URRs) over loopback, one at a time
// and with several in flight.
func BenchmarkSessionEstablishment(b *testing.B) {
	b.Run("sequential", func(b *testing.B) {
		cp, up, _ := pair(b, Config{}, Config{UP: nopUP{}})
		s := fullSession()
		ctx := ctxT(b)
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := cp.EstablishSession(ctx, up.LocalAddr(), &s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sessions/s")
	})
	b.Run("parallel", func(b *testing.B) {
		cp, up, _ := pair(b, Config{}, Config{UP: nopUP{}})
		ctx := ctxT(b)
		b.SetParallelism(8)
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			s := fullSession()
			for pb.Next() {
				if _, err := cp.EstablishSession(ctx, up.LocalAddr(), &s); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sessions/s")
	})
}

// BenchmarkEstablishmentCodec is the encoding and decoding share of one
// establishment: our model to go-pfcp IEs, marshal, parse, back to ours.
func BenchmarkEstablishmentCodec(b *testing.B) {
	s := fullSession()
	b.ReportAllocs()
	for b.Loop() {
		req := message.NewSessionEstablishmentRequest(0, 0, 0, 1, 0, s.CreateIEs()...)
		raw, err := marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		m, err := message.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseSessionRules(m.(*message.SessionEstablishmentRequest)); err != nil {
			b.Fatal(err)
		}
	}
}
