package imsinterop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/corebox/corebox/nf/ims/scscf/scscftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// sippFatal is SIPp's exit code for a fatal error (-1), such as a
// challenge it refuses to answer.
const sippFatal = 255

// needSIPp skips t when SIPp is not installed.
func needSIPp(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed (scripts/install-deps.sh installs it):", err)
	}
	return p
}

// scenarioData fills the scenario templates of testdata.
type scenarioData struct {
	Domain        string
	User, IMPU    string // the SIPp side
	IMPI          string
	K, OP         string
	Callee        user
	CalleeIMPU    string
	PauseMS       int
	ExpectService bool // an IMS registrar: Service-Route, Path and P-Associated-URI in 200
}

func dataFor(u user) scenarioData {
	return scenarioData{Domain: scscftest.Domain, User: u.IMSI, IMPU: u.IMPU(), IMPI: u.IMPI(),
		K: akaK, OP: akaOP, ExpectService: true}
}

// render writes testdata/name filled with d into dir.
func render(t testing.TB, dir, name string, d scenarioData) string {
	t.Helper()
	tpl, err := template.ParseFiles(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, d); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// sipp is one SIPp run bound to host:port.
type sipp struct {
	name     string // for messages and file names
	scenario string // rendered file
	host     string
	port     int
	remote   string // host:port requests go to; empty for a server
	calls    int    // -m
	rate     int    // -r, 0: SIPp's default
	timeout  time.Duration
}

// sippResult is how a run ended.
type sippResult struct {
	code    int
	errLog  string
	logs    string // <log> actions
	out     string
	elapsed time.Duration
}

func (r sippResult) String() string {
	return fmt.Sprintf("exit %d\n--- errors ---\n%s\n--- output ---\n%s", r.code, tail(r.errLog, 4000), tail(r.out, 2000))
}

// sippProc is a running SIPp.
type sippProc struct {
	done chan struct{} // closed when it has exited
	res  sippResult
}

// wait returns how the run ended.
func (p *sippProc) wait() sippResult {
	<-p.done
	return p.res
}

// exited reports whether the process has ended.
func (p *sippProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// start runs s in the background. The process is killed when ctx ends
// or the test ends.
func (s sipp) start(ctx context.Context, t testing.TB) *sippProc {
	t.Helper()
	bin := needSIPp(t)
	dir := t.TempDir()
	errFile := filepath.Join(dir, s.name+"_errors.log")
	statFile := filepath.Join(dir, s.name+"_stats.csv")
	logFile := filepath.Join(dir, s.name+"_logs.log")
	outFile := filepath.Join(dir, s.name+".out")
	args := []string{"-sf", s.scenario, "-i", s.host, "-p", strconv.Itoa(s.port), "-bind_local",
		"-t", "u1", "-m", strconv.Itoa(s.calls), "-timeout", strconv.Itoa(int(s.timeout.Seconds())) + "s", "-timeout_error",
		"-trace_err", "-error_file", errFile, "-trace_stat", "-stf", statFile, "-trace_logs", "-log_file", logFile, "-fd", "1",
		"-ci", s.host, "-cp", strconv.Itoa(freePort(t, "udp", s.host)), "-nostdin", "-max_recv_loops", "100000",
		// A socket buffer of 64 KiB (SIPp's default) drops bursts; a
		// message that never comes fails the call instead of hanging it.
		"-buff_size", "4194304", "-recv_timeout", "10s"}
	if s.rate > 0 {
		args = append(args, "-r", strconv.Itoa(s.rate), "-l", strconv.Itoa(max(s.rate*5, 100)))
	}
	if os.Getenv("IMSINTEROP_TRACE_MSG") != "" {
		args = append(args, "-trace_msg", "-message_file", filepath.Join(os.Getenv("IMSINTEROP_TRACE_MSG"), s.name+"_"+strconv.FormatInt(time.Now().UnixNano(), 36)+"_messages.log"))
	}
	if s.remote != "" {
		args = append(args, s.remote)
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := os.Create(outFile)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	began := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		out.Close()
		t.Fatalf("start sipp %s: %v", s.name, err)
	}
	p := &sippProc{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		err := cmd.Wait()
		out.Close()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			code = -1
		}
		p.res = sippResult{code: code, errLog: readOr(errFile), out: readOr(outFile),
			logs: readOr(logFile), elapsed: time.Since(began)}
	}()
	t.Cleanup(func() {
		cancel()
		p.wait()
	})
	return p
}

// run runs s to its end.
func (s sipp) run(ctx context.Context, t testing.TB) sippResult {
	t.Helper()
	return s.start(ctx, t).wait()
}

// waitBound waits until SIPp p has bound UDP host:port (it is in the
// kernel's socket table; binding the port to find out could take it
// from SIPp), or has exited.
func waitBound(t testing.TB, p *sippProc, host string, port int) {
	t.Helper()
	want := strings.ToUpper(fmt.Sprintf("%s:%04x", hexIPv4(host), port))
	nfkittest.Eventually(t, 20*time.Second, fmt.Sprintf("sipp bound on %s:%d", host, port), func() bool {
		tbl, err := os.ReadFile("/proc/net/udp")
		return p.exited() || (err == nil && strings.Contains(string(tbl), " "+want+" "))
	})
}

// hexIPv4 is an IPv4 address as /proc/net/udp writes it (host order on
// little-endian machines, which is all we run on).
func hexIPv4(host string) string {
	ip := net.ParseIP(host).To4()
	return fmt.Sprintf("%02X%02X%02X%02X", ip[3], ip[2], ip[1], ip[0])
}

// freePort is a port free on host now (TCP or UDP).
func freePort(t testing.TB, network, host string) int {
	t.Helper()
	var addr net.Addr
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", host+":0")
		if err != nil {
			t.Fatal(err)
		}
		addr = c.LocalAddr()
		c.Close()
	default:
		l, err := net.Listen("tcp", host+":0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	}
	_, p, _ := net.SplitHostPort(addr.String())
	n, _ := strconv.Atoi(p)
	return n
}

func readOr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
