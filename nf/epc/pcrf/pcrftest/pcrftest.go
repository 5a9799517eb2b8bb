// Package pcrftest runs a PCRF in-process for tests, on loopback
// addresses, with a PGW double (Gx client) and a P-CSCF double (Rx
// client) to drive it.
package pcrftest

import (
	"context"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Identities of the doubles' defaults.
const (
	EPCRealm = "epc.mnc001.mcc001.3gppnetwork.org"
	IMSRealm = "ims.mnc001.mcc001.3gppnetwork.org"
)

// Config is the default PCRF config on 127.0.0.1:0.
func Config() pcrf.Config {
	cfg := pcrf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.Diameter.Listen = "127.0.0.1:0"
	return cfg
}

// Start builds and runs a PCRF from cfg and waits until it is ready.
func Start(t testing.TB, cfg pcrf.Config) (*pcrf.PCRF, *nfkittest.Running) {
	t.Helper()
	n, err := pcrf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "pcrf ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}

// startClient runs c until the test ends and waits for its connection.
func startClient(t testing.TB, c *diameter.Client, name string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", name, err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if _, err := c.WaitConnected(wctx); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// timeout bounds each request a double sends.
const timeout = 10 * time.Second
