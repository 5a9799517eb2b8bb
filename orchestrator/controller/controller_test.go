package controller

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/orchestrator/scheduler"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// harness drives passes by hand with a fake clock, a fake backend and fake
// ops endpoints.
type harness struct {
	t     *testing.T
	c     *Controller
	be    *fakeBackend
	ops   *fakeOps
	store *state.Store
	clock time.Time
	ls    *loopState
	name  string
}

func newHarness(t *testing.T, cpus int) *harness {
	t.Helper()
	store, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &harness{t: t, be: newFakeBackend(), ops: newFakeOps(), store: store, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ls: newLoopState()}
	ids := make([]int, cpus)
	for i := range ids {
		ids[i] = i
	}
	sched := scheduler.New(scheduler.Node{CPUs: ids, MemoryBytes: 8 << 30}, scheduler.Options{})
	h.be.now = func() time.Time { return h.clock }
	h.c = New(Config{Store: store, Backend: h.be, Scheduler: sched, Ops: h.ops, Now: func() time.Time { return h.clock }})
	return h
}

func (h *harness) apply(p *profiles.Profile) *Plan {
	h.t.Helper()
	h.name = p.Name
	// Passes run by hand: the worker entry only carries the loop state.
	h.c.workers[p.Name] = &worker{wake: make(chan struct{}, 1), state: h.ls}
	plan, err := h.c.Apply(context.Background(), ApplyRequest{Profile: p, ImageTag: "t"})
	if err != nil {
		h.t.Fatalf("apply: %v", err)
	}
	return plan
}

// pass runs one reconcile; the clock moves by step first.
func (h *harness) pass(step time.Duration) {
	h.t.Helper()
	h.clock = h.clock.Add(step)
	if _, gone := h.c.reconcile(context.Background(), h.name, h.ls); gone {
		return
	}
	if h.ls.failures > 0 {
		evs, _ := h.store.Events(0, 1000)
		h.t.Fatalf("reconcile failed: %+v", evs[len(evs)-1])
	}
}

// settle runs passes until nothing is in flight, or fails after n.
func (h *harness) settle(n int) {
	h.t.Helper()
	for range n {
		h.pass(100 * time.Millisecond)
		st, err := h.c.Status(context.Background(), h.name, false)
		if err == nil && st.Ready {
			return
		}
	}
	st, _ := h.c.Status(context.Background(), h.name, false)
	h.t.Fatalf("not settled after %d passes: %+v", n, st)
}

