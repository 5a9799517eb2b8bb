package e2e

import (
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/corebox/corebox/orchestrator/bench"
)

// Third octets of the upfbench networks here (see helpers_test.go).
const octetUPFBench = 50 // 50..52: n3, n4, n6

// TestBenchUPF runs `corebox bench upf` short (one run of 1 s per case,
// 64-octet packets only): the kernel baseline and the UPF both deliver
// packets both ways, the baseline went through the UPF's namespace and
// not its process, and the report is complete, ratios included. The
// profile is gone afterwards.
func TestBenchUPF(t *testing.T) {
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun, which the UPF's N6 needs: %v", err)
	}
	c := setup(t)
	t.Cleanup(func() { c.run("", "down", "upfbench") })
	args := []string{"bench", "upf", "-n", "1", "--duration", "1s", "--sizes", "64", "--sessions", "16", "--tag", "e2e", "-o", "json"}
	for i, n := range []string{"n3", "n4", "n6"} {
		args = append(args, "--set", n+"_subnet="+subnetFor(octetUPFBench+i))
	}
	var res bench.UPFResult
	c.jsonOf(&res, args...)

	if len(res.Cases) != 2 || res.Cases[0].Direction != "ul" || res.Cases[1].Direction != "dl" {
		t.Fatalf("cases %+v, want 64 B ul and dl", res.Cases)
	}
	for _, cs := range res.Cases {
		k, u := cs.Kernel.Median, cs.UPF.Median
		t.Logf("%d B %s: kernel %.1f kpps (p50 %.0f µs), UPF %.1f kpps (p50 %.0f µs, loss %.2f), ratio %.2f",
			cs.Size, cs.Direction, k.RxPPS/1e3, k.P50Us, u.RxPPS/1e3, u.P50Us, u.LossRatio, cs.RatioPPS)
		if len(cs.Kernel.Samples) != 1 || len(cs.UPF.Samples) != 1 {
			t.Errorf("%s: %d kernel and %d UPF samples, want 1 each", cs.Direction, len(cs.Kernel.Samples), len(cs.UPF.Samples))
		}
		for name, m := range map[string]bench.Sample{"kernel": k, "upf": u} {
			if m.Received == 0 || m.RxPPS <= 0 || m.RxGbps <= 0 || m.P50Us <= 0 || m.P99Us < m.P50Us || m.Sent < m.Received {
				t.Errorf("%s %s delivered nothing or an incomplete sample: %+v", cs.Direction, name, m)
			}
		}
		// The UPF's TUN may see a packet of the kernel's own (an IPv6
		// router solicitation), never the baseline's.
		if k.Forwarded < k.Received || k.UPFRxPackets == nil || *k.UPFRxPackets > 0.01*float64(k.Received) {
			t.Errorf("%s kernel baseline: %d received, %d forwarded by the UPF's namespace, UPF process received %v",
				cs.Direction, k.Received, k.Forwarded, ptrString(k.UPFRxPackets))
		}
		if u.UPFRxPackets == nil || *u.UPFRxPackets < float64(u.Received) {
			t.Errorf("%s UPF: its process received %s packets, gen %d", cs.Direction, ptrString(u.UPFRxPackets), u.Received)
		}
		if r := cs.RatioPPS; math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 || math.Abs(r-u.RxPPS/k.RxPPS) > 1e-9 {
			t.Errorf("%s ratio %v from %v/%v", cs.Direction, r, u.RxPPS, k.RxPPS)
		}
	}
	if len(res.Targets) != 2 {
		t.Errorf("targets %+v, want the pps target per direction (no 1400 B case)", res.Targets)
	}
	for _, tg := range res.Targets {
		if !slices.Contains([]string{"met", "NOT met", "n/a"}, tg.Status) || math.IsNaN(tg.Got) {
			t.Errorf("target %+v", tg)
		}
	}
	if len(res.KernelPath) != 2 || !strings.Contains(res.KernelPath[0], "out of n3") || !strings.Contains(res.KernelPath[1], "out of n6") {
		t.Errorf("kernel path %q", res.KernelPath)
	}
	if res.Baseline == "" || res.UPFImage != "corebox/upf:e2e" || res.LoadAvg[0] == "" || res.LoadAvg[1] == "" {
		t.Errorf("report header %+v", res)
	}
	if out, _, code := c.run("", "status", "upfbench"); code == 0 {
		t.Errorf("upfbench still up after the bench:\n%s", out)
	}
}

func ptrString(v *float64) string {
	if v == nil {
		return "(not exported)"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
