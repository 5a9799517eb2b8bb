package controller

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// routesProfile: r replicas of "r" on n3, one "dn" routing what they
// announce on n3.
func routesProfile(r int) *profiles.Profile {
	dn := nfOf("dn", 1, "n3")
	dn.Routes = []profiles.Route{{From: "r", Network: "n3"}}
	return testProfile(nfOf("r", r, "n3"), dn)
}

func (h *harness) announce(instance, network string, prefixes ...string) {
	h.ops.set(func(o *fakeOps) {
		var ps []netip.Prefix
		for _, s := range prefixes {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		if o.announce[instance] == nil {
			o.announce[instance] = map[string][]netip.Prefix{}
		}
		o.announce[instance][network] = ps
	})
}

// addr is an instance's address on a network.
func (h *harness) addr(instance, network string) string {
	h.t.Helper()
	c := h.be.ctrs[instance]
	if c == nil {
		h.t.Fatalf("no instance %s", instance)
	}
	a, ok := addressOn(*c, network)
	if !ok {
		h.t.Fatalf("%s has no address on %s", instance, network)
	}
	return a.String()
}

// routesIn is what the backend holds for an instance, as text.
func (h *harness) routesIn(instance string) []string {
	h.be.mu.Lock()
	defer h.be.mu.Unlock()
	return routeTexts(h.be.routes[instance])
}

// setRoutesCalls counts the backend's SetRoutes calls for an instance.
func (h *harness) setRoutesCalls(instance string) int {
	n := 0
	for _, op := range h.be.ops() {
		if strings.HasPrefix(op, "routes "+instance+" ") {
			n++
		}
	}
	return n
}

func (h *harness) events(reason string) []state.Event {
	h.t.Helper()
	evs, err := h.store.Events(0, 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []state.Event
	for _, e := range evs {
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) wantRoutes(instance string, want ...string) {
	h.t.Helper()
	if got := h.routesIn(instance); !slices.Equal(got, want) {
		h.t.Fatalf("routes of %s = %q, want %q", instance, got, want)
	}
}

func TestRoutesFollowAnnouncementsAndScaling(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(routesProfile(1))
	h.settle(5)
	h.wantRoutes("t-dn-0") // given the empty set once
	if n := h.setRoutesCalls("t-dn-0"); n != 1 {
		t.Fatalf("%d SetRoutes calls before anything was announced, want 1", n)
	}

	h.announce("t-r-0", "n3", "10.99.0.0/24")
	h.announce("t-r-0", "sbi", "10.98.0.0/24") // another network: not routed
	h.pass(time.Second)
	r0 := h.addr("t-r-0", "n3")
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0)
	if evs := h.events("Routes"); len(evs) != 1 || evs[0].Message != "routes of t-dn-0: +10.99.0.0/24 via "+r0 {
		t.Fatalf("Routes events %+v", evs)
	}
	calls := h.setRoutesCalls("t-dn-0")
	for range 5 {
		h.pass(time.Second)
	}
	if n := h.setRoutesCalls("t-dn-0"); n != calls {
		t.Fatalf("an unchanged set was handed to the backend again (%d calls, was %d)", n, calls)
	}

	if err := h.c.Scale(context.Background(), "t", map[string]int{"r": 2}); err != nil {
		t.Fatal(err)
	}
	h.settle(5)
	h.announce("t-r-1", "n3", "10.99.1.0/24")
	h.pass(time.Second)
	r1 := h.addr("t-r-1", "n3")
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0, "10.99.1.0/24 via "+r1)

	// Scale-in: the draining replica keeps its routes until it is stopped.
	h.ops.set(func(o *fakeOps) { o.drain["t-r-1"] = 2 })
	if err := h.c.Scale(context.Background(), "t", map[string]int{"r": 1}); err != nil {
		t.Fatal(err)
	}
	h.pass(0)
	h.pass(100 * time.Millisecond)
	if r := h.record("t-r-1"); r == nil || r.Phase != state.PhaseDraining {
		t.Fatalf("t-r-1 = %+v, want draining", r)
	}
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0, "10.99.1.0/24 via "+r1)
	h.ops.set(func(o *fakeOps) { o.drain["t-r-1"] = 0 })
	h.pass(100 * time.Millisecond)
	if _, ok := h.be.ctrs["t-r-1"]; ok {
		t.Fatal("t-r-1 still runs after it drained")
	}
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0)
	evs := h.events("Routes")
	if last := evs[len(evs)-1].Message; last != "routes of t-dn-0: -10.99.1.0/24 via "+r1 {
		t.Fatalf("last Routes event %q", last)
	}
	st, err := h.c.Status(context.Background(), "t", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := nfOfStatus(st, "dn").Instances[0].Routes; !slices.Equal(got, []string{"10.99.0.0/24 via " + r0}) {
		t.Fatalf("status shows routes %q", got)
	}
}

