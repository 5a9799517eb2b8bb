package coreepc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// benchConcurrency is how many UEs attach at once.
const benchConcurrency = 64

// BenchmarkAttach attaches b.N UEs, benchConcurrency at a time, through
// the real eNB, MME, HSS, UDR, SGW, PGW and PCRF: Attach Request, AIR
// (SQN commit in the UDR), Authentication, Security Mode, ULR, Create
// Session (SGW, PGW, Gx CCR-I), Initial Context Setup, Attach Complete,
// Modify Bearer. The baseline, measured in the same run at the same
// concurrency, is the one step of an attach that writes to disk: S6a AIR
// round trips on the same HSS and UDR (each claims an SQN with a
// conditional, fsynced UDR update), on 64 other subscribers.
// airs/attach is how many of those one attach costs in throughput.
func BenchmarkAttach(b *testing.B) {
	c := startCore(b)
	c.importSubscribers(1, b.N)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: b.N})
	base := airBaseline(c, 4000)
	b.ResetTimer()
	res := c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{Selector: simapi.Selector{
		Concurrency: benchConcurrency, Timeout: simapi.Duration(2 * time.Minute)}}, b.N)
	b.StopTimer()
	ms := make([]float64, len(res.UEs))
	for i, r := range res.UEs {
		ms[i] = r.Millis
	}
	slices.Sort(ms)
	rate := float64(len(ms)) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "attaches/s")
	b.ReportMetric(ms[len(ms)/2], "p50-ms")
	b.ReportMetric(ms[min(len(ms)-1, len(ms)*99/100)], "p99-ms")
	b.ReportMetric(base.perSecond, "airs/s")
	b.ReportMetric(float64(base.p50.Microseconds())/1000, "air-p50-ms")
	b.ReportMetric(base.perSecond/rate, "airs/attach")
	c.waitGauge(c.mme.Ops(), float64(b.N), "corebox_mme_attaches_total", "result", "accepted")
}

// importSubscribers provisions subscribers first..first+n-1 (internet
// only) in one CSV import (one bbolt transaction).
func (c *core) importSubscribers(first, n int) {
	c.t.Helper()
	var csv strings.Builder
	csv.WriteString("imsi,k,opc,sqn,dnn,sst\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&csv, "%s,%s,%s,20,internet,1\n", imsi(i), testK, testOPc)
	}
	code, body := c.do("POST", c.opsURL(c.udr.Ops())+udr.ProvisioningPath+"/import", "text/csv", csv.String())
	var r udr.ImportResult
	if err := json.Unmarshal(body, &r); code != http.StatusOK || err != nil || r.Added != n {
		c.t.Fatalf("import %d subscribers: %d %s (%v)", n, code, body, err)
	}
}

// baseline is what the bare AIR round trips achieved.
type baseline struct {
	perSecond float64
	p50       time.Duration
}

// airBaseline sends total AIRs (one vector each) to the core's HSS over
// one S6a connection of its own, benchConcurrency at a time, spread over
// benchConcurrency subscribers of their own (the HSS serialises AIRs of
// one IMSI).
func airBaseline(c *core, total int) baseline {
	c.t.Helper()
	const first = 900_000_001
	c.importSubscribers(first, benchConcurrency)
	const host = "bench." + realm
	client, err := diameter.NewClient(diameter.PeerConfig{OriginHost: host, OriginRealm: realm,
		Applications: []uint32{diameter.AppS6a}}, c.hss.DiameterAddr().String(), diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			c.t.Errorf("S6a baseline client: %v", err)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, readyWait)
	defer wcancel()
	if _, err := client.WaitConnected(wctx); err != nil {
		c.t.Fatalf("S6a baseline client: %v", err)
	}
	plmn, err := diameter.NewPLMNID("001", "01")
	if err != nil {
		c.t.Fatal(err)
	}
	lat := make([]time.Duration, total)
	errs := make(chan error, benchConcurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range benchConcurrency {
		wg.Go(func() {
			for i := w; i < total; i += benchConcurrency {
				air := &diameter.AIR{RequestHeader: diameter.RequestHeader{SessionID: diameter.NewSessionID(host),
					OriginHost: host, OriginRealm: realm, DestinationRealm: realm},
					UserName: imsi(first + w), VisitedPLMN: plmn, Vectors: 1}
				t0 := time.Now()
				err := sendAIR(ctx, client, air)
				lat[i] = time.Since(t0)
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		c.t.Fatal(err)
	}
	slices.Sort(lat)
	return baseline{perSecond: float64(total) / elapsed.Seconds(), p50: lat[total/2]}
}

// sendAIR sends one AIR and wants one vector back.
func sendAIR(ctx context.Context, client *diameter.Client, air *diameter.AIR) error {
	m, err := air.Build()
	if err != nil {
		return fmt.Errorf("build AIR: %w", err)
	}
	ans, err := client.Request(ctx, m)
	if err != nil {
		return fmt.Errorf("AIR for %s: %w", air.UserName, err)
	}
	aia, err := diameter.ParseAIA(ans)
	if err != nil {
		return fmt.Errorf("AIA for %s: %w", air.UserName, err)
	}
	if !aia.Result.OK() || len(aia.Vectors) != 1 {
		return fmt.Errorf("AIA for %s: %v with %d vectors, want success with 1", air.UserName, aia.Result, len(aia.Vectors))
	}
	return nil
}
