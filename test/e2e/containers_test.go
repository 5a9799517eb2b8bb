package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/platform/container"
)

// TestVolumes: a named volume is a directory under the state root that
// the container sees, that outlives it, and that the next container with
// the same volume sees again; a :ro volume is mounted read-only.
func TestVolumes(t *testing.T) {
	c := setup(t)
	const data, ro = "/var/lib/corebox/data", "/srv/ro"
	c.runCtr("v1", "--image", "corebox/dn:e2e", "--volume", "data:"+data, "--volume", "rodata:"+ro+":ro")

	vol := filepath.Join(c.root, "volumes", "data")
	if fi, err := os.Stat(vol); err != nil || !fi.IsDir() {
		t.Fatalf("volume directory %s: %v", vol, err)
	}
	const note = "kept across containers\n"
	if err := os.WriteFile(filepath.Join(vol, "note.txt"), []byte(note), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.ok("exec", "v1", "--", "corenf", "cat", data+"/note.txt"); got != note {
		t.Errorf("v1 reads %q from the volume, want %q", got, note)
	}
	if opts := mountOptions(t, c, "v1", data); !slices.Contains(opts, "rw") {
		t.Errorf("%s is mounted with %v, want rw", data, opts)
	}
	if opts := mountOptions(t, c, "v1", ro); !slices.Contains(opts, "ro") {
		t.Errorf("%s (a :ro volume) is mounted with %v, want ro", ro, opts)
	}

	c.ok("rm", "-f", "v1")
	if b, err := os.ReadFile(filepath.Join(vol, "note.txt")); err != nil || string(b) != note {
		t.Fatalf("after rm -f the volume file is %q (%v), want it kept", b, err)
	}
	c.runCtr("v2", "--image", "corebox/dn:e2e", "--volume", "data:"+data)
	if got := c.ok("exec", "v2", "--", "corenf", "cat", data+"/note.txt"); got != note {
		t.Errorf("v2 reads %q from the volume, want %q", got, note)
	}
}

// logLine is the part of an NF's JSON log line the tests look at.
type logLine struct {
	Msg      string `json:"msg"`
	NF       string `json:"nf"`
	Instance string `json:"instance"`
}

// nfLines returns the JSON log lines of out written by kind; other lines
// (a plain-text exit message, say) are skipped.
func nfLines(out, kind string) []logLine {
	var lines []logLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.NF == kind {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestLogs: `logs` shows the NF's JSON log; `logs -f` streams what is
// written while it runs and ends by itself when the container exits.
func TestLogs(t *testing.T) {
	c := setup(t)
	c.netCreate("lg", subnetFor(octetLogs))
	c.runCtr("d", "--image", "corebox/dn:e2e")
	waitFor(t, "the dn's startup log line", 15*time.Second, func() bool {
		return len(nfLines(c.ok("logs", "d"), "dn")) > 0
	})
	if l := nfLines(c.ok("logs", "d"), "dn")[0]; l.Instance != "d" || l.Msg == "" {
		t.Errorf("dn log line %+v, want instance d and a message", l)
	}

	p := c.runCtr("p", "--image", "corebox/probe:e2e", "--net", "lg")
	ops := "http://" + addrOn(t, p, "lg").String() + ":9090"
	waitHTTP(t, ops+"/readyz")
	follow := c.background("logs", "-f", "p")
	waitFor(t, "logs -f to print the probe's startup", 15*time.Second, func() bool {
		return len(nfLines(follow.out.String(), "probe")) > 0
	})
	select {
	case <-follow.done:
		t.Fatalf("logs -f ended while the probe runs (%v):\n%s%s", follow.err, follow.out.String(), follow.errOut.String())
	default:
	}
	before := len(nfLines(follow.out.String(), "probe"))

	resp, err := http.Post(ops+"/exit", "application/json", strings.NewReader(`{"code":0}`))
	if err != nil {
		t.Fatalf("ask the probe to exit: %v", err)
	}
	resp.Body.Close()
	asked := time.Now()
	select {
	case <-follow.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("logs -f still running 15s after the probe was asked to exit:\n%s", follow.out.String())
	}
	t.Logf("logs -f ended %s after the exit request", time.Since(asked).Round(time.Millisecond))
	if follow.err != nil {
		t.Errorf("logs -f: %v\n%s", follow.err, follow.errOut.String())
	}
	if after := len(nfLines(follow.out.String(), "probe")); after <= before {
		t.Errorf("logs -f printed nothing the probe wrote after it started following (%d lines before the exit request, %d at the end):\n%s",
			before, after, follow.out.String())
	}
	waitStatus(t, c, "p", "exited (0)")
}

// TestExec: exec passes the command's exit code through, and exec into a
// stopped or unknown container fails saying why.
func TestExec(t *testing.T) {
	c := setup(t)
	c.runCtr("e", "--image", "corebox/dn:e2e")
	for _, code := range []int{0, 7, 42} {
		_, errOut, got := c.run("", "exec", "e", "--", "corenf", "exit", strconv.Itoa(code))
		if got != code {
			t.Errorf("exec e -- corenf exit %d: the CLI exited %d (%s)", code, got, errOut)
		}
	}
	out, _, _ := c.run("", "exec", "e", "--", "corenf", "ip")
	if !strings.Contains(out, "lo") {
		t.Errorf("exec e -- corenf ip printed %q, want the container's links", out)
	}

	c.ok("stop", "e")
	waitStatus(t, c, "e", "exited (0)")
	wantAll(t, "exec into a stopped container", c.fails("exec", "e", "--", "corenf", "exit", "0"), "e", "not running")
	wantAll(t, "exec into an unknown container", c.fails("exec", "nosuch", "--", "corenf", "exit", "0"), "nosuch", "no such container")
}

// TestStopStart: a stopped dn exited 0 on SIGTERM; started again it keeps
// its addresses, runs as a new process and answers on the network.
func TestStopStart(t *testing.T) {
	c := setup(t)
	c.netCreate("ss", subnetFor(octetStopStart))
	srv := c.runCtr("srv", "--image", "corebox/dn:e2e", "--net", "ss")
	c.runCtr("cl", "--image", "corebox/dn:e2e", "--net", "ss")
	addr := addrOn(t, srv, "ss").String()
	echo(t, c, "cl", addr, "7")

	c.ok("stop", "srv")
	waitStatus(t, c, "srv", "exited (0)")
	if ps := c.ok("ps"); !strings.Contains(ps, "exited (0)") {
		t.Errorf("ps does not show srv exited (0):\n%s", ps)
	}

	c.ok("start", "srv")
	waitStatus(t, c, "srv", string(container.StatusRunning))
	again := inspect(c, "srv")
	if again.Pid == srv.Pid || again.Pid == 0 {
		t.Errorf("pid after start %d, before %d: want a new process", again.Pid, srv.Pid)
	}
	if !slices.Equal(attachAddrs(again), attachAddrs(srv)) {
		t.Errorf("addresses after start %v, before %v", attachAddrs(again), attachAddrs(srv))
	}
	echo(t, c, "cl", addr, "7")
}

func attachAddrs(c container.Container) []string {
	var out []string
	for _, a := range c.Attachments {
		out = append(out, a.IfName+"="+a.Address.String())
	}
	return out
}

// TestConfigMount: --config replaces the NF's config, mounted read-only
// at /etc/corebox/<kind>.yaml, and the NF uses it.
func TestConfigMount(t *testing.T) {
	c := setup(t)
	c.netCreate("cf", subnetFor(octetConfig))
	const cfg = "# e2e: echo on 9007 as well\ntcp_ports: [7, 9007]\n"
	file := filepath.Join(t.TempDir(), "dn.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := c.runCtr("cfg", "--image", "corebox/dn:e2e", "--net", "cf", "--config", file)
	c.runCtr("peer", "--image", "corebox/dn:e2e", "--net", "cf")

	const target = "/etc/corebox/dn.yaml"
	if got := c.ok("exec", "cfg", "--", "corenf", "cat", target); got != cfg {
		t.Errorf("%s in the container is %q, want %q", target, got, cfg)
	}
	if opts := mountOptions(t, c, "cfg", target); !slices.Contains(opts, "ro") {
		t.Errorf("%s is mounted with %v, want ro", target, opts)
	}
	addr := addrOn(t, srv, "cf").String()
	echo(t, c, "peer", addr, "9007")
	echo(t, c, "peer", addr, "7")
}
