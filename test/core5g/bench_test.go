package core5g

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// benchConcurrency is how many UEs run a step at once.
const benchConcurrency = 64

// BenchmarkRegistrations registers b.N UEs, benchConcurrency at a time,
// through the real AMF, AUSF, UDM and UDR: SUCI, 5G AKA (two SBI hops
// and an SQN commit), Security Mode, UECM registration, am-data, NSSF,
// Registration Accept and Complete. The baseline, measured in the same
// run with the same concurrency, is a bare SBI round trip (a 404 from the
// AMF's router over h2c): rtts/reg is how many of those one registration
// costs in throughput.
func BenchmarkRegistrations(b *testing.B) {
	c := startCore(b, coreOptions{})
	c.importSubscribers(1, b.N)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: b.N})
	base := sbiBaseline(c, c.amf.SBIURL()+"/nothing")
	b.ResetTimer()
	res := c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{Selector: benchSelector()}, b.N)
	b.StopTimer()
	reportStep(b, res, "regs/s", base)
}

// BenchmarkSessions establishes one PDU session for each of b.N
// registered UEs, benchConcurrency at a time, through the real SMF (UDM
// sm-data, PCF policy, PFCP to the UPF, N1N2 to the AMF) and the gNB's
// PDU Session Resource Setup. Baseline as in BenchmarkRegistrations.
func BenchmarkSessions(b *testing.B) {
	c := startCore(b, coreOptions{})
	c.importSubscribers(1, b.N)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: b.N})
	c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{Selector: benchSelector()}, b.N)
	base := sbiBaseline(c, c.amf.SBIURL()+"/nothing")
	b.ResetTimer()
	res := c.stepOK(sim, simapi.PathSessions, simapi.SessionRequest{Selector: benchSelector(), DNN: "internet", SST: 1}, b.N)
	b.StopTimer()
	reportStep(b, res, "sessions/s", base)
}

func benchSelector() simapi.Selector {
	return simapi.Selector{Concurrency: benchConcurrency, Timeout: simapi.Duration(2 * time.Minute)}
}

// importSubscribers provisions subscribers first..first+n-1 in one CSV
// import (one bbolt transaction).
func (c *core) importSubscribers(first, n int) {
	c.t.Helper()
	var csv strings.Builder
	csv.WriteString("imsi,k,opc,sqn,dnn,sst\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&csv, "%s,%s,%s,20,internet,1\n", imsi(i), testK, testOPc)
	}
	code, body := c.do("POST", c.opsURL(c.udr.Ops())+udr.ProvisioningPath+"/import", "text/csv", csv.String())
	if code != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"added":%d,`, n)) {
		c.t.Fatalf("import %d subscribers: %d %s", n, code, body)
	}
}

// baseline is what bare SBI round trips achieved.
type baseline struct {
	perSecond float64
	p50       time.Duration
}

// sbiBaseline sends bare SBI requests (answered 404 by the router) to
// url over one h2c client, benchConcurrency at a time.
func sbiBaseline(c *core, url string) baseline {
	c.t.Helper()
	const total = 4000
	client, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		c.t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, total)
	var wg sync.WaitGroup
	errs := make(chan error, benchConcurrency)
	start := time.Now()
	for w := range benchConcurrency {
		wg.Go(func() {
			for i := w; i < total; i += benchConcurrency {
				t0 := time.Now()
				_, err := client.Do(context.Background(), http.MethodGet, url, nil, nil)
				lat[i] = time.Since(t0)
				if sbi.StatusOf(err) != http.StatusNotFound {
					errs <- fmt.Errorf("baseline GET %s: %v, want 404", url, err)
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
	return baseline{perSecond: total / elapsed.Seconds(), p50: lat[total/2]}
}

// reportStep reports a step's rate, its per-UE p50 and p99, and the ratio
// to the baseline.
func reportStep(b *testing.B, res simapi.Results, unit string, base baseline) {
	ms := make([]float64, len(res.UEs))
	for i, r := range res.UEs {
		ms[i] = r.Millis
	}
	slices.Sort(ms)
	rate := float64(len(ms)) / b.Elapsed().Seconds()
	b.ReportMetric(rate, unit)
	b.ReportMetric(ms[len(ms)/2], "p50-ms")
	b.ReportMetric(ms[min(len(ms)-1, len(ms)*99/100)], "p99-ms")
	b.ReportMetric(base.perSecond, "sbi-rtts/s")
	b.ReportMetric(float64(base.p50.Microseconds()), "sbi-p50-µs")
	b.ReportMetric(base.perSecond/rate, "rtts/op")
}
