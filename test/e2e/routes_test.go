package e2e

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/orchestrator/controller"
)

// TestRoutesFollowReplicas: a probe r announces 10.99.INDEX.0/24 on n6; the
// orchestrator keeps dn's routing table routing each replica's prefix via
// that replica's n6 address as r scales 1 -> 2 -> 1.
func TestRoutesFollowReplicas(t *testing.T) {
	c := setup(t)
	t.Cleanup(func() { c.run("", "down", "rt") })
	out := c.ok("up", "testdata/routes.yaml", "--tag", "e2e", "--timeout", "2m")
	if !strings.Contains(out, "rt ready in") {
		t.Fatalf("up did not report readiness:\n%s", out)
	}
	started := time.Now()
	n6 := func(s *controller.Status, name string) string {
		return instance(t, s, name).Addresses["n6"]
	}

	st := routesStatus(c)
	r0 := n6(st, "rt-r-0")
	waitRoutes(t, c, "r-0's prefix", "10.99.0.0/24 via "+r0)

	c.ok("scale", "rt", "r=2")
	st = waitRT(t, c, "r 2/2 ready", func(s *controller.Status) bool { return nfOf(s, "r").Ready == 2 })
	r1 := n6(st, "rt-r-1")
	waitRoutes(t, c, "both replicas' prefixes", "10.99.0.0/24 via "+r0, "10.99.1.0/24 via "+r1)

	c.ok("scale", "rt", "r=1")
	waitRoutes(t, c, "r-1's prefix withdrawn after scale-in", "10.99.0.0/24 via "+r0)
	waitRT(t, c, "r back to 1", func(s *controller.Status) bool { return len(nfOf(s, "r").Instances) == 1 })
	t.Logf("routes followed r 1 -> 2 -> 1 in %.1fs", time.Since(started).Seconds())

	if got := instance(t, routesStatus(c), "rt-dn-0").Routes; !slices.Equal(got, []string{"10.99.0.0/24 via " + r0}) {
		t.Errorf("status shows dn's routes as %q", got)
	}
	if eventSeq(t, c, "rt-dn-0", "Routes") == 0 {
		t.Error("no Routes event for rt-dn-0")
	}
	if seq := eventSeq(t, c, "rt-dn-0", "RoutesFailed"); seq != 0 {
		t.Errorf("a RoutesFailed event (%d) for rt-dn-0", seq)
	}
}

func routesStatus(c *cli) *controller.Status { return status(c, "rt") }

// waitRT polls the rt profile's status until ok holds.
func waitRT(t *testing.T, c *cli, what string, ok func(*controller.Status) bool) *controller.Status {
	t.Helper()
	var st *controller.Status
	waitFor(t, what, time.Minute, func() bool {
		st = routesStatus(c)
		return ok(st)
	})
	return st
}

// waitRoutes polls dn's IPv4 table until its gateway routes under 10.99/16
// are exactly want ("DST via GW").
func waitRoutes(t *testing.T, c *cli, what string, want ...string) {
	t.Helper()
	var got []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got = gatewayRoutes(t, c.ok("exec", "rt-dn-0", "--", "corenf", "cat", "/proc/net/route"), netip.MustParsePrefix("10.99.0.0/16"))
		if slices.Equal(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: dn's routes under 10.99.0.0/16 are %q, want %q", what, got, want)
}

// gatewayRoutes reads /proc/net/route text: the routes with a gateway whose
// destination lies in within, as "DST via GW", sorted.
func gatewayRoutes(t *testing.T, table string, within netip.Prefix) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(table))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			t.Fatalf("short line in /proc/net/route: %q", sc.Text())
		}
		dst, gw, mask := procAddr(t, f[1]), procAddr(t, f[2]), procAddr(t, f[7])
		if gw.IsUnspecified() || !within.Contains(dst) {
			continue
		}
		ones := bits.OnesCount32(binary.BigEndian.Uint32(mask.AsSlice()))
		out = append(out, fmt.Sprintf("%s via %s", netip.PrefixFrom(dst, ones), gw))
	}
	slices.Sort(out)
	return out
}

// procAddr reads an address of /proc/net/route: 8 hex digits of the
// address in network order printed as a host-order (little-endian) word.
func procAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		t.Fatalf("bad address %q in /proc/net/route", s)
	}
	return netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]})
}
