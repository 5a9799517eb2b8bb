// Package pgwtest runs a PGW in-process for tests, on loopback addresses
// with in-memory SGi devices.
package pgwtest

import (
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// Index is the PGW's address in a gtpv2ctest.Block.
const Index = 4

// Config is the default PGW config on address Index of b, its peers
// (SGWs) on gtpcPort and gtpuPort, the ops server on 127.0.0.1:0, short
// timers, both APNs with memory SGi devices and the ims APN's P-CSCF at
// 10.47.0.10.
func Config(b gtpv2ctest.Block, gtpcPort, gtpuPort uint16) pgw.Config {
	cfg := pgw.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.GTPC.Listen = b.AddrPort(Index, gtpcPort).String()
	cfg.GTPC.PeerPort = gtpcPort
	cfg.GTPC.T3 = 200 * time.Millisecond
	cfg.GTPU.Listen = b.AddrPort(Index, gtpuPort).String()
	cfg.GTPU.PeerPort = gtpuPort
	for i := range cfg.APNs {
		cfg.APNs[i].SGi.Mode = pgw.SGiModeMemory
	}
	cfg.APNs[1].PCSCF = []string{"10.47.0.10"}
	return cfg
}

// Start builds and runs a PGW from cfg until the test ends, and waits
// until it is ready.
func Start(t testing.TB, cfg pgw.Config) (*pgw.NF, *nfkittest.Running) {
	t.Helper()
	n, err := pgw.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "pgw ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}
