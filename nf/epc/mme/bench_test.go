package mme

import (
	"slices"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
)

// BenchmarkAttach times full attaches through the MME with the real HSS
// (on a real UDR), SGW and PGW: Attach Request by IMSI, AIR, EPS-AKA,
// SMC, ULR, Create Session, Initial Context Setup with the Attach
// Accept, Attach Complete, until the SGW has the eNB's tunnel (Modify
// Bearer answered). One UE at a time; p50 and p99 are reported.
func BenchmarkAttach(b *testing.B) {
	e := newEnv(b, 0, nil)
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		u := e.benchUE(b, i)
		b.StartTimer()
		start := time.Now()
		if r := u.attach(attachOpts{}); !r.accepted {
			b.Fatalf("attach %d: %v", i, r)
		}
		e.spinSynced(b, u)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkAttachParallel is BenchmarkAttach with GOMAXPROCS UEs
// attaching at once: throughput under contention.
func BenchmarkAttachParallel(b *testing.B) {
	e := newEnv(b, 0, nil)
	const pool = 4096
	for i := range min(b.N, pool) {
		e.provision(b, i)
	}
	next := make(chan int, pool)
	for i := range min(b.N, pool) {
		next <- i
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var i int
			select {
			case i = <-next:
			default:
				return // more iterations than subscribers: stop early
			}
			u := e.ue(b, i+benchBase)
			if r := u.attach(attachOpts{}); !r.accepted {
				b.Errorf("attach: %v", r)
				return
			}
			e.spinSynced(b, u)
		}
	})
}

// benchBase numbers the benchmark's subscribers apart from the tests'.
const benchBase = 100000

// provision adds benchmark subscriber i.
func (e *env) provision(b *testing.B, i int) {
	udrtest.Provision(b, e.udr, udr.Provision{IMSI: imsi(i + benchBase), K: testK, OPc: testOPc, SQN: "20",
		DNNs: []udr.DNN{{DNN: "internet", SST: 1, Default: true}}})
}

// benchUE provisions subscriber i and returns its UE.
func (e *env) benchUE(b *testing.B, i int) *testUE {
	e.provision(b, i)
	return e.ue(b, i+benchBase)
}

// spinSynced waits, polling closely, until the SGW has the UE's eNB
// tunnel: the last step of an attach.
func (e *env) spinSynced(b *testing.B, u *testUE) {
	deadline := time.Now().Add(waitFor)
	for !e.synced(u) {
		if time.Now().After(deadline) {
			b.Fatalf("UE %s: Modify Bearer not done", u.imsi)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// synced reports whether every bearer of the UE is known to the SGW.
func (e *env) synced(u *testUE) bool {
	mu := e.mme.byIMSI(u.imsi)
	if mu == nil {
		return false
	}
	mu.mu.Lock()
	defer mu.mu.Unlock()
	for _, p := range mu.pdns {
		for _, b := range p.bearers {
			if !b.synced {
				return false
			}
		}
	}
	return len(mu.pdns) > 0
}

// reportLatency reports attaches per second, p50 and p99.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/sum.Seconds(), "attaches/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
