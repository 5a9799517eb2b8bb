package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Restore replaces the scheduler's state with ps, the placements recorded
// in the desired state, after a daemon restart. The instances already
// run where ps says, so every placement is recorded even when it no
// longer fits (the node lost CPUs or memory, or options changed); the
// error lists each such problem for the caller to report.
func (s *Scheduler) Restore(ps []Placement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.placed = map[string]*placed{}
	s.owner = map[int]string{}
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b Placement) int { return cmp.Compare(a.Instance, b.Instance) })
	var errs []error
	for _, p := range ps {
		if err := s.restoreOne(p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Instance, err))
		}
	}
	if err := s.sharedOverfull(); err != nil {
		errs = append(errs, err)
	}
	if used := s.memoryUsed(); used > s.memory {
		errs = append(errs, fmt.Errorf("memory limits of %s exceed the node's %s",
			formatBytes(used), formatBytes(s.memory)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("restore placements: %w", err)
	}
	return nil
}

func (s *Scheduler) restoreOne(p Placement) error {
	p.SharedChanged = false
	if p.Instance == "" {
		return fmt.Errorf("placement names no instance")
	}
	if _, dup := s.placed[p.Instance]; dup {
		return fmt.Errorf("placed twice")
	}
	rec := &placed{p: p}
	s.placed[p.Instance] = rec
	if !p.Exclusive {
		rec.milli = toMilli(p.CPUs)
		return nil
	}
	cpus, err := parseCPUList(p.CPUSet)
	if err != nil {
		return fmt.Errorf("exclusive cpuset: %w", err)
	}
	if len(cpus) == 0 {
		return fmt.Errorf("exclusive placement with an empty cpuset")
	}
	var errs []error
	for _, c := range cpus {
		i, online := slices.BinarySearch(s.cpus, c)
		switch holder, held := s.owner[c]; {
		case !online:
			errs = append(errs, fmt.Errorf("CPU %d is not online", c))
		case held:
			errs = append(errs, fmt.Errorf("CPU %d is already held by %s", c, holder))
		default:
			if i < s.reserved {
				errs = append(errs, fmt.Errorf("CPU %d is reserved for shared NFs", c))
			}
			s.owner[c] = p.Instance
			rec.cpus = append(rec.cpus, c)
		}
	}
	return errors.Join(errs...)
}

func (s *Scheduler) sharedOverfull() error {
	shared := s.sharedCPUs()
	if len(shared) == 0 && s.sharedInstances() > 0 {
		return fmt.Errorf("%s have no CPU left: every CPU is held exclusively",
			count(s.sharedInstances(), "shared instance"))
	}
	if used, capacity := s.sharedUsed(), s.sharedCapacity(len(shared)); used > capacity {
		return fmt.Errorf("shared limits of %s exceed the %s that shared CPUs %s carry",
			milliCPUs(used), milliCPUs(capacity), formatCPUList(shared))
	}
	return nil
}
