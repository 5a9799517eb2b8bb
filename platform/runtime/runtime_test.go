package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/runtime"
)

type fixture struct {
	rt    *runtime.Runtime
	state string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	t.Cleanup(func() { snap.Check(t) })
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	rt, err := runtime.New(runtime.Config{StateRoot: state, ShimPath: self})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{rt: rt, state: state}
}

type started struct {
	id, dir string
	*runtime.Started
}

func (f *fixture) start(t *testing.T, id string, args ...string) *started {
	t.Helper()
	dir := filepath.Join(f.state, "containers", id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := f.rt.Start(ctx, runtime.Spec{
		ID: id, Hostname: id, Rootfs: rootfs(t),
		Args: append([]string{"/usr/local/bin/proc"}, args...),
		Env:  []string{"PATH=/usr/local/bin", "GREETING=hi"},
	}, dir)
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	t.Cleanup(func() {
		if err := f.rt.Delete(id, dir); err != nil {
			t.Errorf("delete %s: %v", id, err)
		}
	})
	return &started{id: id, dir: dir, Started: st}
}

func uniqueID(t *testing.T) string {
	return fmt.Sprintf("rt%d%s", os.Getpid(), strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")))
}

func readCgroup(t *testing.T, controller, id, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, runtime.CgroupPath(id), file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestStartExecStop(t *testing.T) {
	f := newFixture(t)
	c := f.start(t, uniqueID(t), "serve")

	st, err := f.rt.State(c.id, c.dir)
	if err != nil || st.Status != container.StatusRunning || st.Pid != c.Pid {
		t.Fatalf("state = %+v, %v; want running with pid %d", st, err, c.Pid)
	}
	for _, ns := range []string{"pid", "mnt", "uts", "ipc", "net"} {
		host, _ := os.Readlink("/proc/self/ns/" + ns)
		inside, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", c.Pid, ns))
		if err != nil || inside == host {
			t.Errorf("%s namespace: container %q, host %q, err %v: want its own", ns, inside, host, err)
		}
	}
	if procs := readCgroup(t, "pids", c.id, "cgroup.procs"); !strings.Contains(procs, fmt.Sprint(c.Pid)) {
		t.Errorf("cgroup %s holds %q, want pid %d", runtime.CgroupPath(c.id), procs, c.Pid)
	}

	var out bytes.Buffer
	code, err := f.rt.Exec(context.Background(), c.id, runtime.ExecSpec{Args: []string{"proc", "hostname"}, Stdout: &out})
	if err != nil || code != 0 || strings.TrimSpace(out.String()) != c.id {
		t.Errorf("exec hostname = %q, code %d, %v; want %q", out.String(), code, err, c.id)
	}
	code, err = f.rt.Exec(context.Background(), c.id, runtime.ExecSpec{Args: []string{"proc", "exit", "5"}})
	if err != nil || code != 5 {
		t.Errorf("exec exit 5 = %d, %v", code, err)
	}
	if _, err := f.rt.Exec(context.Background(), c.id, runtime.ExecSpec{Args: []string{"/no/such/binary"}}); err == nil {
		t.Error("exec of a missing binary succeeded")
	}

	exit, err := f.rt.Stop(context.Background(), c.id, c.dir, 10*time.Second)
	if err != nil || exit.Code != 0 || exit.Signal != "" {
		t.Fatalf("stop = %+v, %v; want a clean exit 0 on SIGTERM", exit, err)
	}
	logs, err := os.ReadFile(filepath.Join(c.dir, "output.log"))
	if err != nil || string(logs) != "serving\nterminated\n" {
		t.Errorf("log = %q, %v", logs, err)
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	f := newFixture(t)
	c := f.start(t, uniqueID(t), "deaf")
	waitLog(t, c.dir, "deaf\n") // SIGTERM before Go's signal setup would end it
	exit, err := f.rt.Stop(context.Background(), c.id, c.dir, 300*time.Millisecond)
	if err != nil || exit.Signal != "SIGKILL" || exit.Code != 137 {
		t.Fatalf("stop = %+v, %v; want SIGKILL (137) after the grace period", exit, err)
	}
}

func TestExitCodeRecorded(t *testing.T) {
	f := newFixture(t)
	c := f.start(t, uniqueID(t), "exit", "3")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exit, err := f.rt.WaitExit(ctx, c.id, c.dir)
	if err != nil || exit.Code != 3 {
		t.Fatalf("exit = %+v, %v; want code 3", exit, err)
	}
	st, err := f.rt.State(c.id, c.dir)
	if err != nil || st.Status != container.StatusExited || st.Exit.Code != 3 {
		t.Fatalf("state = %+v, %v; want exited (3)", st, err)
	}
}

func TestResizeKeepsProcess(t *testing.T) {
	f := newFixture(t)
	c := f.start(t, uniqueID(t), "serve")
	err := f.rt.Resize(c.id, container.Resources{CPUs: 1.5, MemoryBytes: 256 << 20, Pids: 256})
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]string{
		{"cpu", "cpu.cfs_quota_us"}:         "150000",
		{"cpu", "cpu.cfs_period_us"}:        "100000",
		{"memory", "memory.limit_in_bytes"}: fmt.Sprint(256 << 20),
		{"pids", "pids.max"}:                "256",
	}
	for k, v := range want {
		if got := readCgroup(t, k[0], c.id, k[1]); got != v {
			t.Errorf("%s = %s, want %s", k[1], got, v)
		}
	}
	st, err := f.rt.State(c.id, c.dir)
	if err != nil || st.Pid != c.Pid || st.Status != container.StatusRunning {
		t.Errorf("after resize: %+v, %v; want the same pid %d running", st, err, c.Pid)
	}
	stats, err := f.rt.Stats(c.id)
	if err != nil || stats.Pids < 1 || stats.MemoryBytes == 0 || stats.MemoryLimit != 256<<20 {
		t.Errorf("stats = %+v, %v", stats, err)
	}
	if err := f.rt.Resize(c.id, container.Resources{CPUs: -1}); err == nil {
		t.Error("negative cpus accepted")
	}
}

func TestFailedStartLeavesNothing(t *testing.T) {
	f := newFixture(t)
	id := uniqueID(t)
	dir := filepath.Join(f.state, "containers", id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := f.rt.Start(context.Background(), runtime.Spec{
		ID: id, Rootfs: rootfs(t), Args: []string{"/usr/local/bin/missing"},
	}, dir)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("start of a missing binary: %v; want an error naming it", err)
	}
	if _, err := f.rt.State(id, dir); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("state after failed start: %v; want not found", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.state, "runc")); len(entries) != 0 {
		t.Errorf("libcontainer state left behind: %v", entries)
	}
}

// waitLog polls the container's log until it holds want.
func waitLog(t *testing.T, dir, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if b, _ := os.ReadFile(filepath.Join(dir, "output.log")); string(b) == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("log never became %q", want)
}
