package scheduler

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/corebox/corebox/profiles"
)

const (
	mi = int64(1) << 20
	gi = int64(1) << 30
)

var (
	twoCPUs   = Node{CPUs: []int{0, 1}, MemoryBytes: 2 * gi}
	eightCPUs = Node{CPUs: []int{0, 1, 2, 3, 4, 5, 6, 7}, MemoryBytes: 16 * gi}
)

func upf(i string, cpus float64, mode string) Request {
	return Request{Instance: "5gc-upf-" + i, NF: "upf", CPUs: cpus, Dataplane: mode}
}

func shared(instance, nf string, cpus float64) Request {
	return Request{Instance: instance, NF: nf, CPUs: cpus}
}

func TestPlace(t *testing.T) {
	req, pref := profiles.DataplaneRequired, profiles.DataplanePreferred
	cases := []struct {
		name   string
		node   Node
		opts   Options
		before []Request // all must be placed
		req    Request
		want   Placement // when err is ""
		err    string
		events []string // "Reason: Message"
		shared string   // SharedCPUSet afterwards
	}{
		{
			name: "dataplane gets the first unreserved CPU", node: twoCPUs,
			req:    upf("0", 1, req),
			want:   Placement{Instance: "5gc-upf-0", NF: "upf", CPUSet: "1", Exclusive: true, CPUs: 1, SharedChanged: true},
			shared: "0",
		},
		{
			name: "second required dataplane is refused", node: twoCPUs,
			before: []Request{upf("0", 1, req)},
			req:    upf("1", 2, req),
			err:    "cannot place 5gc-upf-1 (upf): asks 2 exclusive CPUs (dataplane: required), 0 of 2 CPUs free for exclusive use (CPU 1 held by 5gc-upf-0; 1 CPU reserved for shared NFs)",
			shared: "0",
		},
		{
			name: "the reserved CPU is never exclusive", node: twoCPUs,
			req:    upf("0", 1.5, req),
			err:    "cannot place 5gc-upf-0 (upf): asks 2 exclusive CPUs (dataplane: required), 1 of 2 CPUs free for exclusive use (1 CPU reserved for shared NFs)",
			shared: "0-1",
		},
		{
			name: "preferred falls back to shared with an event", node: twoCPUs,
			before: []Request{upf("0", 1, req)},
			req:    upf("1", 0.5, pref),
			want:   Placement{Instance: "5gc-upf-1", NF: "upf", CPUSet: "0", CPUs: 0.5},
			events: []string{"DataplaneFallback: 5gc-upf-1 (upf) asks 1 exclusive CPU (dataplane: preferred), 0 of 2 CPUs free for exclusive use (CPU 1 held by 5gc-upf-0; 1 CPU reserved for shared NFs); runs on shared CPUs 0 instead"},
			shared: "0",
		},
		{
			name: "preferred refused when shared has no room either", node: twoCPUs,
			before: []Request{upf("0", 1, req), shared("5gc-amf-0", "amf", 0.75)},
			req:    upf("1", 0.5, pref),
			err:    "cannot place 5gc-upf-1 (upf): asks 1 exclusive CPU (dataplane: preferred), 0 of 2 CPUs free for exclusive use (CPU 1 held by 5gc-upf-0; 1 CPU reserved for shared NFs); on shared CPUs it asks 0.5 CPUs, 0.25 of 1 shared CPU free (shared CPUs: 0; limits held: 5gc-amf-0 0.75; CPU 1 held by 5gc-upf-0)",
			shared: "0",
		},
		{
			name: "preferred gets exclusive CPUs when free", node: eightCPUs,
			req:    upf("0", 2, pref),
			want:   Placement{Instance: "5gc-upf-0", NF: "upf", CPUSet: "1-2", Exclusive: true, CPUs: 2, SharedChanged: true},
			shared: "0,3-7",
		},
		{
			name: "shared limits keep CPUs from going exclusive", node: twoCPUs,
			before: []Request{shared("5gc-amf-0", "amf", 1), shared("5gc-smf-0", "smf", 0.5)},
			req:    upf("0", 1, req),
			err:    "cannot place 5gc-upf-0 (upf): asks 1 exclusive CPU (dataplane: required), 0 of 2 CPUs free for exclusive use (1 CPU reserved for shared NFs; shared NFs' limits (1.5 CPUs) need 2 shared CPUs)",
			shared: "0-1",
		},
		{
			name: "shared limit refused with what is free", node: twoCPUs,
			before: []Request{upf("0", 1, req), shared("5gc-amf-0", "amf", 0.5)},
			req:    shared("5gc-smf-0", "smf", 1),
			err:    "cannot place 5gc-smf-0 (smf): asks 1 CPU, 0.5 of 1 shared CPU free (shared CPUs: 0; limits held: 5gc-amf-0 0.5; CPU 1 held by 5gc-upf-0)",
			shared: "0",
		},
		{
			name: "shared limits sum exactly to capacity", node: twoCPUs,
			before: []Request{shared("5gc-amf-0", "amf", 0.1), shared("5gc-smf-0", "smf", 0.2), upf("0", 1, req), shared("5gc-nrf-0", "nrf", 0.4)},
			req:    shared("5gc-ausf-0", "ausf", 0.3),
			want:   Placement{Instance: "5gc-ausf-0", NF: "ausf", CPUSet: "0", CPUs: 0.3},
			shared: "0",
		},
		{
			name: "unlimited shared NF is not accounted", node: twoCPUs,
			before: []Request{upf("0", 1, req), shared("5gc-amf-0", "amf", 1)},
			req:    shared("5gc-nrf-0", "nrf", 0),
			want:   Placement{Instance: "5gc-nrf-0", NF: "nrf", CPUSet: "0"},
			shared: "0",
		},
		{
			name: "overcommit carries more limits", node: twoCPUs, opts: Options{CPUOvercommit: 2},
			before: []Request{shared("5gc-amf-0", "amf", 2), shared("5gc-smf-0", "smf", 1.5)},
			req:    upf("0", 1, req),
			err:    "cannot place 5gc-upf-0 (upf): asks 1 exclusive CPU (dataplane: required), 0 of 2 CPUs free for exclusive use (1 CPU reserved for shared NFs; shared NFs' limits (3.5 CPUs) need 2 shared CPUs)",
			shared: "0-1",
		},
		{
			name: "overcommit shown in a shared refusal", node: twoCPUs, opts: Options{CPUOvercommit: 1.5},
			before: []Request{shared("5gc-amf-0", "amf", 2)},
			req:    shared("5gc-smf-0", "smf", 1.5),
			err:    "cannot place 5gc-smf-0 (smf): asks 1.5 CPUs, 1 of 3 shared CPUs free (shared CPUs: 0-1; overcommit 1.5; limits held: 5gc-amf-0 2)",
			shared: "0-1",
		},
		{
			name: "memory is accounted for every NF", node: twoCPUs,
			before: []Request{{Instance: "5gc-upf-0", NF: "upf", MemoryBytes: 1536 * mi, Dataplane: req}},
			req:    Request{Instance: "5gc-amf-0", NF: "amf", MemoryBytes: gi},
			err:    "cannot place 5gc-amf-0 (amf): asks 1Gi memory, 512Mi of 2Gi free (held: 5gc-upf-0 1.5Gi)",
			shared: "0",
		},
		{
			name: "memory fills exactly", node: twoCPUs,
			before: []Request{{Instance: "5gc-upf-0", NF: "upf", MemoryBytes: 1536 * mi, Dataplane: req}, {Instance: "5gc-nrf-0", NF: "nrf"}},
			req:    Request{Instance: "5gc-amf-0", NF: "amf", MemoryBytes: 512 * mi},
			want:   Placement{Instance: "5gc-amf-0", NF: "amf", CPUSet: "0", MemoryBytes: 512 * mi},
			shared: "0",
		},
		{
			name: "lowest free ids first on eight CPUs", node: eightCPUs,
			before: []Request{upf("0", 2.5, req), upf("1", 1, req)},
			req:    upf("2", 2, req),
			want:   Placement{Instance: "5gc-upf-2", NF: "upf", CPUSet: "5-6", Exclusive: true, CPUs: 2, SharedChanged: true},
			shared: "0,7",
		},
		{
			name: "released CPUs are reused lowest first", node: eightCPUs,
			before: []Request{upf("0", 2, req), upf("1", 1, req), {Instance: "release:5gc-upf-0"}},
			req:    upf("2", 3, req),
			want:   Placement{Instance: "5gc-upf-2", NF: "upf", CPUSet: "1-2,4", Exclusive: true, CPUs: 3, SharedChanged: true},
			shared: "0,5-7",
		},
		{
			name: "eight CPUs run out", node: eightCPUs, opts: Options{ReservedCPUs: 2},
			before: []Request{upf("0", 4, req), shared("5gc-amf-0", "amf", 3.5)},
			req:    upf("1", 1, req),
			err:    "cannot place 5gc-upf-1 (upf): asks 1 exclusive CPU (dataplane: required), 0 of 8 CPUs free for exclusive use (CPUs 2-5 held by 5gc-upf-0; 2 CPUs reserved for shared NFs; shared NFs' limits (3.5 CPUs) need 4 shared CPUs)",
			shared: "0-1,6-7",
		},
		{
			name: "dataplane without a CPU figure gets one CPU", node: eightCPUs,
			req:    upf("0", 0, req),
			want:   Placement{Instance: "5gc-upf-0", NF: "upf", CPUSet: "1", Exclusive: true, SharedChanged: true},
			shared: "0,2-7",
		},
		{
			name: "no reserve: every CPU can go exclusive", node: twoCPUs, opts: Options{ReservedCPUs: -1},
			req:    upf("0", 2, req),
			want:   Placement{Instance: "5gc-upf-0", NF: "upf", CPUSet: "0-1", Exclusive: true, CPUs: 2, SharedChanged: true},
			shared: "",
		},
		{
			name: "no reserve: a shared NF needs one CPU left", node: twoCPUs, opts: Options{ReservedCPUs: -1},
			before: []Request{upf("0", 2, req)},
			req:    shared("5gc-nrf-0", "nrf", 0),
			err:    "cannot place 5gc-nrf-0 (nrf): asks no CPU limit, but no CPU is left shared (CPUs 0-1 held by 5gc-upf-0)",
			shared: "",
		},
		{
			name: "no reserve: an unlimited shared NF keeps one CPU", node: twoCPUs, opts: Options{ReservedCPUs: -1},
			before: []Request{shared("5gc-nrf-0", "nrf", 0)},
			req:    upf("0", 2, req),
			err:    "cannot place 5gc-upf-0 (upf): asks 2 exclusive CPUs (dataplane: required), 1 of 2 CPUs free for exclusive use (shared NFs need 1 shared CPU)",
			shared: "0-1",
		},
		{
			name: "request without NF name", node: twoCPUs,
			before: []Request{{Instance: "a", MemoryBytes: 2 * gi}},
			req:    Request{Instance: "b", MemoryBytes: 1},
			err:    "cannot place b: asks 1 memory, 0 of 2Gi free (held: a 2Gi)",
			shared: "0-1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.node, tc.opts)
			for _, r := range tc.before {
				if inst, ok := strings.CutPrefix(r.Instance, "release:"); ok {
					s.Release(inst)
					continue
				}
				if _, _, err := s.Place(r); err != nil {
					t.Fatalf("setting up %s: %v", r.Instance, err)
				}
			}
			got, events, err := s.Place(tc.req)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("placed %+v, want refusal %q", got, tc.err)
				}
				if err.Error() != tc.err {
					t.Errorf("refusal:\n got %s\nwant %s", err, tc.err)
				}
				if !errors.Is(err, ErrInsufficient) {
					t.Errorf("refusal %v does not wrap ErrInsufficient", err)
				}
			} else {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got != tc.want {
					t.Errorf("placement:\n got %+v\nwant %+v", got, tc.want)
				}
			}
			var evs []string
			for _, e := range events {
				if e.Instance != tc.req.Instance {
					t.Errorf("event for %q, want %q", e.Instance, tc.req.Instance)
				}
				evs = append(evs, e.Reason+": "+e.Message)
			}
			if !slices.Equal(evs, tc.events) {
				t.Errorf("events:\n got %q\nwant %q", evs, tc.events)
			}
			if sh := s.SharedCPUSet(); sh != tc.shared {
				t.Errorf("shared set %q, want %q", sh, tc.shared)
			}
		})
	}
}

