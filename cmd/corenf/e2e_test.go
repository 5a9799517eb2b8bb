package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/dn"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/probe"
)

// corenfBin is the binary the end-to-end tests run, built once, static.
var corenfBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "corenf-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	corenfBin = filepath.Join(dir, "corenf")
	build := exec.Command("go", "build", "-o", corenfBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build corenf: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// proc is a corenf process started by a test.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	code           int
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(corenfBin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Env = append(os.Environ(), "COREBOX_INSTANCE=test-"+args[0], "COREBOX_LOG_LEVEL=warn")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			if err := p.cmd.Process.Kill(); err != nil {
				t.Errorf("kill: %v", err)
			}
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing t if the process runs past timeout.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		t.Fatalf("%v still running after %v", p.cmd.Args, timeout)
		return -1
	}
}

// runBin runs corenf to completion.
func runBin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(corenfBin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

// freePort finds a loopback port free for both TCP and UDP right now.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return 0
}

func writeConfig(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitReady polls /readyz until 200, failing early if the process exits.
func waitReady(t *testing.T, p *proc, ops string) {
	t.Helper()
	nfkittest.Eventually(t, 10*time.Second, "readyz 200 at "+ops, func() bool {
		select {
		case <-p.done:
			t.Fatalf("exited %d before ready: %s", p.code, p.stderr.String())
		default:
		}
		resp, err := http.Get("http://" + ops + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// A static binary has no ELF interpreter (dynamic loader) to ask for.
func TestBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(corenfBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("corenf has a %v program header: not static", p.Type)
		}
	}
	out, err := exec.Command("go", "version", "-m", corenfBin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CGO_ENABLED=0") {
		t.Errorf("build settings lack CGO_ENABLED=0 (%v):\n%s", err, out)
	}
}

func TestKindsJSON(t *testing.T) {
	code, out, errOut := runBin(t, "", "kinds", "-o", "json")
	if code != 0 {
		t.Fatalf("kinds = %d %s", code, errOut)
	}
	var got []kindInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, k := range kinds {
		want[k.name] = k.defaults
	}
	if string(want[dn.Kind]) != string(dn.DefaultYAML) || string(want[probe.Kind]) != string(probe.DefaultYAML) {
		t.Fatal("the kinds table lost dn or probe")
	}
	if len(got) != len(want) {
		t.Fatalf("kinds %+v, want %d", got, len(want))
	}
	for _, k := range got {
		if string(want[k.Name]) != k.DefaultConfig {
			t.Errorf("kind %q default config differs from the package's default.yaml", k.Name)
		}
	}
	if code, out, _ := runBin(t, "", "kinds"); code != 0 || !strings.Contains(out, "--- # kind: dn\n") {
		t.Errorf("kinds text = %d %q", code, out)
	}
}

func TestDNEndToEnd(t *testing.T) {
	echo, ops := freePort(t), freePort(t)
	cfg := writeConfig(t, "dn.yaml", fmt.Sprintf(
		"ops:\n  listen: 127.0.0.1:%d\nlisten: 127.0.0.1\ntcp_ports: [%d]\nudp_ports: [%d]\n", ops, echo, echo))
	p := start(t, "dn", "-c", cfg)
	opsAddr := fmt.Sprintf("127.0.0.1:%d", ops)
	waitReady(t, p, opsAddr)
	port := fmt.Sprint(echo)

	if code, out, e := runBin(t, "", "nc", "--send", "hello dn", "127.0.0.1", port); code != 0 || out != "hello dn" {
		t.Errorf("nc tcp = %d %q %q", code, out, e)
	}
	if code, out, e := runBin(t, "over udp\n", "nc", "-u", "-w", "1", "127.0.0.1", port); code != 0 || out != "over udp\n" {
		t.Errorf("nc udp = %d %q %q", code, out, e)
	}
	code, metrics := nfkittest.Do(t, "GET", "http://"+opsAddr+"/metrics", "")
	for _, want := range []string{
		`corebox_dn_rx_bytes_total{proto="tcp"} 8`,
		`corebox_dn_rx_packets_total{proto="udp"} 1`,
		`corebox_dn_tx_bytes_total{proto="udp"} 9`,
		`corebox_dn_tcp_connections_total 1`,
	} {
		if code != 200 || !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics (%d) lack %q", code, want)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("dn exit after SIGTERM = %d, stderr %s", code, p.stderr.String())
	}
}

func TestProbeExitCode(t *testing.T) {
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, "probe", "-c", writeConfig(t, "probe.yaml", "ops:\n  listen: "+ops+"\n"))
	waitReady(t, p, ops)
	code, body := nfkittest.Do(t, "POST", "http://"+ops+"/exit", `{"code": 3}`)
	if code != 202 || !strings.Contains(body, `"code":3`) {
		t.Errorf("POST /exit = %d %q", code, body)
	}
	if code := p.wait(t, 10*time.Second); code != 3 {
		t.Errorf("probe exit code = %d, want 3 (stderr %s)", code, p.stderr.String())
	}
}

func TestDrainEndToEnd(t *testing.T) {
	ops := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := writeConfig(t, "probe.yaml", "ops:\n  listen: "+ops+"\ndrain_items: 5\ndrain_rate: 50\n")
	p := start(t, "probe", "-c", cfg)
	waitReady(t, p, ops)
	code, out, errOut := runBin(t, "", "drain", "-c", cfg, "--timeout", "10s", "--interval", "20ms")
	if code != 0 || !strings.HasPrefix(out, "drained") {
		t.Errorf("drain = %d %q %q", code, out, errOut)
	}
	var st nfkit.DrainStatus
	_, body := nfkittest.Do(t, "GET", "http://"+ops+"/drain", "")
	if err := json.Unmarshal([]byte(body), &st); err != nil || !st.Drained() {
		t.Errorf("after drain: %q %v", body, err)
	}
	if code, _ := nfkittest.Do(t, "GET", "http://"+ops+"/readyz", ""); code != 503 {
		t.Errorf("readyz while drained = %d, want 503", code)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("probe exit after SIGINT = %d", code)
	}
}

func TestKindErrors(t *testing.T) {
	bad := writeConfig(t, "dn.yaml", "tcp_ports: [7]\nprot: udp\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		errPart string
	}{
		{"unknown key", []string{"dn", "-c", bad}, 1, bad + `:2: unknown key "prot" (known: listen, max_tcp_conns, ops`},
		{"missing file", []string{"dn", "-c", "/nonexistent/dn.yaml"}, 1, "no such file"},
		{"invalid value", []string{"probe", "-c", writeConfig(t, "p.yaml", "drain_rate: -1\n")}, 1, "drain_rate -1"},
		{"stray argument", []string{"probe", "extra"}, 2, "unexpected arguments"},
		{"unknown flag", []string{"probe", "-x"}, 2, "-x"},
	}
	for _, tt := range tests {
		code, _, errOut := runBin(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.errPart) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", tt.name, code, errOut, tt.code, tt.errPart)
		}
	}
}

func TestBindFailureExitsOne(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := writeConfig(t, "dn.yaml", fmt.Sprintf("ops:\n  listen: 127.0.0.1:0\nlisten: 127.0.0.1\ntcp_ports: [%d]\nudp_ports: []\n",
		taken.Addr().(*net.TCPAddr).Port))
	code, _, errOut := runBin(t, "", "dn", "-c", cfg)
	if code != 1 || !strings.Contains(errOut, "address already in use") {
		t.Errorf("dn on a taken port = %d %q", code, errOut)
	}
}

func TestPrintConfigMergesOverDefaults(t *testing.T) {
	cfg := writeConfig(t, "dn.yaml", "tcp_ports: [7, 5001]\n")
	code, out, errOut := runBin(t, "", "dn", "-c", cfg, "--print-config")
	if code != 0 {
		t.Fatalf("print-config = %d %s", code, errOut)
	}
	got := dn.Config{}
	if err := nfkit.Decode("out", []byte(out), &got); err != nil {
		t.Fatalf("printed config does not load back: %v\n%s", err, out)
	}
	want := dn.DefaultConfig()
	want.TCPPorts = []int{7, 5001}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("effective config %+v, want %+v", got, want)
	}
}
