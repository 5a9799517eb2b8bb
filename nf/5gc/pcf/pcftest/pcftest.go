// Package pcftest runs a PCF in-process for tests, on loopback addresses.
package pcftest

import (
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// Config is the default PCF config on 127.0.0.1:0, without an NRF.
func Config() pcf.Config {
	cfg := pcf.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	return cfg
}

// Start builds and runs a PCF from cfg until the test ends, and waits
// until it is ready (listening, and registered when cfg names an NRF).
func Start(t testing.TB, cfg pcf.Config) (*pcf.NF, *nfkittest.Running) {
	t.Helper()
	n, err := pcf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "pcf ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}
