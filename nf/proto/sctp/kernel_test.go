package sctp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

func requireKernelSCTP(t *testing.T) {
	t.Helper()
	if mode, reason := Transport(); mode != ModeKernel {
		t.Skipf("kernel SCTP tests skipped: %s", reason)
	}
}

// TestKernelModeWithoutKernelSCTP: asking for kernel SCTP where there is
// none fails at once, with the kernel's own error.
func TestKernelModeWithoutKernelSCTP(t *testing.T) {
	if Detect() == ModeKernel {
		t.Skip("this kernel has SCTP")
	}
	checkGoroutines(t)
	cfg := Config{Mode: ModeKernel}
	if _, err := Listen(context.Background(), cfg, "127.0.0.1:0", testLog(t)); !errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Fatalf("Listen(kernel) = %v, want EPROTONOSUPPORT", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, cfg, "", "127.0.0.1:38412", testLog(t)); !errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Fatalf("Dial(kernel) = %v, want EPROTONOSUPPORT", err)
	}
}

func TestKernelRoundTrip(t *testing.T) {
	requireKernelSCTP(t)
	checkGoroutines(t)
	cfg := Config{Mode: ModeKernel}
	l, err := Listen(context.Background(), cfg, "127.0.0.1:0", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := Dial(ctx, cfg, "", l.Addr().String(), testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	buf := make([]byte, MaxMessageSize)
	for i, size := range []int{1, 100, 1500, 20000, MaxMessageSize} {
		info := Info{Stream: uint16(i % 3), PPID: []uint32{PPIDNGAP, PPIDS1AP}[i%2]}
		msg := bytes.Repeat([]byte{byte(i + 1)}, size)
		if err := client.WriteMsg(msg, info); err != nil {
			t.Fatal(err)
		}
		n, got, err := server.ReadMsg(buf)
		if err != nil || n != size || got != info || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("message %d: %d bytes %+v %v, want %d bytes %+v", i, n, got, err, size, info)
		}
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.ReadMsg(buf); !isEOF(err) {
		t.Fatalf("after peer close: %v, want io.EOF", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(ctx); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
}