func (h *harness) record(name string) *state.Instance {
	h.t.Helper()
	recs, err := h.store.Instances(h.name)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range recs {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (h *harness) runs() []string {
	var out []string
	for _, op := range h.be.ops() {
		if name, ok := strings.CutPrefix(op, "run "); ok {
			out = append(out, name)
		}
	}
	return out
}

// nfOf is an NF with the defaults the loader fills in.
func nfOf(name string, replicas int, nets ...string) profiles.NF {
	nf := profiles.NF{Name: name, Kind: "probe", Replicas: replicas, Restart: profiles.RestartAlways,
		Readiness: profiles.Probe{HTTP: "/readyz", Port: profiles.OpsPort},
		Drain:     profiles.Drain{HTTP: "/drain", Port: profiles.OpsPort, Timeout: 30 * time.Second}}
	for _, n := range append([]string{profiles.MgmtNetwork}, nets...) {
		nf.Interfaces = append(nf.Interfaces, profiles.Interface{Network: n})
	}
	return nf
}

func testProfile(nfs ...profiles.NF) *profiles.Profile {
	return &profiles.Profile{Name: "t", Networks: []profiles.Network{
		{Name: profiles.MgmtNetwork, Type: "bridge"},
		{Name: "sbi", Subnet: "10.60.1.0/24", Type: "bridge"},
		{Name: "n3", Subnet: "10.60.3.0/24", Type: "bridge"},
	}, NFs: nfs}
}

func TestBringUpFollowsDependencies(t *testing.T) {
	h := newHarness(t, 2)
	a := nfOf("a", 1, "sbi")
	b := nfOf("b", 2, "sbi")
	b.DependsOn = []profiles.Dependency{{NF: "a", Condition: profiles.ConditionReady}}
	c := nfOf("c", 1, "sbi", "n3")
	c.Config = map[string]any{"peer": "http://${b.sbi}:8000", "all": "${b.sbi[*]}"}
	c.Env = []string{"B1=${b.sbi[1]}"}
	plan := h.apply(testProfile(c, b, a))
	if got := plan.Waves; len(got) != 3 || got[0][0] != "a" || got[1][0] != "b" || got[2][0] != "c" {
		t.Fatalf("waves = %v, want a, then b, then c", got)
	}
	h.ops.set(func(o *fakeOps) { o.notReady["t-a-0"] = true })
	h.pass(0)
	h.pass(100 * time.Millisecond)
	if runs := h.runs(); !slices.Equal(runs, []string{"t-a-0"}) {
		t.Fatalf("b was created before a was ready: %v", runs)
	}
	if r := h.record("t-b-0"); r == nil || r.Phase != state.PhasePending || !strings.Contains(r.Message, "waiting for a to be ready") {
		t.Fatalf("b-0 record = %+v, want pending on a", r)
	}
	h.ops.set(func(o *fakeOps) { o.notReady["t-a-0"] = false })
	h.settle(10)
	runs := h.runs()
	if len(runs) != 4 || runs[0] != "t-a-0" || runs[3] != "t-c-0" || !slices.Contains(runs[1:3], "t-b-0") || !slices.Contains(runs[1:3], "t-b-1") {
		t.Fatalf("creation order = %v, want a, then both b (in any order), then c", runs)
	}
	cfg := string(h.be.ctrs["t-c-0"].Spec.Config)
	b0 := h.be.ctrs["t-b-0"].Attachments[1].Address.Addr().String()
	b1 := h.be.ctrs["t-b-1"].Attachments[1].Address.Addr().String()
	if !strings.Contains(cfg, "peer: http://"+b0+":8000") || !strings.Contains(cfg, "- "+b1) {
		t.Fatalf("c's config does not carry b's addresses %s, %s:\n%s", b0, b1, cfg)
	}
	if env := h.be.ctrs["t-c-0"].Spec.Env; !slices.Equal(env, []string{"B1=" + b1}) {
		t.Fatalf("c's env = %v, want B1=%s", env, b1)
	}
}

func TestRestartWithBackoffAndCrashLoop(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(testProfile(nfOf("a", 1)))
	h.settle(5)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, backoff := range want {
		h.be.crash("t-a-0", 2)
		h.pass(time.Millisecond)
		r := h.record("t-a-0")
		if r.Backoff != backoff || r.NextRestart != h.clock.Add(backoff) {
			t.Fatalf("crash %d: backoff %s next %s, want %s", i+1, r.Backoff, r.NextRestart, backoff)
		}
		if wantLoop := backoff >= 8*time.Second; (r.Phase == state.PhaseCrashLoop) != wantLoop {
			t.Fatalf("crash %d: phase %s", i+1, r.Phase)
		}
		h.pass(backoff - time.Millisecond)
		if h.be.ctrs["t-a-0"].ExitCode == nil {
			t.Fatalf("crash %d: restarted before its backoff", i+1)
		}
		h.pass(time.Millisecond)
		if h.be.ctrs["t-a-0"].ExitCode != nil {
			t.Fatalf("crash %d: not restarted once its backoff passed", i+1)
		}
		h.pass(0)
	}
	if r := h.record("t-a-0"); r.Restarts != 4 || r.Phase != state.PhaseReady {
		t.Fatalf("after 4 restarts: %+v", r)
	}
	h.pass(stableRun)
	if r := h.record("t-a-0"); r.Backoff != 0 {
		t.Fatalf("backoff not reset after a stable run: %s", r.Backoff)
	}
}

func TestScaleInDrainsBeforeStopping(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(testProfile(nfOf("a", 3)))
	h.settle(5)
	h.ops.set(func(o *fakeOps) { o.drain["t-a-2"] = 5 })
	if err := h.c.Scale(context.Background(), "t", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	h.pass(0)
	h.pass(100 * time.Millisecond)
	if _, ok := h.be.ctrs["t-a-1"]; ok {
		t.Fatal("t-a-1 (drained at once) still runs")
	}
	if _, ok := h.be.ctrs["t-a-2"]; !ok {
		t.Fatal("t-a-2 removed while it still held 5")
	}
	h.ops.set(func(o *fakeOps) { o.drain["t-a-2"] = 0 })
	h.pass(100 * time.Millisecond)
	if _, ok := h.be.ctrs["t-a-2"]; ok {
		t.Fatal("t-a-2 still runs after it drained")
	}
	for _, n := range []string{"t-a-1", "t-a-2"} {
		ops := h.be.ops()
		if !slices.Contains(h.ops.calls, "drain "+n) || slices.Index(ops, "stop "+n) < 0 {
			t.Fatalf("%s: drain calls %v, backend %v", n, h.ops.calls, ops)
		}
	}
}

func TestDrainTimeout(t *testing.T) {
	h := newHarness(t, 2)
	a := nfOf("a", 2)
	a.Drain.Timeout = 5 * time.Second
	h.apply(testProfile(a))
	h.settle(5)
	h.ops.set(func(o *fakeOps) { o.drain["t-a-1"] = 3 })
	if err := h.c.Scale(context.Background(), "t", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	h.pass(0)
	h.pass(4 * time.Second)
	if _, ok := h.be.ctrs["t-a-1"]; !ok {
		t.Fatal("removed before the drain timeout")
	}
	h.pass(time.Second)
	if _, ok := h.be.ctrs["t-a-1"]; ok {
		t.Fatal("still there after the drain timeout")
	}
	evs, _ := h.store.Events(0, 1000)
	if !slices.ContainsFunc(evs, func(e state.Event) bool {
		return e.Reason == "DrainTimeout" && strings.Contains(e.Message, "still held 3")
	}) {
		t.Fatalf("no DrainTimeout event naming what was left: %+v", evs)
	}
}

func TestConfigChangeRollsOneAtATime(t *testing.T) {
	h := newHarness(t, 2)
	a := nfOf("a", 2)
	a.Config = map[string]any{"load": 0.1}
	h.apply(testProfile(a))
	h.settle(5)
	before := map[string]string{}
	for _, n := range []string{"t-a-0", "t-a-1"} {
		before[n] = h.be.ctrs[n].Attachments[0].Address.String()
	}
	a.Config = map[string]any{"load": 0.2}
	h.ops.set(func(o *fakeOps) { o.notReady["t-a-0"] = true })
	plan := h.apply(testProfile(a))
	if plan.Summary() != "2 to roll instance" {
		t.Fatalf("plan = %s", plan.Summary())
	}
	// Ready still holds for the old generation: not for the new one, which
	// no pass has looked at yet.
	if st, err := h.c.Status(context.Background(), h.name, false); err != nil || st.Ready {
		t.Fatalf("ready right after a config change (err %v): a caller waiting for it would see the old instances", err)
	}
	h.pass(0)
	h.pass(100 * time.Millisecond)
	if n := strings.Count(strings.Join(h.runs(), " "), "t-a-1"); n != 1 {
		t.Fatalf("t-a-1 rolled while t-a-0 was not ready yet (runs %v)", h.runs())
	}
	h.ops.set(func(o *fakeOps) { o.notReady["t-a-0"] = false })
	h.settle(10)
	for n, addr := range before {
		if got := h.be.ctrs[n].Attachments[0].Address.String(); got != addr {
			t.Errorf("%s address changed across the roll: %s -> %s", n, addr, got)
		}
		if !strings.Contains(string(h.be.ctrs[n].Spec.Config), "load: 0.2") {
			t.Errorf("%s not rolled to the new config", n)
		}
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	h := newHarness(t, 2)
	p := testProfile(nfOf("a", 2, "sbi"))
	h.apply(p)
	h.settle(5)
	n := len(h.be.ops())
	if plan := h.apply(p); plan.Summary() != "no changes" {
		t.Fatalf("second apply plans %s: %+v", plan.Summary(), plan.Actions)
	}
	h.pass(time.Second)
	if ops := h.be.ops(); len(ops) != n {
		t.Fatalf("second apply changed something: %v", ops[n:])
	}
}

func TestDownRemovesEverything(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(testProfile(nfOf("a", 2, "sbi", "n3")))
	h.settle(5)
	if err := h.c.Down(context.Background(), "t"); err != nil {
		t.Fatal(err)
	}
	h.pass(0)
	if len(h.be.ctrs) != 0 || len(h.be.nets) != 0 {
		t.Fatalf("left after down: %v %v", h.be.ctrs, h.be.nets)
	}
	if _, err := h.c.Status(context.Background(), "t", false); err == nil {
		t.Fatal("status of a removed profile answered")
	}
}

func TestAutoscaleFollowsTheMetric(t *testing.T) {
	h := newHarness(t, 2)
	a := nfOf("a", 1)
	a.Scaling = &profiles.Scaling{Min: 1, Max: 4, Metric: "corebox_probe_load", Target: 0.5, Cooldown: 10 * time.Second}
	h.apply(testProfile(a))
	h.settle(5)
	h.ops.set(func(o *fakeOps) { o.metrics["t-a-0"] = 1.4 })
	h.pass(scrapeEvery)
	d, _ := h.store.Profile("t")
	if d.Replicas["a"] != 3 {
		t.Fatalf("replicas = %d after load 1.4 with target 0.5, want 3", d.Replicas["a"])
	}
	h.settle(10)
	h.ops.set(func(o *fakeOps) {
		for _, n := range []string{"t-a-0", "t-a-1", "t-a-2"} {
			o.metrics[n] = 0.1
		}
	})
	h.pass(scrapeEvery)
	if d, _ := h.store.Profile("t"); d.Replicas["a"] != 3 {
		t.Fatalf("scaled down within the cooldown: %d", d.Replicas["a"])
	}
	h.pass(10 * time.Second)
	if d, _ := h.store.Profile("t"); d.Replicas["a"] != 1 {
		t.Fatalf("replicas = %d after the cooldown with load 0.1, want 1", d.Replicas["a"])
	}
	evs, _ := h.store.Events(0, 1000)
	if !slices.ContainsFunc(evs, func(e state.Event) bool { return e.Reason == "Autoscaled" && e.Data["average"] != nil }) {
		t.Fatal("no Autoscaled event carrying the metric values")
	}
}

func TestRestartResumesWithoutTouchingInstances(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(testProfile(nfOf("a", 2, "sbi")))
	h.settle(5)
	n := len(h.be.ops())
	again := New(Config{Store: h.store, Backend: h.be, Scheduler: scheduler.New(scheduler.Node{CPUs: []int{0, 1}, MemoryBytes: 8 << 30}, scheduler.Options{}), Ops: h.ops, Now: func() time.Time { return h.clock }})
	if err := again.restorePlacements(); err != nil {
		t.Fatal(err)
	}
	again.workers[h.name] = &worker{wake: make(chan struct{}, 1), state: h.ls}
	h.c = again
	h.pass(time.Second)
	if ops := h.be.ops(); len(ops) != n {
		t.Fatalf("a restarted controller changed running instances: %v", ops[n:])
	}
}

func TestDataplaneRequiredRefusedWhenNoCoreIsFree(t *testing.T) {
	h := newHarness(t, 2)
	up := nfOf("upf", 2)
	up.Resources = profiles.Resources{CPUs: 1, Dataplane: profiles.DataplaneRequired}
	h.apply(testProfile(up))
	h.pass(0)
	if r := h.record("t-upf-0"); r.Phase != state.PhaseStarting || r.CPUSet != "1" {
		t.Fatalf("upf-0 = %+v, want CPU 1 exclusively", r)
	}
	r := h.record("t-upf-1")
	if r.Phase != state.PhaseFailed || !strings.Contains(r.Message, "t-upf-1") {
		t.Fatalf("upf-1 = %+v, want a refusal naming it", r)
	}
}

func TestDryRunPlansEachKindOfChange(t *testing.T) {
	h := newHarness(t, 2)
	a, b, c, e := nfOf("a", 1, "sbi"), nfOf("b", 2), nfOf("c", 1, "n3"), nfOf("e", 1)
	a.Config = map[string]any{"load": 0.1}
	h.apply(testProfile(a, b, c, e))
	h.settle(5)
	ops := len(h.be.ops())

	a.Config = map[string]any{"load": 0.3}
	b.Replicas = 1
	e.Resources.CPUs = 0.5
	next := testProfile(a, b, e, nfOf("d", 1))
	next.Networks = next.Networks[:2] // n3 goes
	plan, err := h.c.Apply(context.Background(), ApplyRequest{Profile: next, ImageTag: "t", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range plan.Actions {
		if a.Op != "keep" {
			got[a.Kind+" "+a.Name] = a.Op
		}
	}
	want := map[string]string{
		"instance t-a-0": "roll", "instance t-b-1": "remove", "instance t-c-0": "remove",
		"instance t-d-0": "create", "instance t-e-0": "resize", "network t-n3": "remove",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("plan = %v\nwant %v", got, want)
	}
	if len(h.be.ops()) != ops {
		t.Fatalf("a dry run changed something: %v", h.be.ops()[ops:])
	}
	if d, _ := h.store.Profile("t"); d.Generation != 1 {
		t.Fatalf("a dry run stored generation %d", d.Generation)
	}
}

func TestScaleBackUpReplacesADrainingReplica(t *testing.T) {
	h := newHarness(t, 2)
	h.apply(testProfile(nfOf("a", 2)))
	h.settle(5)
	h.ops.set(func(o *fakeOps) { o.drain["t-a-1"] = 4 })
	if err := h.c.Scale(context.Background(), "t", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	h.pass(0)
	if r := h.record("t-a-1"); r == nil || r.Phase != state.PhaseDraining {
		t.Fatalf("t-a-1 = %+v, want draining", r)
	}
	if err := h.c.Scale(context.Background(), "t", map[string]int{"a": 2}); err != nil {
		t.Fatal(err)
	}
	h.settle(5)
	if n := strings.Count(strings.Join(h.runs(), " "), "t-a-1"); n != 2 {
		t.Fatalf("t-a-1 created %d times, want it replaced once (runs %v)", n, h.runs())
	}
	if r := h.record("t-a-1"); r.Phase != state.PhaseReady {
		t.Fatalf("t-a-1 = %+v, want ready", r)
	}
}

// ${self.index} is each replica's number, in its config and env.
func TestSelfIndexIsTheReplicaNumber(t *testing.T) {
	h := newHarness(t, 2)
	a := nfOf("a", 3)
	a.Config = map[string]any{"slice": "${self.index}", "name": "a${self.index}"}
	a.Env = []string{"REPLICA=${self.index}"}
	h.apply(testProfile(a))
	h.settle(5)
	for i, n := range []string{"t-a-0", "t-a-1", "t-a-2"} {
		ctr := h.be.ctrs[n]
		if ctr == nil {
			t.Fatalf("%s not created", n)
		}
		cfg := string(ctr.Spec.Config)
		if want := fmt.Sprintf("slice: %d\n", i); !strings.Contains(cfg, want) || !strings.Contains(cfg, fmt.Sprintf("name: a%d", i)) {
			t.Errorf("%s config %q, want slice %d", n, cfg, i)
		}
		if want := fmt.Sprintf("REPLICA=%d", i); !slices.Contains(ctr.Spec.Env, want) {
			t.Errorf("%s env %v, want %s", n, ctr.Spec.Env, want)
		}
	}
}
