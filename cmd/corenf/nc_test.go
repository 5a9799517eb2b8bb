package main

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func TestNCClient(t *testing.T) {
	th, tp := hostPort(t, tcpEcho(t))
	uh, up := hostPort(t, udpEcho(t))
	big := strings.Repeat("0123456789abcdef", 20000) // 320 KB through TCP
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"tcp send", "", []string{"nc", "--send", "hello", th, tp}, "hello"},
		{"tcp stdin", "line1\nline2\n", []string{"nc", th, tp}, "line1\nline2\n"},
		{"tcp big stdin", big, []string{"nc", th, tp}, big},
		{"tcp flags after args", "", []string{"nc", th, tp, "-w", "5", "--send", "x"}, "x"},
		{"udp send", "", []string{"nc", "-u", "--send", "ping", uh, up}, "ping"},
		{"udp stdin", "datagram", []string{"nc", "-u", "-w", "0.3", uh, up}, "datagram"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, context.Background(), tt.stdin, tt.args...)
			if code != 0 || out != tt.want {
				t.Errorf("code %d, stdout %d bytes %.40q, stderr %q", code, len(out), out, errOut)
			}
		})
	}
}

func TestNCFailures(t *testing.T) {
	// A UDP socket that never answers.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	sh, sp := hostPort(t, silent.LocalAddr().String())
	// A TCP port with nobody listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch, cp := hostPort(t, ln.Addr().String())
	ln.Close()

	tests := []struct {
		name    string
		args    []string
		code    int
		errPart string
	}{
		{"udp no reply", []string{"nc", "-u", "-w", "0.2", "--send", "x", sh, sp}, 1, "no reply within 200ms"},
		{"tcp refused", []string{"nc", "--send", "x", ch, cp}, 1, "refused"},
		{"missing port", []string{"nc", "127.0.0.1"}, 2, "usage"},
		{"bad timeout", []string{"nc", "-w", "soon", "h", "1"}, 2, "soon"},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, context.Background(), "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.errPart) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", tt.name, code, errOut, tt.code, tt.errPart)
		}
	}
}

// lineWriter hands the first line written to it to a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		s := w.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- s[:i]:
		default:
		}
		w.buf.Reset()
		w.buf.WriteString(s[i+1:])
	}
}

// listenNC starts "nc -l -v" in-process and returns its bound address and
// a channel with its exit code and stdout.
func listenNC(t *testing.T, stdin string, args ...string) (string, <-chan [2]string) {
	t.Helper()
	errW := &lineWriter{lines: make(chan string, 4)}
	var out strings.Builder
	done := make(chan [2]string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	go func() {
		code := run(ctx, append([]string{"nc", "-l", "-v"}, args...),
			stdio{in: strings.NewReader(stdin), out: &out, err: errW})
		done <- [2]string{string(rune('0' + code)), out.String()}
	}()
	select {
	case line := <-errW.lines:
		f := strings.Fields(line) // "listening on ADDR (proto)"
		if len(f) < 3 {
			t.Fatalf("unexpected -v line %q", line)
		}
		return f[2], done
	case <-ctx.Done():
		t.Fatal("nc -l did not start listening")
		return "", nil
	}
}

func TestNCListenTCP(t *testing.T) {
	addr, done := listenNC(t, "from listener", "127.0.0.1", "0")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("from client")); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c) // the listener half-closes after its stdin
	if err != nil || string(got) != "from listener" {
		t.Errorf("client got %q, %v", got, err)
	}
	if r := <-done; r[0] != "0" || r[1] != "from client" {
		t.Errorf("listener exit %s, stdout %q", r[0], r[1])
	}
}

func TestNCListenUDP(t *testing.T) {
	addr, done := listenNC(t, "", "-u", "-w", "0.2", "127.0.0.1", "0")
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"one,", "two"} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if r := <-done; r[0] != "0" || r[1] != "one,two" {
		t.Errorf("listener exit %s, stdout %q", r[0], r[1])
	}
}

func TestNCStopsOnSignal(t *testing.T) {
	nfkittest.NoLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	h, p := hostPort(t, tcpEcho(t))
	pr, pw := io.Pipe() // stdin that stays open, like a terminal
	out := &lineWriter{lines: make(chan string, 1)}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"nc", h, p}, stdio{in: pr, out: out, err: io.Discard})
	}()
	if _, err := pw.Write([]byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	if line := <-out.lines; line != "hi" {
		t.Fatalf("echo %q", line)
	}
	cancel() // mid-session, stdin still open
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("nc after signal = %d, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nc ignored the signal")
	}
	pw.Close() // lets the stdin pump end, as process exit would
}
