// Package sgwtest runs an SGW in-process for tests, on loopback
// addresses, with the peers a test drives it from: a fake MME (a small
// GTPv2-C client that also answers the SGW's requests) and a fake eNB
// (a GTP-U socket).
package sgwtest

import (
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// Addresses of the SGW's interfaces in a gtpv2ctest.Block: S11 and S1-U
// on one, S5/S8-C and -U on the other.
const (
	IndexS11 = 2
	IndexS5  = 3
)

// Config is the default SGW config on b, its peers on gtpcPort and
// gtpuPort (the fake MME's and eNB's), the ops server on 127.0.0.1:0 and
// short timers.
func Config(b gtpv2ctest.Block, gtpcPort, gtpuPort uint16) sgw.Config {
	cfg := sgw.DefaultConfig()
	cfg.Ops.Listen = "127.0.0.1:0"
	cfg.S11.Listen = b.AddrPort(IndexS11, gtpcPort).String()
	cfg.S1U.Listen = b.AddrPort(IndexS11, gtpuPort).String()
	cfg.S5C.Listen = b.AddrPort(IndexS5, gtpcPort).String()
	cfg.S5U.Listen = b.AddrPort(IndexS5, gtpuPort).String()
	cfg.GTPC.PeerPort = gtpcPort
	cfg.GTPC.T3 = 200 * time.Millisecond
	cfg.GTPU.PeerPort = gtpuPort
	return cfg
}

// Start builds and runs an SGW from cfg until the test ends, and waits
// until it is ready.
func Start(t testing.TB, cfg sgw.Config) (*sgw.NF, *nfkittest.Running) {
	t.Helper()
	n, err := sgw.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	run := nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "sgw ready", func() bool {
		ok, _ := n.Ready()
		return ok && n.Ops().Addr() != nil
	})
	return n, run
}
