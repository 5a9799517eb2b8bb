package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/corebox/corebox/platform/container"
)

// Third octets of the 10.X.Y.0/24 subnets the tests of this package use,
// X being picked by pid as subnets() does. TestPlatform owns 1 and 2; every
// test here owns its own, so no two tests of the package ever overlap.
const (
	octetErrFront   = 3
	octetErrBack    = 4
	octetErrSpare   = 5 // only ever refused (duplicate name)
	octetErrPlugins = 6
	octetLogs       = 8
	octetStopStart  = 10
	octetConfig     = 11
)

// subnetFor returns this run's 10.X.octet.0/24.
func subnetFor(octet int) string {
	return fmt.Sprintf("10.%d.%d.0/24", 100+os.Getpid()%100, octet)
}

// hostIn returns the address .host of this run's 10.X.octet.0/24.
func hostIn(octet, host int) string {
	return fmt.Sprintf("10.%d.%d.%d", 100+os.Getpid()%100, octet, host)
}

// setup gives a test its own state root with the dn and probe images built
// (tag e2e), and registers the end-of-test checks: after the test's own
// cleanups (containers, networks) ran, the root holds no container or
// namespace, the daemon is stopped, and the host has nothing of ours left.
func setup(t *testing.T) *cli {
	t.Helper()
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	t.Cleanup(func() { snap.Check(t) })
	c := newCLI(t)
	t.Cleanup(c.stopDaemonIfRunning)
	t.Cleanup(func() { assertNoContainerState(t, c.root) })
	c.ok("image", "build", "--corenf", filepath.Join(binDir, "corenf"), "--tag", "e2e")
	return c
}

// on returns the same CLI reporting to t, for use inside subtests.
func (c *cli) on(t *testing.T) *cli {
	d := *c
	d.t = t
	return &d
}

// stopDaemonIfRunning stops the root's daemon if one was ever started.
func (c *cli) stopDaemonIfRunning() {
	c.t.Helper()
	if _, err := os.Stat(filepath.Join(c.root, "daemon.pid")); err != nil {
		return
	}
	c.stopDaemon()
}

// netCreate creates a network and removes it when the test ends (after the
// containers registered later are gone).
func (c *cli) netCreate(name, subnet string) {
	c.t.Helper()
	c.ok("net", "create", name, "--subnet", subnet)
	t := c.t
	t.Cleanup(func() {
		if out, errOut, code := c.run("", "net", "rm", name); code != 0 {
			t.Errorf("net rm %s: exit %d\n%s%s", name, code, out, errOut)
		}
	})
}

// runCtr runs a container and removes it (rm -f) when the test ends,
// unless the test removed it itself.
func (c *cli) runCtr(name string, args ...string) container.Container {
	c.t.Helper()
	c.ok(append([]string{"run", "--name", name}, args...)...)
	t := c.t
	t.Cleanup(func() {
		if out, errOut, code := c.run("", "rm", "-f", name); code != 0 && !strings.Contains(errOut, "no such container") {
			t.Errorf("rm -f %s: exit %d\n%s%s", name, code, out, errOut)
		}
	})
	return inspect(c, name)
}

// psNames lists the names `corebox ps` shows.
func (c *cli) psNames() []string {
	c.t.Helper()
	var list []container.Container
	c.jsonOf(&list, "ps", "-o", "json")
	var names []string
	for _, ctr := range list {
		names = append(names, ctr.Spec.Name)
	}
	return names
}

// netNames lists the names `corebox net ls` shows, sorted.
func (c *cli) netNames() []string {
	c.t.Helper()
	var list []struct {
		Name string `json:"name"`
	}
	c.jsonOf(&list, "net", "ls", "-o", "json")
	var names []string
	for _, n := range list {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	return names
}

// assertNoContainerState fails t if the state root still holds a container
// record or a network namespace.
func assertNoContainerState(t *testing.T, root string) {
	t.Helper()
	for _, d := range []string{"containers", "netns"} {
		if left := dirEntries(t, filepath.Join(root, d)); len(left) > 0 {
			t.Errorf("%s/%s still holds %v", root, d, left)
		}
	}
}

// dirEntries lists a directory's names; a missing directory is empty.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// wantAll fails t unless s contains every word (case-insensitive).
func wantAll(t *testing.T, what, s string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(strings.ToLower(s), strings.ToLower(w)) {
			t.Errorf("%s does not mention %q:\n%s", what, w, s)
		}
	}
}

// echo sends msg through `corenf nc` in container from to addr:port and
// retries until the line comes back (a server just started may not listen
// yet) or the deadline passes.
func echo(t *testing.T, c *cli, from, addr, port string) {
	t.Helper()
	msg := fmt.Sprintf("hello %s:%s from %s\n", addr, port, from)
	deadline := time.Now().Add(15 * time.Second)
	var out, errOut string
	var code int
	for time.Now().Before(deadline) {
		out, errOut, code = c.run(msg, "exec", "-i", from, "--", "corenf", "nc", "-w", "2s", addr, port)
		if code == 0 && out == msg {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("echo from %s to %s:%s = %q (exit %d, %s), want %q", from, addr, port, out, code, errOut, msg)
}

// mountOptions returns the options of the mount at point as the container
// sees it (its /proc/mounts), nil if nothing is mounted there.
func mountOptions(t *testing.T, c *cli, name, point string) []string {
	t.Helper()
	var opts []string
	sc := bufio.NewScanner(strings.NewReader(c.ok("exec", name, "--", "corenf", "cat", "/proc/mounts")))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 4 && f[1] == point {
			opts = strings.Split(f[3], ",") // the last mount at a point wins
		}
	}
	return opts
}

// syncBuffer is a bytes.Buffer safe to write from a command's output copier
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bgCmd is a corebox command running in the background.
type bgCmd struct {
	out, errOut syncBuffer
	done        chan struct{} // closed when the command has ended
	err         error         // its exit, once done is closed
}

// background starts a corebox command without waiting for it. The command
// is killed when the test ends if it is still running.
func (c *cli) background(args ...string) *bgCmd {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "corebox"), args...)
	cmd.Env = c.env
	b := &bgCmd{done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &b.out, &b.errOut
	if err := cmd.Start(); err != nil {
		cancel()
		c.t.Fatalf("corebox %v: %v", args, err)
	}
	go func() {
		b.err = cmd.Wait()
		close(b.done)
	}()
	c.t.Cleanup(func() {
		cancel()
		<-b.done
	})
	return b
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