func nfOfStatus(s *Status, name string) NFStatus {
	for _, nf := range s.NFs {
		if nf.Name == name {
			return nf
		}
	}
	return NFStatus{}
}

func TestRouteConflictLowestReplicaWins(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(routesProfile(3))
	h.settle(5)
	h.announce("t-r-2", "n3", "10.99.5.0/24")
	h.announce("t-r-1", "n3", "10.99.5.0/24", "10.99.1.0/24")
	for range 3 {
		h.pass(time.Second)
	}
	r1, r2 := h.addr("t-r-1", "n3"), h.addr("t-r-2", "n3")
	h.wantRoutes("t-dn-0", "10.99.1.0/24 via "+r1, "10.99.5.0/24 via "+r1)
	evs := h.events("RouteConflict")
	want := fmt.Sprintf("routes of dn: 10.99.5.0/24 is announced by t-r-1 (%s) and t-r-2 (%s); routing it via t-r-1, the first of them", r1, r2)
	if len(evs) != 1 || evs[0].Message != want {
		t.Fatalf("RouteConflict events %+v, want one: %s", evs, want)
	}
	// The conflict ends, then comes back: reported again.
	h.announce("t-r-1", "n3", "10.99.1.0/24")
	h.pass(time.Second)
	h.wantRoutes("t-dn-0", "10.99.1.0/24 via "+r1, "10.99.5.0/24 via "+r2)
	h.announce("t-r-1", "n3", "10.99.1.0/24", "10.99.5.0/24")
	h.pass(time.Second)
	h.pass(time.Second)
	h.wantRoutes("t-dn-0", "10.99.1.0/24 via "+r1, "10.99.5.0/24 via "+r1)
	if n := len(h.events("RouteConflict")); n != 2 {
		t.Fatalf("%d RouteConflict events, want 2 (one per conflict)", n)
	}
}

func TestRoutesOfASilentReplicaExpire(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(routesProfile(1))
	h.settle(5)
	h.announce("t-r-0", "n3", "10.99.0.0/24")
	h.pass(time.Second)
	r0 := h.addr("t-r-0", "n3")
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0)
	h.ops.set(func(o *fakeOps) { o.mute["t-r-0"] = true })
	h.pass(announceHold - time.Second)
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0) // held
	h.pass(time.Second)
	h.wantRoutes("t-dn-0")
	if evs := h.events("RoutesExpired"); len(evs) != 1 || evs[0].Object != "t-r-0" {
		t.Fatalf("RoutesExpired events %+v", evs)
	}
	h.pass(time.Second)
	if n := len(h.events("RoutesExpired")); n != 1 {
		t.Fatalf("%d RoutesExpired events, want 1", n)
	}
	h.ops.set(func(o *fakeOps) { o.mute["t-r-0"] = false })
	h.pass(time.Second)
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+r0)
}

func TestRoutesFailureRetriedWithBackoff(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(routesProfile(1))
	h.be.failSet["t-dn-0"] = errors.New("netlink: no such process")
	h.announce("t-r-0", "n3", "10.99.0.0/24")
	h.settle(5) // a failure never fails the pass (pass() checks)
	calls := h.setRoutesCalls("t-dn-0")
	if calls == 0 || len(h.events("RoutesFailed")) != 1 {
		t.Fatalf("%d calls, RoutesFailed events %+v", calls, h.events("RoutesFailed"))
	}
	st := h.ls.routes.applied["t-dn-0"]
	h.pass(st.next.Sub(h.clock) - time.Millisecond)
	if n := h.setRoutesCalls("t-dn-0"); n != calls {
		t.Fatalf("retried before the backoff passed (%d calls, was %d)", n, calls)
	}
	h.pass(time.Millisecond)
	if n := h.setRoutesCalls("t-dn-0"); n != calls+1 {
		t.Fatalf("not retried once the backoff passed (%d calls, was %d)", n, calls)
	}
	if b := h.ls.routes.applied["t-dn-0"].backoff; b != 2*minBackoff {
		t.Fatalf("backoff %s after two failures, want %s", b, 2*minBackoff)
	}
	if n := len(h.events("RoutesFailed")); n != 1 {
		t.Fatalf("%d RoutesFailed events for one and the same error, want 1", n)
	}
	h.be.mu.Lock()
	delete(h.be.failSet, "t-dn-0")
	h.be.mu.Unlock()
	h.pass(2 * minBackoff)
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+h.addr("t-r-0", "n3"))
}

