package e2e

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/internal/leakcheck"
)

// TestErrorsSayWhatToFix makes every mistake a user can make at the CLI
// and checks that the command fails, that its message names what is wrong
// and how to fix it, and that a refused run leaves nothing behind.
func TestErrorsSayWhatToFix(t *testing.T) {
	c := setup(t)
	front, back := subnetFor(octetErrFront), subnetFor(octetErrBack)
	c.netCreate("front", front)
	c.netCreate("back", back)
	taken := hostIn(octetErrFront, 7)
	alpha := c.runCtr("alpha", "--image", "corebox/dn:e2e", "--net", "front:"+taken)
	overlap := hostIn(octetErrFront, 128) + "/25"
	run := func(name string, args ...string) []string {
		return append([]string{"run", "--name", name, "--image", "corebox/dn:e2e"}, args...)
	}

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown image", []string{"run", "--name", "bad-image", "--image", "corebox/nope:e2e", "--net", "front"},
			[]string{"corebox/nope:e2e", "corebox image ls", "corebox image build"}},
		{"unknown network", run("bad-net", "--net", "nosuch"),
			[]string{"nosuch", "not found", "front", "corebox net ls"}},
		{"overlapping subnets", []string{"net", "create", "clash", "--subnet", overlap},
			[]string{"overlap", "clash", "front", overlap, front}},
		{"duplicate network name", []string{"net", "create", "front", "--subnet", subnetFor(octetErrSpare)},
			[]string{"front", "already exists"}},
		{"duplicate container name", run("alpha"),
			[]string{"alpha", "already exists", "rm -f"}},
		{"address outside its subnet", run("bad-addr", "--net", "front:10.9.9.9"),
			[]string{"10.9.9.9", "front", front}},
		{"address taken", run("bad-taken", "--net", "front:"+taken),
			[]string{taken, "taken"}},
		{"memory not a size", run("bad-mem", "--memory", "lots"),
			[]string{"--memory", "lots", "256Mi"}},
		{"memory too small", run("bad-mem", "--memory", "1"),
			[]string{"memory", "6Mi"}},
		{"cpus negative", run("bad-cpus", "--cpus", "-1"),
			[]string{"cpus", "positive"}},
		{"cpus not a number", run("bad-cpus", "--cpus", "abc"),
			[]string{"--cpus", "abc"}},
		{"rm a running container", []string{"rm", "alpha"},
			[]string{"alpha", "running", "rm -f"}},
		{"net rm in use", []string{"net", "rm", "front"},
			[]string{"front", "in use", "alpha"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c.on(t)
			out, errOut, code := c.run("", tc.args...)
			if code == 0 {
				t.Errorf("corebox %s succeeded, want an error\n%s", strings.Join(tc.args, " "), out)
				undo(c, tc.args)
				return
			}
			wantAll(t, "corebox "+strings.Join(tc.args, " "), errOut, tc.want...)
		})
	}

	t.Run("impair delay without netem", func(t *testing.T) {
		c := c.on(t)
		_, errOut, code := c.run("", "net", "impair", "alpha", "front", "--delay", "20ms")
		if code == 0 {
			t.Log("this kernel has netem: the delay was applied; clearing it")
			c.ok("net", "impair", "alpha", "front", "--clear")
			return
		}
		wantAll(t, "net impair --delay", errOut, "netem")
	})

	// The refused commands left nothing: ps shows alpha alone, the networks
	// are the two made, and the root holds alpha's record and netns only.
	if names := c.psNames(); !slices.Equal(names, []string{"alpha"}) {
		t.Errorf("ps shows %v after the refused runs, want [alpha]", names)
	}
	for _, d := range []string{"containers", "netns"} {
		if got := dirEntries(t, filepath.Join(c.root, d)); !slices.Equal(got, []string{alpha.ID}) {
			t.Errorf("%s/ holds %v after the refused runs, want only alpha's %s", d, got, alpha.ID)
		}
	}
	if nets := c.netNames(); !slices.Equal(nets, []string{"back", "front"}) {
		t.Errorf("net ls shows %v after the refused creates, want [back front]", nets)
	}

	t.Run("plugin missing", testPluginMissing)
	t.Run("not root", testNotRoot)
}

// undo removes what a command that should have failed made.
func undo(c *cli, args []string) {
	switch {
	case args[0] == "run":
		c.run("", "rm", "-f", args[2])
	case args[0] == "net" && args[1] == "create":
		c.run("", "net", "rm", args[2])
	}
}

// testPluginMissing runs a container in a fresh root whose plugin directory
// is empty: the error names the directory, the missing plugins and the
// command that installs them, and the run leaves nothing behind.
func testPluginMissing(t *testing.T) {
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	t.Cleanup(func() { snap.Check(t) })
	empty := t.TempDir()
	c := newCLI(t)
	c.env = append(c.env, "COREBOX_CNI_BIN="+empty) // the last one wins
	t.Cleanup(c.stopDaemonIfRunning)
	c.ok("image", "build", "--corenf", filepath.Join(binDir, "corenf"), "--tag", "e2e")
	c.netCreate("plug", subnetFor(octetErrPlugins))

	errOut := c.fails("run", "--name", "bad-plugins", "--image", "corebox/dn:e2e", "--net", "plug")
	wantAll(t, "run without plugins", errOut, "plugins missing", empty, "bridge", "corebox net install-plugins", cni.PluginsVersion)
	if names := c.psNames(); len(names) != 0 {
		t.Errorf("ps shows %v after the refused run", names)
	}
	if left := dirEntries(t, filepath.Join(c.root, "netns")); len(left) > 0 {
		t.Errorf("netns/ still holds %v", left)
	}
	if left := dirEntries(t, filepath.Join(c.root, "containers")); len(left) > 0 {
		t.Errorf("the refused run left containers/%v", left)
	}
	if strings.Contains(errOut, "undo:") {
		t.Errorf("the undo of a run that attached nothing failed:\n%s", errOut)
	}
}

// testNotRoot runs the CLI as nobody: it must say it needs root, and not
// create the state root.
func testNotRoot(t *testing.T) {
	dir, err := os.MkdirTemp("", "corebox-e2e-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "corebox")
	copyFile(t, filepath.Join(binDir, "corebox"), bin, 0o755)
	root := filepath.Join(dir, "root")

	for _, args := range [][]string{
		{"ps"},
		{"run", "--name", "bad-nonroot", "--image", "corebox/dn:e2e"},
		{"net", "create", "nonroot", "--subnet", "10.254.254.0/24"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "COREBOX_ROOT=" + root}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var errb strings.Builder
		cmd.Stderr = &errb
		err := cmd.Run()
		if err == nil {
			t.Errorf("corebox %v as uid 65534 succeeded", args)
			continue
		}
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("corebox %v as uid 65534: %v", args, err)
		}
		wantAll(t, "corebox "+strings.Join(args, " ")+" as uid 65534", errb.String(), "needs root")
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("the state root %s was made by an unprivileged run (stat: %v)", root, err)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
