package dn

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.Listen = "127.0.0.1"
	cfg.TCPPorts = []int{0, 0}
	cfg.UDPPorts = []int{0, 0}
	return cfg
}

// startDN runs a dn on loopback and waits for it to be ready.
func startDN(t *testing.T, cfg Config) (*NF, *nfkittest.Running) {
	t.Helper()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 5*time.Second, "dn ready and ops listening", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}

func scrape(t *testing.T, n *NF) string {
	t.Helper()
	code, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics = %d", code)
	}
	return body
}

func wantMetrics(t *testing.T, n *NF, want ...string) {
	t.Helper()
	body := scrape(t, n)
	for _, w := range want {
		if !strings.Contains(body, w+"\n") {
			t.Errorf("metrics lack %q", w)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Ops.Listen != ":9090" || c.Listen != "" || len(c.TCPPorts) != 1 || c.TCPPorts[0] != 7 ||
		len(c.UDPPorts) != 1 || c.UDPPorts[0] != 7 || c.TCPIdleTimeout != time.Minute || c.MaxTCPConns != 1024 {
		t.Errorf("DefaultConfig = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]func(*Config){
		"hostname listen":   func(c *Config) { c.Listen = "dn.example" },
		"port out of range": func(c *Config) { c.TCPPorts = []int{70000} },
		"negative port":     func(c *Config) { c.UDPPorts = []int{-1} },
		"duplicate port":    func(c *Config) { c.UDPPorts = []int{7, 7} },
		"zero idle":         func(c *Config) { c.TCPIdleTimeout = 0 },
		"zero max conns":    func(c *Config) { c.MaxTCPConns = 0 },
		"bad ops listen":    func(c *Config) { c.Ops.Listen = "x" },
		"route not a cidr":  func(c *Config) { c.Routes = []Route{{To: "10.45.0.0", Via: "10.0.6.2"}} },
		"route via name":    func(c *Config) { c.Routes = []Route{{To: "10.45.0.0/16", Via: "upf"}} },
		"route mixed":       func(c *Config) { c.Routes = []Route{{To: "fd00::/64", Via: "10.0.6.2"}} },
	}
	for name, mod := range tests {
		cfg := DefaultConfig()
		mod(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := DefaultConfig()
	ok.Listen, ok.TCPPorts, ok.UDPPorts = "::1", []int{0, 0, 7}, nil
	ok.Routes = []Route{{To: "10.45.0.0/16", Via: "10.0.6.2"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestUDPEcho(t *testing.T) {
	nfkittest.NoLeaks(t)
	n, _ := startDN(t, testConfig())
	addrs := n.UDPAddrs()
	if len(addrs) != 2 {
		t.Fatalf("UDP addrs = %v", addrs)
	}
	sizes := []int{0, 1, 1400, 65507}
	for _, a := range addrs {
		c, err := net.Dial("udp", a.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range sizes {
			msg := bytes.Repeat([]byte{'x'}, size)
			if _, err := c.Write(msg); err != nil {
				t.Fatalf("write %d bytes: %v", size, err)
			}
			got := make([]byte, 70000)
			if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
				t.Fatal(err)
			}
			m, err := c.Read(got)
			if err != nil || !bytes.Equal(got[:m], msg) {
				t.Fatalf("echo of %d bytes: got %d, %v", size, m, err)
			}
		}
		c.Close()
	}
	total := 2 * (0 + 1 + 1400 + 65507)
	wantMetrics(t, n,
		`corebox_dn_rx_packets_total{proto="udp"} 8`,
		`corebox_dn_tx_packets_total{proto="udp"} 8`,
		`corebox_dn_rx_bytes_total{proto="udp"} `+itoa(total),
		`corebox_dn_tx_bytes_total{proto="udp"} `+itoa(total),
		`corebox_dn_errors_total{proto="udp"} 0`,
	)
}

func TestTCPEcho(t *testing.T) {
	nfkittest.NoLeaks(t)
	n, _ := startDN(t, testConfig())
	payload := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB, many reads
	for _, a := range n.TCPAddrs() {
		c, err := net.Dial("tcp", a.String())
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := c.Write(payload)
			if err == nil {
				err = c.(*net.TCPConn).CloseWrite()
			}
			errc <- err
		}()
		got, err := io.ReadAll(c) // ends when the dn closes after our FIN
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("echo: got %d bytes, %v", len(got), err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	nfkittest.Eventually(t, 5*time.Second, "connections closed", func() bool { return n.Remaining() == 0 })
	wantMetrics(t, n,
		`corebox_dn_rx_bytes_total{proto="tcp"} 2e+06`,
		`corebox_dn_tx_bytes_total{proto="tcp"} 2e+06`,
		`corebox_dn_tcp_connections_total 2`,
		`corebox_dn_tcp_open_connections 0`,
	)
}

func TestTCPIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.TCPIdleTimeout = 100 * time.Millisecond
	n, _ := startDN(t, cfg)
	c, err := net.Dial("tcp", n.TCPAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// Silent client: the dn must close on it (EOF), well before our deadline.
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read = %v, want EOF from the dn closing an idle connection", err)
	}
	wantMetrics(t, n, `corebox_dn_tcp_idle_timeouts_total 1`)
}

func TestTCPConnLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxTCPConns = 1
	n, _ := startDN(t, cfg)
	addr := n.TCPAddrs()[0].String()
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	nfkittest.Eventually(t, 5*time.Second, "first connection admitted", func() bool { return n.Remaining() == 1 })
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := second.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Fatal("second connection served beyond max_tcp_conns")
	}
	if _, err := first.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 10)
	if _, err := io.ReadFull(first, got); err != nil || string(got) != "still here" {
		t.Errorf("first connection echo = %q, %v", got, err)
	}
	wantMetrics(t, n, `corebox_dn_tcp_rejected_connections_total 1`)
}

func TestDrainStopsNewTCP(t *testing.T) {
	n, _ := startDN(t, testConfig())
	addr := n.TCPAddrs()[0].String()
	held, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "connection admitted", func() bool { return n.Remaining() == 1 })
	ops := "http://" + n.Ops().Addr().String()
	if code, body := nfkittest.Do(t, "POST", ops+"/drain", ""); code != 202 || !strings.Contains(body, `"remaining":1`) {
		t.Fatalf("POST /drain = %d %q", code, body)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("new TCP connection accepted while draining")
	}
	// UDP holds nothing and keeps answering.
	u, err := net.Dial("udp", n.UDPAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if err := u.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if m, err := u.Read(make([]byte, 8)); err != nil || m != 4 {
		t.Errorf("udp echo while draining: %d, %v", m, err)
	}
	held.Close()
	nfkittest.Eventually(t, 5*time.Second, "drained", func() bool {
		_, body := nfkittest.Do(t, "GET", ops+"/drain", "")
		return strings.Contains(body, `{"draining":true,"remaining":0}`)
	})
}

func TestStopClosesEverything(t *testing.T) {
	nfkittest.NoLeaks(t)
	n, run := startDN(t, testConfig())
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", n.TCPAddrs()[1].String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	nfkittest.Eventually(t, 5*time.Second, "connections admitted", func() bool { return n.Remaining() == 5 })
	if err := run.Stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, c := range conns {
		if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("connection still open after stop")
		}
		c.Close()
	}
}

func TestBindFailureEndsRun(t *testing.T) {
	nfkittest.NoLeaks(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig()
	cfg.TCPPorts = []int{0, taken.Addr().(*net.TCPAddr).Port}
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = n.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "dn: tcp echo") || ctx.Err() != nil {
		t.Errorf("Run = %v, want a bind error before the timeout", err)
	}
}

// TestGarbageNeverCrashes throws malformed traffic at every socket.
func TestGarbageNeverCrashes(t *testing.T) {
	n, _ := startDN(t, testConfig())
	// Half-open and reset TCP connections.
	for range 20 {
		c, err := net.Dial("tcp", n.TCPAddrs()[0].String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte{0xff, 0x00, 0xfe}); err != nil {
			t.Fatal(err)
		}
		if err := c.(*net.TCPConn).SetLinger(0); err != nil { // RST on close
			t.Fatal(err)
		}
		c.Close()
	}
	// A UDP sender that vanishes before its echo arrives.
	u, err := net.Dial("udp", n.UDPAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write([]byte("gone")); err != nil {
		t.Fatal(err)
	}
	u.Close()
	nfkittest.Eventually(t, 5*time.Second, "connections cleaned up", func() bool { return n.Remaining() == 0 })
	if code, _ := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/readyz", ""); code != 200 {
		t.Errorf("readyz after garbage = %d", code)
	}
}

// itoa formats like the Prometheus text format does.
func itoa(i int) string { return strconv.FormatFloat(float64(i), 'g', -1, 64) }
