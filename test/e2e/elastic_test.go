package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/report"
)

// TestLabElastic runs the shipped 5g-elastic lab in containers: under a
// surge of echo traffic the UPF autoscaling policy takes the UPFs 1 -> 3,
// UEs that register then get sessions on the new replicas, the surge ends
// and the UPFs scale back to 1, the SMF moving the draining replicas'
// sessions to the remaining one. No session may break, and the UPFs must
// have counted every packet the UEs sent.
func TestLabElastic(t *testing.T) {
	c := setup(t)
	c.timeout = 6 * time.Minute // the lab runs about 3 minutes
	dir := t.TempDir()
	args := append([]string{"lab", "run", "5g-elastic", "--tag", "e2e", "--report", dir}, labSets()...)
	out := c.ok(args...)
	t.Logf("lab output:\n%s", out)
	rep := readReport(t, dir)
	for _, name := range []string{"base", "base2", "surge"} {
		s := rep.Find(name)
		if s == nil || s.Traffic == nil || s.Traffic.BrokenSessions != 0 || s.Traffic.Sent == 0 || s.Traffic.Received != s.Traffic.Sent {
			t.Errorf("%s: %+v, want every echo answered and no broken session", name, s)
		}
	}
	if rep.Monitor == nil {
		t.Fatal("no monitor in the report")
	}
	replicas := rep.Monitor.Find("upf_replicas")
	if replicas == nil || len(replicas.Points) == 0 {
		t.Fatal("no upf_replicas series")
	}
	peak := 0.0
	for _, p := range replicas.Points {
		peak = max(peak, p.V)
	}
	if last := replicas.Points[len(replicas.Points)-1].V; peak != 3 || last != 1 {
		t.Errorf("UPF replicas peaked at %v and ended at %v, want 3 and 1", peak, last)
	}
	offered, counted := rep.Monitor.Find("offered"), rep.Monitor.Find("upf_ul")
	if sent, got := seriesTotal(offered), seriesTotal(counted); sent <= 0 || got != sent {
		t.Errorf("UEs sent %v uplink packets, the UPFs counted %v: want equal", sent, got)
	}
	// The scale-in moved sessions: the remaining UPF announced their
	// addresses, and both extra replicas drained before they stopped.
	events := c.ok("events")
	if !strings.Contains(events, "/32 via") {
		t.Error("no /32 route for a moved session in the events")
	}
	for _, r := range []string{"5gelastic-upf-1", "5gelastic-upf-2"} {
		if !strings.Contains(events, r+" drained") {
			t.Errorf("no drain of %s in the events", r)
		}
	}
}

// seriesTotal is a series' total, -1 when it has none.
func seriesTotal(s *report.Series) float64 {
	if s == nil || s.Total == nil {
		return -1
	}
	return *s.Total
}
