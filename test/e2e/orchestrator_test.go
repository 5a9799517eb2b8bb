package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
)

// TestOrchestrator walks issue 3's root checks on one profile: ordered
// bring-up, self-healing, scale with drain, resize, daemon restart,
// autoscaling and down.
func TestOrchestrator(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	c := newCLI(t)
	defer snap.Check(t)
	defer c.stopDaemon()
	c.ok("image", "build", "--corenf", filepath.Join(binDir, "corenf"), "--tag", "e2e")
	profile := "testdata/chain.yaml"
	defer c.run("", "down", "e2e")

	out := c.ok("up", profile, "--tag", "e2e", "--timeout", "2m")
	if !strings.Contains(out, "e2e ready in") {
		t.Fatalf("up did not report readiness:\n%s", out)
	}
	st := status(c, "e2e")

	t.Run("dependency order from the NFs' own start times", func(t *testing.T) {
		start := map[string]float64{}
		for _, nf := range []string{"nrf", "pcf", "amf", "smf", "upf", "lb"} {
			start[nf] = processStart(t, mgmtOf(t, st, "e2e-"+nf+"-0"))
		}
		for _, e := range [][2]string{{"nrf", "amf"}, {"amf", "smf"}, {"smf", "upf"}, {"nrf", "pcf"}, {"nrf", "lb"}} {
			// ready_after is 600ms: a dependent starts after its dependency is ready.
			if gap := start[e[1]] - start[e[0]]; gap < 0.6 {
				t.Errorf("%s started %.3fs after %s, want >= 0.6s (after it was ready)", e[1], gap, e[0])
			}
		}
	})

	t.Run("killed instance comes back within its backoff", func(t *testing.T) {
		before := instance(t, st, "e2e-pcf-0")
		if err := syscall.Kill(before.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		now := waitStatusOf(t, c, 15*time.Second, "pcf restarted and ready", func(s *controller.Status) bool {
			in := instance(t, s, "e2e-pcf-0")
			return in.Restarts == 1 && in.Phase == state.PhaseReady && in.Pid != before.Pid
		})
		took := time.Since(killed)
		t.Logf("pcf back and ready %.2fs after kill -9 (backoff 1s, ready_after 0.6s)", took.Seconds())
		if took > 5*time.Second {
			t.Errorf("came back after %s, want within the 1s backoff plus start and readiness", took)
		}
		st = now
	})

	t.Run("scale 1 to 3 to 1 drains before stopping", func(t *testing.T) {
		c.ok("scale", "e2e", "upf=3")
		st = waitStatusOf(t, c, time.Minute, "upf 3/3 ready", func(s *controller.Status) bool { return nfOf(s, "upf").Ready == 3 })
		victim := "http://" + mgmtOf(t, st, "e2e-upf-2") + ":9090/drain"
		c.ok("scale", "e2e", "upf=1")
		sawDraining := false
		waitStatusOf(t, c, time.Minute, "upf back to 1", func(s *controller.Status) bool {
			if d, err := getDrain(victim); err == nil && d.Draining {
				sawDraining = true
			}
			return len(nfOf(s, "upf").Instances) == 1
		})
		if !sawDraining {
			t.Error("never saw e2e-upf-2 draining before it went")
		}
		for _, n := range []string{"e2e-upf-1", "e2e-upf-2"} {
			drainAt, goneAt := eventSeq(t, c, n, "DrainStarted"), eventSeq(t, c, n, "Drained")
			if drainAt == 0 || goneAt == 0 || drainAt > goneAt {
				t.Errorf("%s: DrainStarted at event %d, Drained at %d: want the drain call first", n, drainAt, goneAt)
			}
		}
	})

	t.Run("resize keeps the process and survives a restart", func(t *testing.T) {
		before := instance(t, status(c, "e2e"), "e2e-smf-0")
		c.ok("resize", "e2e-smf-0", "--cpus", "0.5", "--memory", "64Mi")
		ctr := inspect(c, "e2e-smf-0")
		if ctr.Pid != before.Pid || cgroupValue(t, "cpu", ctr.ID, "cpu.cfs_quota_us") != "50000" {
			t.Fatalf("after resize: pid %d (was %d), quota %s", ctr.Pid, before.Pid, cgroupValue(t, "cpu", ctr.ID, "cpu.cfs_quota_us"))
		}
		if err := syscall.Kill(ctr.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitStatusOf(t, c, 15*time.Second, "smf restarted", func(s *controller.Status) bool {
			in := instance(t, s, "e2e-smf-0")
			return in.Restarts == 1 && in.Phase == state.PhaseReady
		})
		if q := cgroupValue(t, "cpu", inspect(c, "e2e-smf-0").ID, "cpu.cfs_quota_us"); q != "50000" {
			t.Errorf("quota after the restart = %s, want the resized 50000", q)
		}
	})

	t.Run("daemon killed: instances adopted, not restarted", func(t *testing.T) {
		before := status(c, "e2e")
		old := c.daemonPid()
		if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, old)
		after := status(c, "e2e")
		for _, nf := range before.NFs {
			for _, in := range nf.Instances {
				now := instance(t, after, in.Name)
				if now.Pid != in.Pid || now.Restarts != in.Restarts {
					t.Errorf("%s: pid %d restarts %d after the daemon restart, was %d and %d", in.Name, now.Pid, now.Restarts, in.Pid, in.Restarts)
				}
			}
		}
		if !after.Ready {
			t.Error("not all ready after the daemon restart")
		}
	})

	t.Run("autoscaling follows the load gauge", func(t *testing.T) {
		setLoad(t, mgmtOf(t, status(c, "e2e"), "e2e-lb-0"), 1.4)
		s := waitStatusOf(t, c, 30*time.Second, "lb scaled to 3", func(s *controller.Status) bool { return nfOf(s, "lb").Desired == 3 && nfOf(s, "lb").Ready == 3 })
		for _, in := range nfOf(s, "lb").Instances {
			setLoad(t, in.Addresses["mgmt"], 0.1)
		}
		waitStatusOf(t, c, 60*time.Second, "lb back to 1 after its cooldown", func(s *controller.Status) bool {
			return nfOf(s, "lb").Desired == 1 && len(nfOf(s, "lb").Instances) == 1
		})
	})

	t.Run("down leaves nothing", func(t *testing.T) {
		c.ok("down", "e2e")
		if names := c.psNames(); len(names) != 0 {
			t.Fatalf("containers left: %v", names)
		}
		if out := c.ok("net", "ls"); strings.Contains(out, "e2e-") {
			t.Fatalf("networks left:\n%s", out)
		}
	})
}

func status(c *cli, name string) *controller.Status {
	var st controller.Status
	c.jsonOf(&st, "status", name, "-o", "json")
	return &st
}

func nfOf(s *controller.Status, name string) controller.NFStatus {
	for _, nf := range s.NFs {
		if nf.Name == name {
			return nf
		}
	}
	return controller.NFStatus{}
}

func instance(t *testing.T, s *controller.Status, name string) controller.InstanceStatus {
	t.Helper()
	for _, nf := range s.NFs {
		for _, in := range nf.Instances {
			if in.Name == name {
				return in
			}
		}
	}
	t.Fatalf("no instance %s in status", name)
	return controller.InstanceStatus{}
}

func mgmtOf(t *testing.T, s *controller.Status, name string) string {
	t.Helper()
	a := instance(t, s, name).Addresses["mgmt"]
	if a == "" {
		t.Fatalf("%s has no mgmt address", name)
	}
	return a
}

// waitStatusOf polls `corebox status` until ok holds.
func waitStatusOf(t *testing.T, c *cli, limit time.Duration, what string, ok func(*controller.Status) bool) *controller.Status {
	t.Helper()
	deadline := time.Now().Add(limit)
	var st *controller.Status
	for time.Now().Before(deadline) {
		st = status(c, "e2e")
		if ok(st) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	t.Fatalf("%s: not within %s; status:\n%s", what, limit, b)
	return nil
}

// processStart reads process_start_time_seconds from an NF's own metrics.
func processStart(t *testing.T, ip string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + ip + ":9090/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_start_time_seconds "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("%s exports no process_start_time_seconds", ip)
	return 0
}

type drainState struct {
	Draining  bool `json:"draining"`
	Remaining int  `json:"remaining"`
}

func getDrain(url string) (*drainState, error) {
	cl := http.Client{Timeout: 500 * time.Millisecond}
	resp, err := cl.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var d drainState
	return &d, json.NewDecoder(resp.Body).Decode(&d)
}

func setLoad(t *testing.T, ip string, v float64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+ip+":9090/load", strings.NewReader(fmt.Sprintf(`{"value":%v}`, v)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("set load on %s: %s", ip, resp.Status)
	}
}

// eventSeq is the sequence number of the first event with reason about
// object, 0 if none.
func eventSeq(t *testing.T, c *cli, object, reason string) uint64 {
	t.Helper()
	out := c.ok("events", "-o", "json")
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var ev state.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Object == object && ev.Reason == reason {
			return ev.Seq
		}
	}
	return 0
}
