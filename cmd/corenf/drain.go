package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/corebox/corebox/nf/nfkit"
)

// cmdDrain asks the NF in this container to drain (POST /drain on its ops
// server) and waits until it holds nothing: a Kubernetes preStop hook.
// Exit 0 once drained; 1 on timeout (with the count still held) or error.
func cmdDrain(ctx context.Context, args []string, s stdio) int {
	fs := newFlags("drain", s.err)
	addr := fs.String("addr", "", "ops server host:port or http://host:port (default 127.0.0.1:9090)")
	cfgPath := fs.String("c", "", "take the address from this NF config's ops.listen instead")
	timeout := 60 * time.Second
	fs.Var(durationFlag{&timeout}, "timeout", "give up after this long")
	every := 500 * time.Millisecond
	fs.Var(durationFlag{&every}, "interval", "poll interval")
	pos, err := parse(fs, args)
	if err != nil {
		return usageCode(err)
	}
	if len(pos) > 0 || every <= 0 {
		fmt.Fprintln(s.err, "usage: corenf drain [--addr HOST:PORT | -c NF-CONFIG] [--timeout 60s] [--interval 500ms]")
		return 2
	}
	base, err := drainAddr(*addr, *cfgPath)
	if err != nil {
		fmt.Fprintf(s.err, "corenf drain: %v\n", err)
		return 2
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	st, err := drain(ctx, strings.TrimRight(base, "/")+"/drain", timeout, every)
	if err != nil {
		fmt.Fprintf(s.err, "corenf drain: %v\n", err)
		return 1
	}
	fmt.Fprintf(s.out, "drained (remaining %d)\n", st.Remaining)
	return 0
}

// drainAddr picks the ops address: --addr, else the config's ops.listen
// (an unspecified host means loopback), else 127.0.0.1:9090.
func drainAddr(addr, cfgPath string) (string, error) {
	if addr != "" && cfgPath != "" {
		return "", errors.New("give --addr or -c, not both")
	}
	if addr != "" {
		return addr, nil
	}
	listen := nfkit.DefaultOpsListen
	if cfgPath != "" {
		data, err := os.ReadFile(cfgPath)
		if err != nil {
			return "", fmt.Errorf("read config: %w", err)
		}
		// Only ops.listen matters here; the NF itself checks the rest.
		var cfg struct {
			Ops nfkit.OpsConfig `yaml:"ops"`
		}
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			return "", fmt.Errorf("%s: %w", cfgPath, err)
		}
		if cfg.Ops.Listen != "" {
			listen = cfg.Ops.Listen
		}
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("ops.listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// drain starts the drain and polls until drained or the timeout; transient
// poll failures are retried, the last one reported if time runs out.
func drain(ctx context.Context, url string, timeout, every time.Duration) (nfkit.DrainStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := drainCall(ctx, http.MethodPost, url)
	if err != nil {
		return st, fmt.Errorf("start drain: %w", err)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !st.Drained() {
		select {
		case <-ctx.Done():
			if err != nil {
				return st, fmt.Errorf("not drained after %v: %d remaining (last poll: %w)", timeout, st.Remaining, err)
			}
			return st, fmt.Errorf("not drained after %v: %d remaining", timeout, st.Remaining)
		case <-tick.C:
		}
		var next nfkit.DrainStatus
		if next, err = drainCall(ctx, http.MethodGet, url); err == nil {
			st = next
		}
	}
	return st, nil
}

func drainCall(ctx context.Context, method, url string) (nfkit.DrainStatus, error) {
	var st nfkit.DrainStatus
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return st, fmt.Errorf("%s %s: read: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return st, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("%s %s: bad status body: %w", method, url, err)
	}
	if method == http.MethodPost && !st.Draining {
		return st, errors.New("ops server accepted the drain but does not report draining")
	}
	return st, nil
}
