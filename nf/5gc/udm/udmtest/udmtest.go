// Package udmtest runs a UDM in-process for tests, on loopback addresses.
package udmtest

import (
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// Config is the default UDM config on 127.0.0.1:0 using the UDR at udrURI.
func Config(udrURI string) udm.Config {
	cfg := udm.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.SBI.Listen = "127.0.0.1:0"
	cfg.UDR.URI = udrURI
	return cfg
}

// Start builds and runs a UDM from cfg and waits until it is ready.
func Start(t testing.TB, cfg udm.Config) (*udm.NF, *nfkittest.Running) {
	t.Helper()
	n, err := udm.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "udm ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}
