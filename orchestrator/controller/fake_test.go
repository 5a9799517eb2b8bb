package controller

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// fakeBackend keeps instances and networks in memory: addresses come from
// a counter per network, pids from a counter.
type fakeBackend struct {
	mu       sync.Mutex
	nets     map[string]backend.Network
	ctrs     map[string]*container.Container
	nextIP   map[string]int
	pid      int
	log      []string // operations, in order
	failRuns map[string]error
	now      func() time.Time
	routes   map[string][]backend.Route // what SetRoutes left, by instance
	failSet  map[string]error           // SetRoutes errors, by instance
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{nets: map[string]backend.Network{}, ctrs: map[string]*container.Container{}, nextIP: map[string]int{}, failRuns: map[string]error{},
		routes: map[string][]backend.Route{}, failSet: map[string]error{}}
}

func (f *fakeBackend) record(op string) { f.log = append(f.log, op) }

func (f *fakeBackend) EnsureNetwork(_ context.Context, n backend.Network) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if have, ok := f.nets[n.Name]; ok {
		if have.Subnet != n.Subnet {
			return fmt.Errorf("network %s exists with %s", n.Name, have.Subnet)
		}
		return nil
	}
	f.nets[n.Name] = n
	f.record("network+ " + n.Name)
	return nil
}

func (f *fakeBackend) RemoveNetwork(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nets[name]; ok {
		delete(f.nets, name)
		f.record("network- " + name)
	}
	return nil
}

func (f *fakeBackend) Networks(context.Context) ([]backend.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []backend.Network
	for _, n := range f.nets {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeBackend) Run(_ context.Context, spec container.Spec) (*container.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failRuns[spec.Name]; err != nil {
		return nil, err
	}
	if _, ok := f.ctrs[spec.Name]; ok {
		return nil, fmt.Errorf("%s exists", spec.Name)
	}
	c := &container.Container{ID: spec.Name, Spec: spec, Status: container.StatusRunning, Phase: container.PhaseStarted, Started: f.now()}
	for _, r := range spec.Networks {
		n, ok := f.nets[r.Network]
		if !ok {
			return nil, fmt.Errorf("no network %s", r.Network)
		}
		addr := r.IP
		if !addr.IsValid() {
			f.nextIP[r.Network]++
			p := netip.MustParsePrefix(n.Subnet)
			a := p.Addr().As4()
			a[3] = byte(1 + f.nextIP[r.Network])
			addr = netip.AddrFrom4(a)
		}
		c.Attachments = append(c.Attachments, container.Attachment{Network: r.Network, IfName: r.IfName, Address: netip.PrefixFrom(addr, 24)})
	}
	f.pid++
	c.Pid = f.pid
	f.ctrs[spec.Name] = c
	f.record("run " + spec.Name)
	out := *c
	return &out, nil
}

func (f *fakeBackend) Start(_ context.Context, name string) (*container.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ctrs[name]
	if !ok {
		return nil, backend.ErrNotFound
	}
	f.pid++
	c.Pid, c.ExitCode, c.Status = f.pid, nil, container.StatusRunning
	f.record("start " + name)
	out := *c
	return &out, nil
}

func (f *fakeBackend) Stop(_ context.Context, name string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ctrs[name]
	if !ok {
		return backend.ErrNotFound
	}
	if c.ExitCode == nil {
		zero := 0
		c.ExitCode, c.Status, c.Finished = &zero, container.StatusExited, f.now()
	}
	f.record("stop " + name)
	return nil
}

func (f *fakeBackend) Remove(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.ctrs[name]; ok {
		delete(f.ctrs, name)
		f.record("rm " + name)
	}
	return nil
}

func (f *fakeBackend) Inspect(_ context.Context, name string) (*container.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ctrs[name]
	if !ok {
		return nil, backend.ErrNotFound
	}
	out := *c
	return &out, nil
}

func (f *fakeBackend) List(context.Context) ([]container.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Container
	for _, c := range f.ctrs {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	return out, nil
}

func (f *fakeBackend) Resize(_ context.Context, name string, res container.Resources) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ctrs[name]
	if !ok {
		return backend.ErrNotFound
	}
	c.Spec.Resources = res
	f.record(fmt.Sprintf("resize %s cpus=%v cpuset=%q", name, res.CPUs, res.CPUSet))
	return nil
}

func (f *fakeBackend) Stats(_ context.Context, name string) (*container.Stats, error) {
	return &container.Stats{}, nil
}

// SetRoutes records the call ("routes NAME [A via X ...]") and the set.
func (f *fakeBackend) SetRoutes(_ context.Context, name string, routes []backend.Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ctrs[name]
	if !ok {
		return backend.ErrNotFound
	}
	if c.ExitCode != nil {
		return fmt.Errorf("%s is not running", name)
	}
	f.record(fmt.Sprintf("routes %s %v", name, routes))
	if err := f.failSet[name]; err != nil {
		return err
	}
	f.routes[name] = append([]backend.Route(nil), routes...)
	return nil
}

// crash makes an instance's process end with code.
func (f *fakeBackend) crash(name string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ctrs[name]
	c.ExitCode, c.Status, c.Finished = &code, container.StatusExited, f.now()
}

func (f *fakeBackend) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// fakeOps answers readiness, drains and metrics from tables the test sets.
type fakeOps struct {
	mu       sync.Mutex
	notReady map[string]bool
	drain    map[string]int // remaining after the drain started, by instance
	drained  map[string]bool
	metrics  map[string]float64
	calls    []string
	announce map[string]map[string][]netip.Prefix // GET /routes, by instance
	mute     map[string]bool                      // GET /routes fails
}

func newFakeOps() *fakeOps {
	return &fakeOps{notReady: map[string]bool{}, drain: map[string]int{}, drained: map[string]bool{}, metrics: map[string]float64{},
		announce: map[string]map[string][]netip.Prefix{}, mute: map[string]bool{}}
}

func (o *fakeOps) Ready(_ context.Context, _ *profiles.NF, ctr container.Container) (bool, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.notReady[ctr.Spec.Name] {
		return false, "told not ready"
	}
	return true, ""
}

func (o *fakeOps) StartDrain(_ context.Context, _ *profiles.NF, ctr container.Container) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, "drain "+ctr.Spec.Name)
	o.drained[ctr.Spec.Name] = true
	return true, nil
}

func (o *fakeOps) DrainStatus(_ context.Context, _ *profiles.NF, ctr container.Container) (DrainState, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return DrainState{Draining: o.drained[ctr.Spec.Name], Remaining: o.drain[ctr.Spec.Name]}, nil
}

func (o *fakeOps) Metric(_ context.Context, ctr container.Container, _ string) (float64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.metrics[ctr.Spec.Name]
	if !ok {
		return 0, fmt.Errorf("no metric for %s", ctr.Spec.Name)
	}
	return v, nil
}

func (o *fakeOps) Routes(_ context.Context, ctr container.Container) (map[string][]netip.Prefix, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.mute[ctr.Spec.Name] {
		return nil, fmt.Errorf("%s does not answer", ctr.Spec.Name)
	}
	out := map[string][]netip.Prefix{}
	for n, ps := range o.announce[ctr.Spec.Name] {
		out[n] = append([]netip.Prefix(nil), ps...)
	}
	return out, nil
}

func (o *fakeOps) set(f func(*fakeOps)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}
