package scheduler

import "math"

// Shared CPU limits are accounted in milli-CPUs (as Kubernetes does) so
// that sums like 0.1+0.2 compare exactly against 0.3.
func toMilli(cpus float64) int64 { return int64(math.Round(cpus * 1000)) }

// sharedCPUs are the online CPUs no instance holds exclusively.
func (s *Scheduler) sharedCPUs() []int {
	var ids []int
	for _, c := range s.cpus {
		if _, held := s.owner[c]; !held {
			ids = append(ids, c)
		}
	}
	return ids
}

// sharedCapacity is how many milli-CPUs of limits n shared CPUs carry.
func (s *Scheduler) sharedCapacity(n int) int64 {
	return int64(math.Round(float64(n) * 1000 * s.overcommit))
}

func (s *Scheduler) sharedUsed() (milli int64) {
	for _, p := range s.placed {
		milli += p.milli
	}
	return milli
}

func (s *Scheduler) sharedInstances() (n int) {
	for _, p := range s.placed {
		if !p.p.Exclusive {
			n++
		}
	}
	return n
}

// sharedNeeded is the fewest shared CPUs that still carry the shared
// instances' limits, and at least one while any shared instance runs
// (an unlimited one too): it must have a CPU.
func (s *Scheduler) sharedNeeded() int {
	used := s.sharedUsed()
	floor := 0
	if s.sharedInstances() > 0 {
		floor = 1
	}
	have := len(s.sharedCPUs())
	for n := floor; n < have; n++ {
		if s.sharedCapacity(n) >= used {
			return n
		}
	}
	return have
}

// exclusiveFree lists the CPUs an exclusive placement may take now,
// lowest first: not reserved, not held, and not needed by shared limits.
func (s *Scheduler) exclusiveFree() []int {
	var ids []int
	for _, c := range s.cpus[s.reserved:] {
		if _, held := s.owner[c]; !held {
			ids = append(ids, c)
		}
	}
	spare := len(s.sharedCPUs()) - s.sharedNeeded()
	if spare < len(ids) {
		ids = ids[:max(0, spare)]
	}
	return ids
}

func (s *Scheduler) memoryUsed() (b int64) {
	for _, p := range s.placed {
		b += p.p.MemoryBytes
	}
	return b
}

func (s *Scheduler) freeMemory() int64 { return s.memory - s.memoryUsed() }
