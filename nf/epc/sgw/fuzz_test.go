package sgw_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// fuzzTimers make unanswered requests give up at once.
func fuzzTimers(_ *core, s *sgw.Config, p *pgw.Config) {
	s.GTPC.T3, s.GTPC.N3 = 10*time.Millisecond, 0
	p.GTPC.T3, p.GTPC.N3 = 10*time.Millisecond, 0
}

// fuzzInterface feeds an SGW interface's receive path: nothing panics,
// and what gtpv2c calls malformed is counted as such on that interface.
func fuzzInterface(f *testing.F, iface string, handle func(*core) func(context.Context, []byte, netip.AddrPort)) {
	c := startCore(f, fuzzTimers)
	in := handle(c)
	from := c.b.AddrPort(9, 9) // nobody listens there
	series := `corebox_sgw_gtpc_dropped_messages_total{interface="` + iface + `",reason="malformed"}`
	var malformed float64
	f.Fuzz(func(t *testing.T, b []byte) {
		if !gtpv2ctest.OnlyLoopback(b) {
			return // an SGW sends where F-TEIDs say; tests stay on loopback
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		in(ctx, b, from)
		if _, err := gtpv2c.Parse(b); errors.Is(err, gtpv2c.ErrMalformed) {
			malformed++
			if got := sgwtest.Metric(t, c.sgw.Ops(), series); got != malformed {
				t.Fatalf("%s = %v, want %v", series, got, malformed)
			}
		}
	})
}

func FuzzS11(f *testing.F) {
	fuzzInterface(f, "s11", func(c *core) func(context.Context, []byte, netip.AddrPort) { return c.sgw.HandleS11 })
}

func FuzzS5(f *testing.F) {
	fuzzInterface(f, "s5", func(c *core) func(context.Context, []byte, netip.AddrPort) { return c.sgw.HandleS5 })
}