func TestPlaceRejectsMalformedRequests(t *testing.T) {
	s := New(twoCPUs, Options{})
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{Request{NF: "upf"}, "place  (upf): request names no instance"},
		{Request{Instance: "x", CPUs: -1}, "place x: cpus -1: must be a finite number ≥ 0"},
		{Request{Instance: "x", MemoryBytes: -5}, "place x: memory -5: must be ≥ 0"},
		{Request{Instance: "x", Dataplane: "always"}, `place x: dataplane "always": want "required", "preferred" or empty`},
	} {
		_, _, err := s.Place(tc.r)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Place(%+v) = %v, want %q", tc.r, err, tc.want)
		}
		if errors.Is(err, ErrInsufficient) {
			t.Errorf("malformed request reported as insufficient capacity: %v", err)
		}
	}
}

func TestPlaceIsIdempotent(t *testing.T) {
	s := New(eightCPUs, Options{})
	first, _, err := s.Place(upf("0", 2, profiles.DataplaneRequired))
	if err != nil {
		t.Fatal(err)
	}
	// The same instance again, even asking for something else, keeps its
	// placement and takes nothing more.
	again, events, err := s.Place(upf("0", 4, profiles.DataplaneRequired))
	if err != nil {
		t.Fatal(err)
	}
	first.SharedChanged = false
	if again != first || len(events) != 0 {
		t.Errorf("second Place = %+v %v, want %+v and no events", again, events, first)
	}
	if free := s.Free().ExclusiveCPUs; !slices.Equal(free, []int{3, 4, 5, 6, 7}) {
		t.Errorf("exclusive CPUs free %v after placing twice", free)
	}
}

