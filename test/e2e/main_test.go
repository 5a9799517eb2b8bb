// Package e2e drives the corebox binaries the way a user does: the CLI,
// its daemon, real containers and real CNI networks. It needs root.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/cni"
)

var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Println("e2e: skipped, needs root (containers, namespaces, CNI); CI runs it as root")
		return 0
	}
	dir, err := os.MkdirTemp("", "corebox-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := buildBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// buildBinaries builds the three binaries as `make build` does.
func buildBinaries(dir string) error {
	for _, b := range []struct{ pkg, cgo string }{
		{"corebox", "1"}, {"corebox-shim", "1"}, {"corenf", "0"},
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.pkg), "../../cmd/"+b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// pluginDir is the shared CNI plugin build (see `make cni`).
func pluginDir(t *testing.T) string {
	dir := os.Getenv("COREBOX_CNI_BIN")
	if dir == "" {
		dir = "/var/cache/corebox/cni-" + cni.PluginsVersion + "/bin"
	}
	if err := cni.CheckPlugins(dir); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := cni.InstallPlugins(ctx, dir, func(string) {}); err != nil {
			t.Fatalf("install CNI plugins: %v", err)
		}
	}
	return dir
}

// cli runs corebox commands against one state root.
type cli struct {
	t    *testing.T
	root string
	env  []string
	// timeout bounds each command (0: 2 minutes).
	timeout time.Duration
}

func newCLI(t *testing.T) *cli {
	root := t.TempDir()
	env := append(os.Environ(), "COREBOX_ROOT="+root, "COREBOX_CNI_BIN="+pluginDir(t))
	return &cli{t: t, root: root, env: env}
}

// run runs a command and returns stdout, stderr and the exit code.
func (c *cli) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	timeout := c.timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "corebox"), args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("corebox %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run("", args...)
	if code != 0 {
		c.t.Fatalf("corebox %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs a command that must fail and returns its stderr.
func (c *cli) fails(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run("", args...)
	if code == 0 {
		c.t.Fatalf("corebox %s succeeded, want an error\n%s", strings.Join(args, " "), out)
	}
	return errOut
}

func (c *cli) jsonOf(v any, args ...string) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(c.ok(args...)), v); err != nil {
		c.t.Fatalf("corebox %v: %v", args, err)
	}
}

// daemonPid reads the pid of the daemon serving the root.
func (c *cli) daemonPid() int {
	b, err := os.ReadFile(filepath.Join(c.root, "daemon.pid"))
	if err != nil {
		c.t.Fatal(err)
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	return pid
}

// stopDaemon ends the daemon and waits until it is gone.
func (c *cli) stopDaemon() {
	c.t.Helper()
	pid := c.daemonPid()
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	if err := p.Signal(os.Interrupt); err != nil {
		return
	}
	waitGone(c.t, pid)
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d still running", pid)
}
