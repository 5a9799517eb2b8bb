package imsinterop

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Rate search: each step runs rate calls/s for stepSeconds against a
// fresh target, and passes when no call failed and SIPp kept the pace.
// Kamailio gets as many UDP children (-n) as the cores our in-process
// NFs may use (GOMAXPROCS, the number of CPUs by default).
const (
	stepSeconds = 5
	benchPause  = 20 * time.Millisecond // between ACK and BYE, see uac_call.xml
)

var benchRates = []int{50, 100, 150, 200, 300, 400, 500, 650, 800, 1000, 1250, 1500, 2000, 2500, 3000}

// target is one system under test: it starts, registers both SIPp user
// agents, and names the address SIPp sends to.
type target struct {
	name  string
	start func(ctx context.Context, t testing.TB, caller, callee endpoint) string
}

var coreboxTarget = target{name: "corebox", start: func(ctx context.Context, t testing.TB, caller, callee endpoint) string {
	n := startIMS(t, alice, bob)
	callee.register(ctx, t, n.sip, "register_aka.xml")
	caller.register(ctx, t, n.sip, "register_aka.xml")
	n.waitRegistered(t, alice)
	n.waitRegistered(t, bob)
	return n.sip
}}

var kamailioTarget = target{name: "kamailio", start: func(ctx context.Context, t testing.TB, caller, callee endpoint) string {
	k := startKamailio(t, runtime.GOMAXPROCS(0))
	callee.register(ctx, t, k.addr, "register_plain.xml")
	caller.register(ctx, t, k.addr, "register_plain.xml")
	return k.addr
}}

// step runs one rate against a fresh tg; ok when every call succeeded
// and SIPp sent them at the rate asked for.
func step(tb testing.TB, tg target, rate int) (ok bool, why string) {
	s := newScope(tb)
	defer s.close()
	calls := rate * stepSeconds
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(stepSeconds)*time.Second+2*time.Minute)
	defer cancel()
	caller, callee := newEndpoint(s, alice, uacHost), newEndpoint(s, bob, uasHost)
	proxy := tg.start(ctx, s, caller, callee)
	uac, uas := callRun{caller: caller, callee: callee, proxy: proxy, calls: calls, rate: rate,
		pause: benchPause, timeout: time.Duration(stepSeconds)*time.Second + 60*time.Second}.run(ctx, s)
	switch {
	case uac.code != 0 || uas.code != 0:
		// One line: go test keeps only the first lines a benchmark logs.
		return false, fmt.Sprintf("caller exit %d, callee exit %d; caller: %s; callee: %s",
			uac.code, uas.code, firstEvent(uac.errLog), firstEvent(uas.errLog))
	case uac.elapsed > time.Duration(stepSeconds)*time.Second*12/10+3*time.Second:
		return false, fmt.Sprintf("%d calls took %v: SIPp could not keep %d/s", calls, uac.elapsed.Round(time.Millisecond), rate)
	}
	return true, fmt.Sprintf("%d calls in %v", calls, uac.elapsed.Round(time.Millisecond))
}

// maxRate is the highest rate of benchRates with no failed call, refined
// by two bisection steps towards the first failing one. It logs one line
// of steps and one with the first failure: go test prints only the first
// lines a benchmark logs.
func maxRate(tb testing.TB, tg target) int {
	best, failed := 0, 0
	var steps []string
	firstWhy := ""
	try := func(r int) bool {
		ok, why := step(tb, tg, r)
		verdict := "ok"
		if !ok {
			verdict = "FAIL"
			if firstWhy == "" {
				firstWhy = fmt.Sprintf("%d calls/s: %s", r, why)
			}
		}
		steps = append(steps, fmt.Sprintf("%d %s", r, verdict))
		return ok
	}
	for _, r := range ratesToTry(tb) {
		if !try(r) {
			failed = r
			break
		}
		best = r
	}
	for range 2 {
		if failed == 0 || failed-best <= 20 {
			break
		}
		mid := (best + failed) / 2 / 10 * 10
		if try(mid) {
			best = mid
		} else {
			failed = mid
		}
	}
	tb.Logf("%s: steps (calls/s) %s => %d calls/s", tg.name, strings.Join(steps, ", "), best)
	if firstWhy != "" {
		tb.Logf("%s: first failure at %s", tg.name, firstWhy)
	}
	return best
}

// BenchmarkCallRate finds the highest call rate, with zero failed calls,
// that SIPp sustains through our IMS (P-CSCF, S-CSCF, P-CSCF: three
// proxy traversals per request) and through Kamailio (one). Each
// iteration is a whole search: run with -benchtime=1x.
func BenchmarkCallRate(b *testing.B) {
	needSIPp(b)
	found := map[string]int{}
	for _, tg := range []target{coreboxTarget, kamailioTarget} {
		b.Run(tg.name, func(b *testing.B) {
			for range b.N {
				found[tg.name] = maxRate(b, tg)
			}
			b.ReportMetric(float64(found[tg.name]), "calls/s")
			b.ReportMetric(0, "ns/op") // the time of a search means nothing
		})
	}
	// A benchmark line of its own: a parent's log is not printed.
	if c, k := found["corebox"], found["kamailio"]; c > 0 && k > 0 {
		b.Run("ratio", func(b *testing.B) {
			b.ReportMetric(float64(c)/float64(k), "corebox/kamailio")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestCallRateRatio runs the same searches as BenchmarkCallRate and logs
// the ratio; it takes minutes, so only with COREBOX_IMS_BENCH=1.
func TestCallRateRatio(t *testing.T) {
	if os.Getenv("COREBOX_IMS_BENCH") != "1" {
		t.Skip("set COREBOX_IMS_BENCH=1 to run the call rate comparison (minutes)")
	}
	needSIPp(t)
	c := maxRate(t, coreboxTarget)
	k := maxRate(t, kamailioTarget)
	if c == 0 || k == 0 {
		t.Fatalf("no rate passed: corebox %d, kamailio %d calls/s", c, k)
	}
	t.Logf("corebox %d calls/s, kamailio %d calls/s: ratio %.2f (GOMAXPROCS %d, kamailio -n %d)",
		c, k, float64(c)/float64(k), runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0))
}

// ratesToTry is benchRates, or the comma-separated list in
// COREBOX_IMS_RATES (to look at one rate).
func ratesToTry(tb testing.TB) []int {
	env := os.Getenv("COREBOX_IMS_RATES")
	if env == "" {
		return benchRates
	}
	var out []int
	for _, f := range strings.Split(env, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			tb.Fatalf("COREBOX_IMS_RATES %q: %q is not a rate", env, f)
		}
		out = append(out, r)
	}
	return out
}

// firstEvent is the first event of a SIPp error file, on one line.
func firstEvent(errLog string) string {
	_, events, found := strings.Cut(errLog, "occurred:")
	if !found {
		events = errLog
	}
	line := strings.Join(strings.Fields(events), " ")
	return head(line, 240)
}
