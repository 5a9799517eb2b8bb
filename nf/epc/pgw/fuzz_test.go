package pgw_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// FuzzGTPv2C feeds the PGW's S5/S8-C receive path: nothing panics, and
// what gtpv2c calls malformed is counted as such.
func FuzzGTPv2C(f *testing.F) {
	b := gtpv2ctest.NewBlock(f)
	mme, enb := sgwtest.StartMME(f, b), sgwtest.StartENB(f, b)
	cfg := pgwtest.Config(b, mme.Port(), enb.Port())
	cfg.GTPC.T3, cfg.GTPC.N3 = 10*time.Millisecond, 0
	n, _ := pgwtest.Start(f, cfg)
	from := b.AddrPort(9, 9) // nobody listens there
	const series = `corebox_pgw_gtpc_dropped_messages_total{interface="s5",reason="malformed"}`
	var malformed float64
	f.Fuzz(func(t *testing.T, msg []byte) {
		if !gtpv2ctest.OnlyLoopback(msg) {
			return // a PGW sends where F-TEIDs say; tests stay on loopback
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.HandleGTPv2C(ctx, msg, from)
		if _, err := gtpv2c.Parse(msg); errors.Is(err, gtpv2c.ErrMalformed) {
			malformed++
			if got := sgwtest.Metric(t, n.Ops(), series); got != malformed {
				t.Fatalf("%s = %v, want %v", series, got, malformed)
			}
		}
	})
}
