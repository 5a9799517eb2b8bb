// Package scheduler places instances on this node: which CPUs they may
// run on and how much CPU and memory they are accounted for. Dataplane NFs
// get whole CPUs to themselves; every other NF shares what is left.
package scheduler

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/corebox/corebox/profiles"
)

// ErrInsufficient is wrapped by every refusal for lack of capacity.
var ErrInsufficient = errors.New("insufficient capacity")

// Options tune a Scheduler.
type Options struct {
	// ReservedCPUs are the lowest CPU ids, never given exclusively: the
	// node itself and shared NFs need somewhere to run. 0 means the
	// default 1; a negative value reserves none.
	ReservedCPUs int
	// CPUOvercommit multiplies the shared CPUs when accounting shared
	// NFs' limits; values ≤ 0 mean the default 1.0 (no overcommit).
	CPUOvercommit float64
}

// Request asks for one instance's place.
type Request struct {
	Instance    string // 5gc-upf-0
	NF          string // upf
	CPUs        float64
	MemoryBytes int64  // 0: unlimited, not accounted
	Dataplane   string // profiles.Dataplane*
}

// Placement is where an instance runs and what it is accounted for.
type Placement struct {
	Instance string
	NF       string
	// CPUSet is the instance's cpuset (cgroup format). For a shared
	// instance it is the shared set when it was placed; the shared set
	// changes as exclusive instances come and go.
	CPUSet      string
	Exclusive   bool
	CPUs        float64
	MemoryBytes int64
	// SharedChanged: this placement took CPUs from the shared set, so the
	// caller must re-pin running shared instances to SharedCPUSet().
	SharedChanged bool
}

// Capacity is what is left.
type Capacity struct {
	CPUs          float64 // shared capacity left for shared NFs' limits
	ExclusiveCPUs []int   // CPUs an exclusive placement could get now
	MemoryBytes   int64
}

// Event is something the caller should record, e.g. a dataplane fallback.
type Event struct{ Instance, Reason, Message string }

// ReasonDataplaneFallback: a "preferred" dataplane NF runs on shared CPUs.
const ReasonDataplaneFallback = "DataplaneFallback"

// Scheduler keeps the node's placements; safe for concurrent use.
type Scheduler struct {
	mu         sync.Mutex
	cpus       []int // sorted online ids
	reserved   int   // how many of the lowest ids are reserved
	overcommit float64
	memory     int64
	placed     map[string]*placed
	owner      map[int]string // exclusive CPU → instance
}

type placed struct {
	p     Placement
	milli int64 // shared CPU limit accounted, in milli-CPUs
	cpus  []int // exclusive CPUs owned
}

// New returns a Scheduler for n with nothing placed.
func New(n Node, opts Options) *Scheduler {
	cpus := slices.Clone(n.CPUs)
	slices.Sort(cpus)
	cpus = slices.Compact(cpus)
	reserved := opts.ReservedCPUs
	switch {
	case reserved == 0:
		reserved = 1
	case reserved < 0:
		reserved = 0
	}
	reserved = min(reserved, len(cpus))
	oc := opts.CPUOvercommit
	if oc <= 0 {
		oc = 1
	}
	return &Scheduler{
		cpus: cpus, reserved: reserved, overcommit: oc, memory: n.MemoryBytes,
		placed: map[string]*placed{}, owner: map[int]string{},
	}
}

func (r Request) validate() error {
	switch {
	case r.Instance == "":
		return errors.New("request names no instance")
	case r.CPUs < 0 || math.IsNaN(r.CPUs) || math.IsInf(r.CPUs, 0):
		return fmt.Errorf("cpus %v: must be a finite number ≥ 0", r.CPUs)
	case r.MemoryBytes < 0:
		return fmt.Errorf("memory %d: must be ≥ 0", r.MemoryBytes)
	}
	switch r.Dataplane {
	case profiles.DataplaneNone, profiles.DataplaneRequired, profiles.DataplanePreferred:
		return nil
	}
	return fmt.Errorf("dataplane %q: want %q, %q or empty", r.Dataplane,
		profiles.DataplaneRequired, profiles.DataplanePreferred)
}

