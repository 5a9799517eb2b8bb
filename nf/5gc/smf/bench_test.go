package smf

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/pfcp"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// BenchmarkSessionEstablishment measures PDU session establishments per
// second through the SMF and the real UPF (stub AMF, UDM and PCF over
// h2c): CreateSMContext until 201, with the N1N2MessageTransfer of every
// session counted at the AMF. The baseline, measured in the same run, is
// bare PFCP session establishment on the same UPF at the same
// concurrency; ratio_vs_pfcp says how much of that rate the whole
// procedure keeps. Sub-benchmarks differ in how many CreateSMContext
// requests are in flight at once.
func BenchmarkSessionEstablishment(b *testing.B) {
	for _, workers := range []int{8, 64} {
		b.Run(fmt.Sprintf("inflight=%d", workers), func(b *testing.B) { benchEstablish(b, workers) })
	}
}

func benchEstablish(b *testing.B, workers int) {
	pool := "10.128.0.0/10" // room for millions of sessions
	e := startEnv(b, envOpts{realUPF: true, stubUDM: stubUDM(testDNN), stubPCF: stubPCF(), pool: pool})
	var delivered atomic.Int64
	drainAMF(b, e.amf, &delivered)
	baseline := pfcpBaseline(b, e, 2000, workers)

	var next atomic.Int64
	lat := make([][]time.Duration, workers)
	b.ResetTimer()
	cpu0 := processCPU(b)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				supi := fmt.Sprintf("imsi-00101%010d", i/15)
				req := e.createRequest(b, supi, uint8(i%15+1), testDNN)
				t0 := time.Now()
				res, err := smcontext.Create(context.Background(), e.client, e.url, req)
				lat[w] = append(lat[w], time.Since(t0))
				if err != nil || res.Status != http.StatusCreated {
					b.Errorf("create %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	nfkittest.Eventually(b, 30*time.Second, "every accept at the AMF", func() bool { return delivered.Load() >= int64(b.N) })
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()

	all := slices.Concat(lat...)
	slices.Sort(all)
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "sessions/s")
	b.ReportMetric(baseline, "pfcp_only_sessions/s")
	b.ReportMetric(rate/baseline, "ratio_vs_pfcp")
	b.ReportMetric(ms(all[len(all)/2]), "p50_ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99_ms")
	// CPU of the whole process (SMF, UPF, stubs, client) per session:
	// what the rate would be on idle cores, whatever else runs here.
	b.ReportMetric(ms(cpu)/float64(b.N), "cpu_ms/session")
	if e.smf.Sessions() != b.N || e.upf.Sessions() != b.N {
		b.Errorf("SMF holds %d sessions, UPF %d, want %d", e.smf.Sessions(), e.upf.Sessions(), b.N)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// processCPU is the user and system time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drainAMF counts the stub AMF's transfers instead of keeping them.
func drainAMF(b *testing.B, a *stubAMF, n *atomic.Int64) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-a.n1n2:
				n.Add(1)
			case <-ctx.Done():
				return
			}
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
}

// pfcpBaseline establishes and deletes count PFCP sessions directly on
// the UPF from a CP node of its own, workers at a time; it returns
// establishments per second.
func pfcpBaseline(b *testing.B, e *env, count, workers int) float64 {
	b.Helper()
	node, err := pfcp.New(pfcp.Config{Role: pfcp.RoleCP, Addr: "127.0.0.1:0", NodeID: "127.0.0.1",
		Logger: nfkittest.Quiet()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	defer func() { cancel(); <-done }()
	upfAddr := e.upf.Addrs().PFCP
	if _, err := node.Associate(ctx, upfAddr); err != nil {
		b.Fatal(err)
	}
	entry := &dnnEntry{name: testDNN}
	var next atomic.Int64
	seids := make(chan uint64, count)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(count) {
					return
				}
				c := &smContext{entry: entry, ueAddr: netip.AddrFrom4([4]byte{10, 191, byte(i >> 8), byte(i)}),
					qos: qos{fiveQI: 9, arp: 8, ambr: bitrates{UL: 1e8, DL: 2e8}}}
				res, err := node.EstablishSession(ctx, upfAddr, sessionRules(c))
				if err != nil {
					b.Errorf("baseline establish: %v", err)
					return
				}
				seids <- res.CPSEID
			}
		})
	}
	wg.Wait()
	rate := float64(count) / time.Since(start).Seconds()
	close(seids)
	for s := range seids {
		if _, err := node.DeleteSession(ctx, s); err != nil {
			b.Fatalf("baseline delete: %v", err)
		}
	}
	return rate
}
