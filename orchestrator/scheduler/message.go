package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// refusal carries the exact message users see and wraps ErrInsufficient
// without appending its text.
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }
func (e *refusal) Unwrap() error { return ErrInsufficient }

func (s *Scheduler) refuse(r Request, why string) error {
	return &refusal{msg: "cannot place " + who(r) + ": " + why}
}

func who(r Request) string {
	if r.NF == "" {
		return r.Instance
	}
	return r.Instance + " (" + r.NF + ")"
}

// exclusiveShortage: "asks 2 exclusive CPUs (dataplane: required), 0 of 2
// CPUs free for exclusive use (CPU 1 held by 5gc-upf-0; 1 CPU reserved
// for shared NFs)".
func (s *Scheduler) exclusiveShortage(r Request, want, free int) string {
	msg := fmt.Sprintf("asks %s (dataplane: %s), %d of %s free for exclusive use",
		count(want, "exclusive CPU"), r.Dataplane, free, count(len(s.cpus), "CPU"))
	var why []string
	if held := s.exclusiveHolders(); held != "" {
		why = append(why, held)
	}
	if s.reserved > 0 {
		why = append(why, count(s.reserved, "CPU")+" reserved for shared NFs")
	}
	if need := s.sharedNeeded(); need > s.reserved {
		if used := s.sharedUsed(); used > 0 {
			why = append(why, fmt.Sprintf("shared NFs' limits (%s) need %s",
				milliCPUs(used), count(need, "shared CPU")))
		} else {
			why = append(why, "shared NFs need "+count(need, "shared CPU"))
		}
	}
	return withDetails(msg, why)
}

// sharedShortage: "asks 1.5 CPUs, 0.5 of 1 shared CPU free (shared CPUs:
// 0; limits held: 5gc-amf-0 0.5; CPU 1 held by 5gc-upf-0)".
func (s *Scheduler) sharedShortage(milli int64) string {
	shared := s.sharedCPUs()
	asks := milliCPUs(milli)
	if milli == 0 {
		asks = "no CPU limit"
	}
	var msg string
	var why []string
	if len(shared) == 0 {
		msg = "asks " + asks + ", but no CPU is left shared"
	} else {
		capacity := s.sharedCapacity(len(shared))
		msg = fmt.Sprintf("asks %s, %s of %s free", asks,
			milliPlain(max(0, capacity-s.sharedUsed())), milliUnit(capacity, "shared CPU"))
		why = append(why, "shared CPUs: "+formatCPUList(shared))
		if s.overcommit != 1 {
			why = append(why, "overcommit "+strconv.FormatFloat(s.overcommit, 'f', -1, 64))
		}
		if held := s.largest(func(p *placed) int64 { return p.milli }, milliPlain); held != "" {
			why = append(why, "limits held: "+held)
		}
	}
	if held := s.exclusiveHolders(); held != "" {
		why = append(why, held)
	}
	return withDetails(msg, why)
}

// memoryShortage: "asks 1Gi memory, 512Mi of 2Gi free (held: 5gc-upf-0 1Gi, ...)".
func (s *Scheduler) memoryShortage(r Request) string {
	msg := fmt.Sprintf("asks %s memory, %s of %s free",
		formatBytes(r.MemoryBytes), formatBytes(max(0, s.freeMemory())), formatBytes(s.memory))
	var why []string
	if held := s.largest(func(p *placed) int64 { return p.p.MemoryBytes }, formatBytes); held != "" {
		why = append(why, "held: "+held)
	}
	return withDetails(msg, why)
}

// exclusiveHolders: "CPU 1 held by 5gc-upf-0, CPUs 2-3 held by 5gc-upf-1",
// in CPU order.
func (s *Scheduler) exclusiveHolders() string {
	var ps []*placed
	for _, p := range s.placed {
		if len(p.cpus) > 0 {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b *placed) int { return cmp.Compare(a.cpus[0], b.cpus[0]) })
	var parts []string
	for _, p := range ps {
		word := "CPU "
		if len(p.cpus) > 1 {
			word = "CPUs "
		}
		parts = append(parts, word+formatCPUList(p.cpus)+" held by "+p.p.Instance)
	}
	return strings.Join(parts, ", ")
}

// largestShown bounds the holders a message lists: enough to see who
// takes the room without a message the size of the profile.
const largestShown = 4

// largest lists the biggest holders of some amount, biggest first.
func (s *Scheduler) largest(amount func(*placed) int64, format func(int64) string) string {
	var ps []*placed
	for _, p := range s.placed {
		if amount(p) > 0 {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b *placed) int {
		return cmp.Or(cmp.Compare(amount(b), amount(a)), cmp.Compare(a.p.Instance, b.p.Instance))
	})
	var parts []string
	for i, p := range ps {
		if i == largestShown {
			parts = append(parts, fmt.Sprintf("%d more", len(ps)-i))
			break
		}
		parts = append(parts, p.p.Instance+" "+format(amount(p)))
	}
	return strings.Join(parts, ", ")
}

func withDetails(msg string, details []string) string {
	if len(details) == 0 {
		return msg
	}
	return msg + " (" + strings.Join(details, "; ") + ")"
}

// count: "1 CPU", "2 CPUs".
func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func milliPlain(m int64) string { return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64) }

// milliUnit: "1 CPU", "0.5 CPUs", "1.5 shared CPUs".
func milliUnit(m int64, unit string) string {
	if m == 1000 {
		return "1 " + unit
	}
	return milliPlain(m) + " " + unit + "s"
}

func milliCPUs(m int64) string { return milliUnit(m, "CPU") }

// formatBytes writes sizes the way profiles spell them (512Mi, 1.5Gi).
func formatBytes(b int64) string {
	units := []string{"Ti", "Gi", "Mi", "Ki"}
	for i, u := range units {
		size := int64(1) << (10 * (len(units) - i))
		if b >= size {
			return trimFloat(float64(b)/float64(size)) + u
		}
	}
	return strconv.FormatInt(b, 10)
}

// trimFloat keeps at most two decimals: 1.25, 1.5, 3.
func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
