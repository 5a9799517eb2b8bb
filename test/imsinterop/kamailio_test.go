package imsinterop

import (
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
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

const kamailioHost = "127.0.0.20"

// kamailio is a Kamailio registrar/proxy running as the test's child.
type kamailio struct {
	addr string // UDP host:port
	log  string // its stderr file
}

// startKamailio runs testdata/kamailio.cfg with workers UDP children
// until the test ends; it skips t when Kamailio is not installed.
func startKamailio(t testing.TB, workers int) *kamailio {
	t.Helper()
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		t.Skip("kamailio is not installed (scripts/install-deps.sh installs it):", err)
	}
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join("testdata", "kamailio.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	k := &kamailio{addr: net.JoinHostPort(kamailioHost, strconv.Itoa(freePort(t, "udp", kamailioHost))),
		log: filepath.Join(dir, "kamailio.log")}
	logFile, err := os.Create(k.log)
	if err != nil {
		t.Fatal(err)
	}
	// -DD: no daemon, the main process stays our child; -E: log to
	// stderr; -Y/-w: runtime and working dir in the temp dir.
	cmd := exec.Command(bin, "-f", cfgPath, "-DD", "-E", "-n", strconv.Itoa(workers),
		"-l", "udp:"+k.addr, "-Y", dir, "-w", dir, "-m", "128", "-M", "16", "-a", "no")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its workers are forked: one process group to signal them all.
	// Pdeathsig: should the test process be killed, so is Kamailio.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start kamailio: %v", err)
	}
	// exited is closed when the main process is gone; waitErr says how.
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stopGroup(t, cmd.Process.Pid, exited)
		logFile.Close()
	})
	if err := k.waitReady(exited); err != nil {
		select {
		case <-exited:
			err = fmt.Errorf("%w (exit: %v)", err, waitErr)
		default:
		}
		t.Fatalf("kamailio: %v\n%s", err, tail(readOr(k.log), 3000))
	}
	return k
}

// stopGroup ends the process group of pid: SIGTERM, then SIGKILL.
func stopGroup(t testing.TB, pid int, exited <-chan struct{}) {
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kamailio: SIGTERM: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL) // best effort: it ignored SIGTERM
		<-exited
	}
	// The workers may outlive the main process by a moment.
	nfkittest.Eventually(t, 10*time.Second, "kamailio workers gone", func() bool {
		return syscall.Kill(-pid, 0) != nil
	})
}

// waitReady polls the server with OPTIONS until it answers 200.
func (k *kamailio) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before ready")
		default:
		}
		if probeOptions(k.addr, 200*time.Millisecond) == nil {
			return nil
		}
	}
	return errors.New("no answer to OPTIONS within 20s")
}

// probeOptions sends one OPTIONS to addr and waits for a 200.
func probeOptions(addr string, wait time.Duration) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + tag + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + local + ">;tag=" + tag + "\r\nTo: <sip:" + addr + ">\r\n" +
		"Call-ID: probe-" + tag + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		return fmt.Errorf("OPTIONS answered %q", strings.SplitN(string(buf[:n]), "\r\n", 2)[0])
	}
	return nil
}

// TestKamailioBaseline: the baseline of BenchmarkCallRate works: SIPp
// registers without authentication and calls through Kamailio.
func TestKamailioBaseline(t *testing.T) {
	needSIPp(t)
	k := startKamailio(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	caller, callee := newEndpoint(t, alice, uacHost), newEndpoint(t, bob, uasHost)
	callee.register(ctx, t, k.addr, "register_plain.xml")
	caller.register(ctx, t, k.addr, "register_plain.xml")
	uac, uas := callRun{caller: caller, callee: callee, proxy: k.addr, calls: 1,
		pause: 500 * time.Millisecond, timeout: 60 * time.Second}.run(ctx, t)
	if uac.code != 0 || uas.code != 0 {
		t.Fatalf("call through Kamailio failed\n=== caller %s\n=== callee %s\n=== kamailio\n%s",
			uac, uas, tail(readOr(k.log), 3000))
	}
}