func TestRelease(t *testing.T) {
	s := New(twoCPUs, Options{})
	mustPlace(t, s, upf("0", 1, profiles.DataplaneRequired))
	mustPlace(t, s, Request{Instance: "5gc-amf-0", NF: "amf", CPUs: 0.5, MemoryBytes: gi})
	if changed := s.Release("5gc-amf-0"); changed {
		t.Error("releasing a shared instance reported a shared set change")
	}
	if !s.Release("5gc-upf-0") {
		t.Error("releasing an exclusive instance did not report the shared set change")
	}
	if s.Release("5gc-upf-0") {
		t.Error("releasing twice reported a change")
	}
	want := Capacity{CPUs: 2, ExclusiveCPUs: []int{1}, MemoryBytes: 2 * gi}
	if free := s.Free(); !equalCapacity(free, want) {
		t.Errorf("free after release %+v, want %+v", free, want)
	}
	if sh := s.SharedCPUSet(); sh != "0-1" {
		t.Errorf("shared set after release %q", sh)
	}
	if p := mustPlace(t, s, upf("1", 1, profiles.DataplaneRequired)); p.CPUSet != "1" {
		t.Errorf("released CPU not reused: %+v", p)
	}
}

func TestFree(t *testing.T) {
	s := New(eightCPUs, Options{CPUOvercommit: 1.5})
	mustPlace(t, s, upf("0", 2, profiles.DataplaneRequired))
	mustPlace(t, s, Request{Instance: "a", CPUs: 4.5, MemoryBytes: 3 * gi})
	// 6 shared CPUs carry 9 CPUs of limits; 4.5 of them are taken, which
	// needs 3 shared CPUs: 3 more may go exclusive.
	want := Capacity{CPUs: 4.5, ExclusiveCPUs: []int{3, 4, 5}, MemoryBytes: 13 * gi}
	if free := s.Free(); !equalCapacity(free, want) {
		t.Errorf("free %+v, want %+v", free, want)
	}
}

func mustPlace(t *testing.T, s *Scheduler, r Request) Placement {
	t.Helper()
	p, _, err := s.Place(r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func equalCapacity(a, b Capacity) bool {
	return a.CPUs == b.CPUs && a.MemoryBytes == b.MemoryBytes && slices.Equal(a.ExclusiveCPUs, b.ExclusiveCPUs)
}
