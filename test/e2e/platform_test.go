package e2e

import (
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/corebox/corebox/platform/container"
)

// subnets picks two /24s for this test run from a range tests own.
func subnets(t *testing.T) (string, string) {
	base := 100 + os.Getpid()%100
	return fmt.Sprintf("10.%d.1.0/24", base), fmt.Sprintf("10.%d.2.0/24", base)
}

func inspect(c *cli, name string) container.Container {
	var ctr container.Container
	c.jsonOf(&ctr, "inspect", name)
	return ctr
}

func addrOn(t *testing.T, ctr container.Container, ifname string) netip.Addr {
	t.Helper()
	for _, a := range ctr.Attachments {
		if a.IfName == ifname {
			return a.Address.Addr()
		}
	}
	t.Fatalf("%s has no interface %s: %+v", ctr.Spec.Name, ifname, ctr.Attachments)
	return netip.Addr{}
}

func cgroupValue(t *testing.T, controller, id, file string) string {
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, "corebox", id, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestPlatform walks the checks in one state root: two networks,
// traffic through exec, resize, exit codes, daemon restart and adoption,
// and nothing left behind.
func TestPlatform(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	c := newCLI(t)
	defer snap.Check(t)
	defer c.stopDaemon()

	c.ok("image", "build", "--corenf", filepath.Join(binDir, "corenf"), "--tag", "e2e")
	subA, subB := subnets(t)
	c.ok("net", "create", "a", "--subnet", subA)
	c.ok("net", "create", "b", "--subnet", subB)
	defer c.ok("net", "rm", "a", "b")

	c.ok("run", "--image", "corebox/dn:e2e", "--name", "y", "--net", "b")
	c.ok("run", "--image", "corebox/dn:e2e", "--name", "x", "--net", "a", "--net", "b")
	defer c.ok("rm", "-f", "x", "y")
	x, y := inspect(c, "x"), inspect(c, "y")
	xa, xb, yb := addrOn(t, x, "a"), addrOn(t, x, "b"), addrOn(t, y, "b")
	if !netip.MustParsePrefix(subA).Contains(xa) || !netip.MustParsePrefix(subB).Contains(xb) || !netip.MustParsePrefix(subB).Contains(yb) {
		t.Fatalf("addresses outside their subnets: x a=%s b=%s, y b=%s", xa, xb, yb)
	}

	t.Run("tcp over b through exec", func(t *testing.T) {
		out, errOut, code := c.run("hello over b\n", "exec", "-i", "x", "--", "corenf", "nc", "-w", "2s", yb.String(), "7")
		if code != 0 || out != "hello over b\n" {
			t.Fatalf("echo through y = %q (exit %d, %s), want the line back", out, code, errOut)
		}
	})

	t.Run("resize keeps the process", func(t *testing.T) {
		c.ok("resize", "x", "--cpus", "1.5", "--memory", "256Mi", "--pids", "256")
		after := inspect(c, "x")
		if after.Pid != x.Pid {
			t.Fatalf("pid changed from %d to %d", x.Pid, after.Pid)
		}
		for file, want := range map[string]string{"cpu/cpu.cfs_quota_us": "150000", "memory/memory.limit_in_bytes": fmt.Sprint(256 << 20), "pids/pids.max": "256"} {
			ctl, name, _ := strings.Cut(file, "/")
			if got := cgroupValue(t, ctl, x.ID, name); got != want {
				t.Errorf("%s = %s, want %s", file, got, want)
			}
		}
	})

	t.Run("capabilities devices sysctls", func(t *testing.T) {
		c.ok("run", "--image", "corebox/dn:e2e", "--name", "upf", "--net", "a",
			"--cap", "NET_ADMIN", "--device", "/dev/net/tun", "--sysctl", "net.ipv4.ip_forward=1")
		defer c.ok("rm", "-f", "upf")
		if got := strings.TrimSpace(c.ok("exec", "upf", "--", "corenf", "cat", "/proc/sys/net/ipv4/ip_forward")); got != "1" {
			t.Errorf("ip_forward inside = %q, want 1", got)
		}
		if !hasCap(t, c.ok("exec", "upf", "--", "corenf", "cat", "/proc/self/status"), 12) {
			t.Error("NET_ADMIN (bit 12) missing from CapEff with --cap NET_ADMIN")
		}
		if hasCap(t, c.ok("exec", "x", "--", "corenf", "cat", "/proc/self/status"), 12) {
			t.Error("NET_ADMIN present without --cap NET_ADMIN")
		}
		// A TUN device nobody configured opens but cannot be read (EBADFD,
		// or "not pollable" when Go's poller sees its EPOLLERR first): a
		// failing read, not a failing open, shows the devices cgroup allows it.
		_, errOut, _ := c.run("", "exec", "upf", "--", "corenf", "cat", "/dev/net/tun")
		if !strings.Contains(errOut, "read /dev/net/tun") {
			t.Errorf("reading /dev/net/tun inside: %q, want the open to succeed and the read to fail", errOut)
		}
		_, errOut, _ = c.run("", "exec", "x", "--", "corenf", "cat", "/dev/net/tun")
		if !strings.Contains(errOut, "no such file") {
			t.Errorf("/dev/net/tun without --device: %q, want it absent", errOut)
		}
	})

	t.Run("exit code", func(t *testing.T) {
		c.ok("run", "--image", "corebox/dn:e2e", "--name", "three", "--entrypoint", "/usr/local/bin/corenf", "--", "exit", "3")
		defer c.ok("rm", "-f", "three")
		waitStatus(t, c, "three", "exited (3)")
	})

	t.Run("daemon killed and restarted", func(t *testing.T) {
		c.ok("run", "--image", "corebox/probe:e2e", "--name", "p", "--net", "b")
		defer c.ok("rm", "-f", "p")
		p := inspect(c, "p")
		ops := "http://" + addrOn(t, p, "b").String() + ":9090"
		waitHTTP(t, ops+"/readyz")
		old := c.daemonPid()
		if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, old)
		// The probe exits 3 while no daemon runs.
		resp, err := http.Post(ops+"/exit", "application/json", strings.NewReader(`{"code":3}`))
		if err != nil {
			t.Fatalf("ask the probe to exit: %v", err)
		}
		resp.Body.Close()
		waitStatus(t, c, "p", "exited (3)")
		if c.daemonPid() == old {
			t.Fatal("the daemon was not restarted")
		}
		for _, before := range []container.Container{x, y} {
			now := inspect(c, before.Spec.Name)
			if now.Pid != before.Pid || now.Status != container.StatusRunning {
				t.Errorf("%s: pid %d status %s after the restart, want the same pid %d running", before.Spec.Name, now.Pid, now.Status, before.Pid)
			}
		}
	})
}

// waitStatus polls `corebox ps` until the container shows want.
func waitStatus(t *testing.T, c *cli, name, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		ctr := inspect(c, name)
		got = statusOf(ctr)
		if got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s is %q, want %q", name, got, want)
}

func statusOf(ctr container.Container) string {
	if ctr.ExitCode != nil {
		return fmt.Sprintf("exited (%d)", *ctr.ExitCode)
	}
	return string(ctr.Status)
}

// waitHTTP polls url until it answers 200.
func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200: %v", url, last)
}

// hasCap reads CapEff from a /proc/PID/status text.
func hasCap(t *testing.T, status string, bit uint) bool {
	t.Helper()
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			var mask uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%x", &mask); err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			return mask&(1<<bit) != 0
		}
	}
	t.Fatalf("no CapEff in %q", status)
	return false
}