// Place finds room for r. Placing an instance that is already placed
// returns its placement unchanged (so a retried bring-up is harmless);
// to change it, Release it first.
func (s *Scheduler) Place(r Request) (Placement, []Event, error) {
	if err := r.validate(); err != nil {
		return Placement{}, nil, fmt.Errorf("place %s: %w", who(r), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.placed[r.Instance]; ok {
		return p.p, nil, nil
	}
	if r.MemoryBytes > 0 && r.MemoryBytes > s.freeMemory() {
		return Placement{}, nil, s.refuse(r, s.memoryShortage(r))
	}
	if r.Dataplane == profiles.DataplaneNone {
		p, why := s.placeShared(r)
		if why != "" {
			return Placement{}, nil, s.refuse(r, why)
		}
		return p, nil, nil
	}
	return s.placeDataplane(r)
}

func (s *Scheduler) placeDataplane(r Request) (Placement, []Event, error) {
	want := exclusiveCount(r.CPUs)
	free := s.exclusiveFree()
	if len(free) >= want {
		return s.placeExclusive(r, free[:want]), nil, nil
	}
	short := s.exclusiveShortage(r, want, len(free))
	if r.Dataplane == profiles.DataplaneRequired {
		return Placement{}, nil, s.refuse(r, short)
	}
	p, why := s.placeShared(r)
	if why != "" {
		return Placement{}, nil, s.refuse(r, short+"; on shared CPUs it "+why)
	}
	ev := Event{Instance: r.Instance, Reason: ReasonDataplaneFallback,
		Message: fmt.Sprintf("%s %s; runs on shared CPUs %s instead", who(r), short, p.CPUSet)}
	return p, []Event{ev}, nil
}

// exclusiveCount is how many whole CPUs a dataplane request gets.
func exclusiveCount(cpus float64) int {
	// The epsilon keeps 2.0000000001 (float noise from a profile) at 2.
	return max(1, int(math.Ceil(cpus-1e-9)))
}

func (s *Scheduler) placeExclusive(r Request, cpus []int) Placement {
	cpus = slices.Clone(cpus)
	for _, c := range cpus {
		s.owner[c] = r.Instance
	}
	p := Placement{Instance: r.Instance, NF: r.NF, CPUSet: formatCPUList(cpus),
		Exclusive: true, CPUs: r.CPUs, MemoryBytes: r.MemoryBytes}
	s.placed[r.Instance] = &placed{p: p, cpus: cpus}
	p.SharedChanged = true
	return p
}

// placeShared returns why not (the shortage, for a message) when r does
// not fit on the shared CPUs.
func (s *Scheduler) placeShared(r Request) (Placement, string) {
	milli := toMilli(r.CPUs)
	shared := s.sharedCPUs()
	if len(shared) == 0 || milli > s.sharedCapacity(len(shared))-s.sharedUsed() {
		return Placement{}, s.sharedShortage(milli)
	}
	p := Placement{Instance: r.Instance, NF: r.NF, CPUSet: formatCPUList(shared),
		CPUs: r.CPUs, MemoryBytes: r.MemoryBytes}
	s.placed[r.Instance] = &placed{p: p, milli: milli}
	return p, ""
}

// Release forgets instance. It reports whether the shared set grew (the
// instance held exclusive CPUs), in which case the caller re-pins running
// shared instances to SharedCPUSet().
func (s *Scheduler) Release(instance string) (sharedChanged bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.placed[instance]
	if !ok {
		return false
	}
	delete(s.placed, instance)
	for _, c := range p.cpus {
		delete(s.owner, c)
	}
	return len(p.cpus) > 0
}

// SharedCPUSet is where shared instances may run now: every CPU not held
// exclusively.
func (s *Scheduler) SharedCPUSet() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return formatCPUList(s.sharedCPUs())
}

// Free is what is left for new placements.
func (s *Scheduler) Free() Capacity {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := s.sharedCapacity(len(s.sharedCPUs())) - s.sharedUsed()
	return Capacity{
		CPUs:          float64(max(0, left)) / 1000,
		ExclusiveCPUs: s.exclusiveFree(),
		MemoryBytes:   max(0, s.freeMemory()),
	}
}
