package scheduler

import (
	"fmt"
	"sync"
	"testing"

	"github.com/corebox/corebox/profiles"
)

// Many bring-ups at once must never hand one CPU to two instances nor
// overfill the shared capacity.
func TestConcurrentPlacement(t *testing.T) {
	s := New(eightCPUs, Options{})
	const n = 40
	var wg sync.WaitGroup
	results := make([]Placement, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r := upf(fmt.Sprint(i), 1, profiles.DataplaneRequired)
			if i%2 == 1 {
				r = Request{Instance: fmt.Sprintf("5gc-amf-%d", i), NF: "amf", CPUs: 0.5}
			}
			results[i], _, errs[i] = s.Place(r)
			s.Free()
			s.SharedCPUSet()
		})
	}
	// Releases of instances that may or may not exist yet race with them.
	for i := range 4 {
		wg.Go(func() { s.Release(fmt.Sprintf("5gc-nope-%d", i)) })
	}
	wg.Wait()

	held := map[string]string{}
	var sharedMilli int64
	var refusedExclusive, refusedShared bool
	for i, p := range results {
		switch {
		case errs[i] != nil && i%2 == 0:
			refusedExclusive = true
		case errs[i] != nil:
			refusedShared = true
		case p.Exclusive:
			if other, dup := held[p.CPUSet]; dup {
				t.Errorf("CPU %s given to %s and %s", p.CPUSet, other, p.Instance)
			}
			held[p.CPUSet] = p.Instance
		default:
			sharedMilli += toMilli(p.CPUs)
		}
	}
	sharedCPUs := 8 - len(held)
	if sharedMilli > int64(sharedCPUs)*1000 {
		t.Errorf("%d milli-CPUs of shared limits on %d shared CPUs", sharedMilli, sharedCPUs)
	}
	// Asks only grow here (the releases name no instance), so whatever was
	// refused once must still not fit.
	free := s.Free()
	if refusedExclusive && len(free.ExclusiveCPUs) > 0 {
		t.Errorf("an exclusive request was refused yet CPUs %v are free", free.ExclusiveCPUs)
	}
	if refusedShared && free.CPUs >= 0.5 {
		t.Errorf("a shared request was refused yet %v CPUs are free", free.CPUs)
	}
	if !refusedExclusive || !refusedShared {
		t.Errorf("40 requests on 8 CPUs should overflow both kinds: exclusive refused %v, shared refused %v",
			refusedExclusive, refusedShared)
	}
}
