// Package hsstest runs an HSS in-process for tests, on loopback addresses.
package hsstest

import (
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// Config is the default HSS config on 127.0.0.1:0 using the UDR at udrURI.
func Config(udrURI string) hss.Config {
	cfg := hss.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.Diameter.Listen = "127.0.0.1:0"
	cfg.UDR.URI = udrURI
	return cfg
}

// Start builds and runs an HSS from cfg and waits until it is ready.
func Start(t testing.TB, cfg hss.Config) (*hss.HSS, *nfkittest.Running) {
	t.Helper()
	h, err := hss.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, h)
	nfkittest.Eventually(t, 10*time.Second, "hss ready", func() bool {
		ok, _ := h.Ready()
		return ok && h.Ops().Addr() != nil
	})
	return h, run
}
