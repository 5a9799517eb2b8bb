package scheduler

import (
	"slices"
	"testing"

	"github.com/corebox/corebox/profiles"
)

func TestRestoreRebuildsTheAccounting(t *testing.T) {
	before := New(eightCPUs, Options{})
	var ps []Placement
	for _, r := range []Request{
		upf("0", 2, profiles.DataplaneRequired),
		{Instance: "5gc-amf-0", NF: "amf", CPUs: 1.5, MemoryBytes: gi},
		upf("1", 1, profiles.DataplanePreferred),
		{Instance: "5gc-nrf-0", NF: "nrf", MemoryBytes: 512 * mi},
	} {
		ps = append(ps, mustPlace(t, before, r))
	}

	after := New(eightCPUs, Options{})
	if err := after.Restore(ps); err != nil {
		t.Fatal(err)
	}
	if a, b := after.Free(), before.Free(); !equalCapacity(a, b) {
		t.Errorf("restored free %+v, before %+v", a, b)
	}
	if a, b := after.SharedCPUSet(), before.SharedCPUSet(); a != b {
		t.Errorf("restored shared set %q, before %q", a, b)
	}
	// Restored instances are known: placing them again returns them as
	// they were, and new ones continue where the old scheduler was.
	if p := mustPlace(t, after, upf("0", 2, profiles.DataplaneRequired)); p.CPUSet != "1-2" || p.SharedChanged {
		t.Errorf("restored instance placed again: %+v", p)
	}
	if p := mustPlace(t, after, upf("2", 1, profiles.DataplaneRequired)); p.CPUSet != "4" {
		t.Errorf("next exclusive placement after restore: %+v", p)
	}
	if !after.Release("5gc-upf-1") || after.SharedCPUSet() != "0,3,5-7" {
		t.Errorf("release after restore: shared set %q", after.SharedCPUSet())
	}
}

func TestRestoreReportsOvercommittedSharedLimits(t *testing.T) {
	s := New(twoCPUs, Options{})
	err := s.Restore([]Placement{
		{Instance: "5gc-upf-0", CPUSet: "1", Exclusive: true},
		{Instance: "5gc-amf-0", CPUs: 0.75},
		{Instance: "5gc-smf-0", CPUs: 0.5},
	})
	want := "restore placements: shared limits of 1.25 CPUs exceed the 1 CPU that shared CPUs 0 carry"
	if err == nil || err.Error() != want {
		t.Errorf("restore error %v, want %q", err, want)
	}
	if free := s.Free(); free.CPUs != 0 {
		t.Errorf("free shared capacity %v after an overcommitted restore, want 0", free.CPUs)
	}
}

func TestRestoreReplacesState(t *testing.T) {
	s := New(twoCPUs, Options{})
	mustPlace(t, s, upf("0", 1, profiles.DataplaneRequired))
	if err := s.Restore(nil); err != nil {
		t.Fatal(err)
	}
	want := Capacity{CPUs: 2, ExclusiveCPUs: []int{1}, MemoryBytes: 2 * gi}
	if free := s.Free(); !equalCapacity(free, want) {
		t.Errorf("free after restoring nothing %+v, want %+v", free, want)
	}
}

func TestRestoreReportsWhatNoLongerFits(t *testing.T) {
	// The node shrank to two CPUs and 2Gi while instances kept running.
	s := New(twoCPUs, Options{})
	err := s.Restore([]Placement{
		{Instance: "5gc-upf-0", CPUSet: "1-2", Exclusive: true, CPUs: 2, MemoryBytes: 2 * gi},
		{Instance: "5gc-upf-1", CPUSet: "1", Exclusive: true},
		{Instance: "5gc-upf-2", CPUSet: "0", Exclusive: true},
		{Instance: "5gc-upf-3", CPUSet: "x", Exclusive: true},
		{Instance: "5gc-amf-0", CPUs: 0.5, MemoryBytes: gi},
		{Instance: "5gc-amf-0", CPUs: 1},
		{Instance: "5gc-smf-0", CPUs: 1},
	})
	want := "restore placements: " +
		"5gc-amf-0: placed twice\n" +
		"5gc-upf-0: CPU 2 is not online\n" +
		"5gc-upf-1: CPU 1 is already held by 5gc-upf-0\n" +
		"5gc-upf-2: CPU 0 is reserved for shared NFs\n" +
		`5gc-upf-3: exclusive cpuset: cpu list "x": bad CPU id "x"` + "\n" +
		"2 shared instances have no CPU left: every CPU is held exclusively\n" +
		"memory limits of 3Gi exceed the node's 2Gi"
	if err == nil || err.Error() != want {
		t.Errorf("restore error:\n%v\nwant\n%s", err, want)
	}
	// What runs is still accounted: nothing is free.
	if free := s.Free(); !equalCapacity(free, Capacity{}) {
		t.Errorf("free after an overfull restore: %+v", free)
	}
	if !s.Release("5gc-upf-2") || s.SharedCPUSet() != "0" {
		t.Errorf("releasing a restored holder of a reserved CPU: shared set %q", s.SharedCPUSet())
	}
	if got := s.Free().ExclusiveCPUs; !slices.Equal(got, nil) {
		t.Errorf("exclusive CPUs free %v, want none (CPU 1 is still held)", got)
	}
}