// A new process, or a new container, is given its routes again; so is one
// that has held them for routesResync.
func TestRoutesGivenAgainToANewProcessAndOnResync(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(routesProfile(1))
	h.announce("t-r-0", "n3", "10.99.0.0/24")
	h.settle(5)
	h.pass(time.Second)
	calls := h.setRoutesCalls("t-dn-0")
	h.be.crash("t-dn-0", 1)
	h.pass(time.Millisecond)
	h.pass(minBackoff) // restarted
	h.pass(time.Millisecond)
	if n := h.setRoutesCalls("t-dn-0"); n != calls+1 {
		t.Fatalf("restarted process: %d calls, want %d", n, calls+1)
	}
	h.pass(routesResync)
	if n := h.setRoutesCalls("t-dn-0"); n != calls+2 {
		t.Fatalf("after %s: %d calls, want %d (a resync)", routesResync, n, calls+2)
	}
	if n := len(h.events("Routes")); n != 1 {
		t.Fatalf("%d Routes events, want 1: neither the restart nor the resync changed the set", n)
	}
}

// An NF that stops asking for routes has them removed, once.
func TestRoutesRemovedWithTheProfileKey(t *testing.T) {
	h := newHarness(t, 2)
	p := routesProfile(1)
	h.apply(p)
	h.announce("t-r-0", "n3", "10.99.0.0/24")
	h.settle(5)
	h.pass(time.Second)
	h.wantRoutes("t-dn-0", "10.99.0.0/24 via "+h.addr("t-r-0", "n3"))
	p.NFs[1].Routes = nil
	if plan := h.apply(p); plan.Summary() != "no changes" {
		t.Fatalf("dropping routes plans %s: it must not roll the instance", plan.Summary())
	}
	h.pass(time.Second)
	h.wantRoutes("t-dn-0")
	calls := h.setRoutesCalls("t-dn-0")
	h.pass(routesResync)
	if n := h.setRoutesCalls("t-dn-0"); n != calls {
		t.Fatalf("an NF without routes is still handed some (%d calls, was %d)", n, calls)
	}
	if _, ok := h.ls.routes.applied["t-dn-0"]; ok {
		t.Fatal("state of an instance without routes is kept")
	}
}

func TestRouteDiff(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	x := backend.Route{Dst: p("10.1.0.0/16"), Via: a("10.6.0.3")}
	y := backend.Route{Dst: p("10.2.0.0/16"), Via: a("10.6.0.4")}
	y2 := backend.Route{Dst: p("10.2.0.0/16"), Via: a("10.6.0.5")}
	for _, tc := range []struct {
		before, after []backend.Route
		want          string
	}{
		{nil, nil, ""},
		{[]backend.Route{x}, []backend.Route{x}, ""},
		{nil, []backend.Route{x, y}, "+10.1.0.0/16 via 10.6.0.3, +10.2.0.0/16 via 10.6.0.4"},
		{[]backend.Route{x, y}, []backend.Route{x, y2}, "+10.2.0.0/16 via 10.6.0.5, -10.2.0.0/16 via 10.6.0.4"},
		{[]backend.Route{x}, nil, "-10.1.0.0/16 via 10.6.0.3"},
	} {
		if got := routeDiff(tc.before, tc.after); got != tc.want {
			t.Errorf("routeDiff(%v, %v) = %q, want %q", tc.before, tc.after, got, tc.want)
		}
	}
}

func TestDecodeRoutes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string][]netip.Prefix
		ok   bool
	}{
		{`{"routes":{}}`, map[string][]netip.Prefix{}, true},
		{`{"routes":{"n6":["10.45.0.0/18","10.45.64.5/32"]}}`, map[string][]netip.Prefix{"n6": {netip.MustParsePrefix("10.45.0.0/18"), netip.MustParsePrefix("10.45.64.5/32")}}, true},
		{`{"routes":{"n6":["10.45.0.1/18"]},"later":1}`, map[string][]netip.Prefix{"n6": {netip.MustParsePrefix("10.45.0.0/18")}}, true},
		{`{"routes":{"n6":["10.45.0.0"]}}`, nil, false},
		{`{"routes":{"":["10.45.0.0/18"]}}`, nil, false},
		{`{"routes":{"n6":"10.45.0.0/18"}}`, nil, false},
		{`{"routes":`, nil, false},
	} {
		got, err := decodeRoutes(strings.NewReader(tc.in))
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprint(got) != fmt.Sprint(tc.want)) {
			t.Errorf("decodeRoutes(%s) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzDecodeRoutes: any answer decodes or fails, never panics, and what it
// yields is masked and named.
func FuzzDecodeRoutes(f *testing.F) {
	f.Add([]byte(`{"routes":{"n6":["10.45.0.0/18","10.45.64.5/32"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeRoutes(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for n, ps := range got {
			for _, p := range ps {
				if n == "" || !p.IsValid() || p != p.Masked() {
					t.Fatalf("decoded %q: %s", n, p)
				}
			}
		}
	})
}
