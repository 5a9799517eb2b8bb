package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/probe"
)

// startProbe runs a probe in-process and returns its ops address.
func startProbe(t *testing.T, items int, rate float64) string {
	t.Helper()
	cfg := probe.DefaultConfig()
	cfg.Ops.Listen, cfg.DrainItems, cfg.DrainRate = "127.0.0.1:0", items, rate
	n, err := probe.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 5*time.Second, "probe listening", func() bool { return n.Ops().Addr() != nil })
	return n.Ops().Addr().String()
}

func TestDrainWaitsForZero(t *testing.T) {
	addr := startProbe(t, 10, 100)
	begin := time.Now()
	code, out, errOut := runCmd(t, context.Background(), "", "drain", "--addr", addr, "--timeout", "10s", "--interval", "10ms")
	if code != 0 || out != "drained (remaining 0)\n" {
		t.Fatalf("drain = %d %q %q", code, out, errOut)
	}
	if took := time.Since(begin); took < 90*time.Millisecond {
		t.Errorf("drain returned after %v; 10 items at 100/s take 100ms", took)
	}
}

func TestDrainTimesOut(t *testing.T) {
	addr := startProbe(t, 5, 0) // holds its items forever
	code, _, errOut := runCmd(t, context.Background(), "", "drain", "--addr", "http://"+addr, "--timeout", "200ms", "--interval", "10ms")
	if code != 1 || !strings.Contains(errOut, "not drained after 200ms: 5 remaining") {
		t.Errorf("drain = %d %q", code, errOut)
	}
}

func TestDrainErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	code, _, errOut := runCmd(t, context.Background(), "", "drain", "--addr", dead, "--timeout", "1s")
	if code != 1 || !strings.Contains(errOut, "start drain") {
		t.Errorf("drain of nothing = %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, context.Background(), "", "drain", "extra"); code != 2 {
		t.Errorf("drain extra = %d, want 2", code)
	}
	if code, _, _ := runCmd(t, context.Background(), "", "drain", "--interval", "0"); code != 2 {
		t.Errorf("drain --interval 0 = %d, want 2", code)
	}
}

func TestDrainAddr(t *testing.T) {
	dir := t.TempDir()
	cfg := func(body string) string {
		p := filepath.Join(dir, fmt.Sprint(len(body)))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		addr, cfg, want string
		ok              bool
	}{
		{"", "", "127.0.0.1:9090", true},
		{"10.0.0.5:9091", "", "10.0.0.5:9091", true},
		{"", cfg("ops:\n  listen: 10.9.0.7:9090\nother: [ignored]\n"), "10.9.0.7:9090", true},
		{"", cfg("ops:\n  listen: \":9095\"\n"), "127.0.0.1:9095", true},
		{"", cfg("ops:\n  listen: \"[::]:9096\"\n"), "127.0.0.1:9096", true},
		{"", cfg("tcp_ports: [7]\n"), "127.0.0.1:9090", true},
		{"", cfg("ops: [\n"), "", false},
		{"", filepath.Join(dir, "missing"), "", false},
		{"1.2.3.4:1", cfg("x: 1\n"), "", false},
	}
	for _, tt := range tests {
		got, err := drainAddr(tt.addr, tt.cfg)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("drainAddr(%q, %q) = %q, %v", tt.addr, tt.cfg, got, err)
		}
	}
}
