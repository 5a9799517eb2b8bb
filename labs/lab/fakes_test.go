package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// fakeOrch is a small orchestrator: scaling out adds starting instances
// that turn ready after lag status reads; scaling in drains the extra
// ones, which go away after lag reads.
type fakeOrch struct {
	mu      sync.Mutex
	profile string
	nfs     []*fakeNF
	lag     int
	scales  []map[string]int
	resized map[string]container.Resources
	// onScale, when set, runs after each Scale call, which then fails
	// with scaleErr when that is set.
	onScale  func(nf string, n int)
	scaleErr error
	down     bool
}

type fakeNF struct {
	name      string
	addr      func(i int) string // mgmt address of replica i
	desired   int
	instances []*fakeInst
}

type fakeInst struct {
	name    string
	index   int
	phase   state.Phase
	polls   int
	started time.Time
	addr    string
}

func newFakeOrch(profile string, lag int) *fakeOrch {
	return &fakeOrch{profile: profile, lag: lag, resized: map[string]container.Resources{}}
}

// add declares an NF with n ready replicas.
func (f *fakeOrch) add(name string, n int, addr func(i int) string) {
	nf := &fakeNF{name: name, addr: addr}
	f.nfs = append(f.nfs, nf)
	f.setReplicas(nf, n)
	for _, in := range nf.instances {
		in.phase = state.PhaseReady
	}
}

func (f *fakeOrch) setReplicas(nf *fakeNF, n int) {
	nf.desired = n
	for _, in := range nf.instances {
		if in.index >= n && in.phase != state.PhaseDraining {
			in.phase, in.polls = state.PhaseDraining, 0
		}
	}
	for i := len(nf.instances); i < n; i++ {
		nf.instances = append(nf.instances, &fakeInst{name: profiles.InstanceName(f.profile, nf.name, i), index: i,
			phase: state.PhaseStarting, started: time.Now(), addr: nf.addr(i)})
	}
}

// advance moves every instance one status read along.
func (f *fakeOrch) advance() {
	for _, nf := range f.nfs {
		kept := nf.instances[:0]
		for _, in := range nf.instances {
			in.polls++
			switch {
			case in.phase == state.PhaseStarting && in.polls >= f.lag:
				in.phase = state.PhaseReady
			case in.phase == state.PhaseDraining && in.polls >= f.lag:
				continue // removed
			}
			kept = append(kept, in)
		}
		nf.instances = kept
	}
}

func (f *fakeOrch) Status(_ context.Context, name string, _ bool) (*controller.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name != f.profile {
		return nil, fmt.Errorf("no profile %s", name)
	}
	f.advance()
	st := &controller.Status{Name: name, Ready: true}
	for _, nf := range f.nfs {
		ns := controller.NFStatus{Name: nf.name, Desired: nf.desired}
		for _, in := range nf.instances {
			if in.phase == state.PhaseReady {
				ns.Ready++
			}
			ns.Instances = append(ns.Instances, controller.InstanceStatus{Name: in.name, Phase: in.phase,
				Addresses: map[string]string{"mgmt": in.addr, "n6": in.addr}, StartedAt: in.started})
		}
		st.Ready = st.Ready && ns.Ready == ns.Desired && len(ns.Instances) == ns.Desired
		st.NFs = append(st.NFs, ns)
	}
	return st, nil
}

func (f *fakeOrch) Scale(_ context.Context, name string, replicas map[string]int) error {
	f.mu.Lock()
	f.scales = append(f.scales, replicas)
	for nfName, n := range replicas {
		for _, nf := range f.nfs {
			if nf.name == nfName {
				f.setReplicas(nf, n)
			}
		}
	}
	hook := f.onScale
	f.mu.Unlock()
	if hook != nil {
		for nf, n := range replicas {
			hook(nf, n)
		}
	}
	return f.scaleErr
}

func (f *fakeOrch) Inspect(_ context.Context, name string) (*container.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, nf := range f.nfs {
		for _, in := range nf.instances {
			if in.name == name {
				return &container.Container{Spec: container.Spec{Name: name, Resources: f.resized[name]}}, nil
			}
		}
	}
	return nil, fmt.Errorf("no container %s", name)
}

func (f *fakeOrch) Resize(_ context.Context, name string, res container.Resources) (*container.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resized[name] = res
	return &container.Container{Spec: container.Spec{Name: name, Resources: res}}, nil
}

func (f *fakeOrch) Apply(context.Context, api.ApplyRequest) (*controller.Plan, error) {
	return &controller.Plan{}, nil
}

func (f *fakeOrch) WaitProfileReady(context.Context, string, io.Writer) error { return nil }

func (f *fakeOrch) Down(context.Context, string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	return nil
}

func (f *fakeOrch) WaitRemoved(context.Context, string) error { return nil }

// instances is how many instances nf has now (without advancing).
func (f *fakeOrch) instances(nf string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.nfs {
		if n.name == nf {
			return len(n.instances)
		}
	}
	return 0
}

// fakeMetrics serves samples per mgmt address; a counter set with count
// goes up by its step on every scrape.
type fakeMetrics struct {
	mu       sync.Mutex
	samples  map[string][]Sample
	counters map[string]float64 // addr → step per scrape of corebox_test_packets_total
	down     map[string]bool
}

var errScrapeDown = errors.New("connection refused")

func newFakeMetrics() *fakeMetrics {
	return &fakeMetrics{samples: map[string][]Sample{}, counters: map[string]float64{}, down: map[string]bool{}}
}

func (f *fakeMetrics) set(addr string, s ...Sample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.samples[addr] = s
}

func (f *fakeMetrics) Scrape(_ context.Context, addr string) ([]Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down[addr] {
		return nil, errScrapeDown
	}
	if step, ok := f.counters[addr]; ok {
		v, _ := sumOf(f.samples[addr], "corebox_test_packets_total", nil)
		f.samples[addr] = []Sample{{Name: "corebox_test_packets_total", Labels: map[string]string{"direction": "uplink"}, Value: v + step}}
	}
	return f.samples[addr], nil
}

func resources(cpus float64, mem int64) container.Resources {
	return container.Resources{CPUs: cpus, MemoryBytes: mem}
}
