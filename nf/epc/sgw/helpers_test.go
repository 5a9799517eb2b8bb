package sgw_test

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// wait bounds every wait of these tests.
const wait = 5 * time.Second

// core is an SGW and a PGW in-process with a fake MME and eNB.
type core struct {
	b   gtpv2ctest.Block
	mme *sgwtest.MME
	enb *sgwtest.ENB
	sgw *sgw.NF
	pgw *pgw.NF
	// pgwC is the PGW address the MME puts in Create Session Requests.
	pgwC netip.Addr
}

// startCore runs the four; adjust edits the configs first (the fake MME
// and eNB run by then).
func startCore(t testing.TB, adjust func(*core, *sgw.Config, *pgw.Config)) *core {
	t.Helper()
	c := &core{b: gtpv2ctest.NewBlock(t)}
	c.mme = sgwtest.StartMME(t, c.b)
	c.enb = sgwtest.StartENB(t, c.b)
	scfg := sgwtest.Config(c.b, c.mme.Port(), c.enb.Port())
	pcfg := pgwtest.Config(c.b, c.mme.Port(), c.enb.Port())
	if adjust != nil {
		adjust(c, &scfg, &pcfg)
	}
	c.pgw, _ = pgwtest.Start(t, pcfg)
	c.sgw, _ = sgwtest.Start(t, scfg)
	c.mme.SGW = c.sgw.Addrs().S11
	c.pgwC = c.b.Addr(pgwtest.Index)
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// attach creates a PDN connection to apn and points its default bearer
// at the fake eNB with TEID enbTEID.
func (c *core) attach(t testing.TB, imsi, apn string, enbTEID uint32) *sgwtest.PDN {
	t.Helper()
	p, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: imsi, APN: apn, PGW: c.pgwC})
	if err != nil {
		t.Fatal(err)
	}
	if p.Cause != 16 {
		t.Fatalf("create session %s: cause %d", apn, p.Cause)
	}
	if cause, err := c.mme.ModifyBearer(ctxT(t), p, map[uint8]uint32{p.EBI: enbTEID}); err != nil || cause != 16 {
		t.Fatalf("modify bearer: cause %d, %v", cause, err)
	}
	return p
}

// at is where the owner of F-TEID f receives G-PDUs in this test.
func (c *core) at(f gtpv2c.FTEID) netip.AddrPort { return netip.AddrPortFrom(f.Addr, c.enb.Port()) }

// uplink sends pkt from the fake eNB on the S1-U F-TEID f and waits for
// it on the PGW's SGi device of apn.
func (c *core) uplink(t testing.TB, apn string, f gtpv2c.FTEID, pkt []byte) {
	t.Helper()
	if err := c.enb.Send(c.at(f), f.TEID, pkt); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-c.pgw.MemoryDevice(apn).Uplink():
		if !bytes.Equal(got, pkt) {
			t.Fatalf("SGi got %x, want %x", got, pkt)
		}
	case <-time.After(wait):
		t.Fatal("uplink packet did not reach the SGi device")
	}
}

// downlink injects pkt on the SGi device of apn and waits for it at the
// fake eNB with TEID teid.
func (c *core) downlink(t testing.TB, apn string, pkt []byte, teid uint32) {
	t.Helper()
	if err := c.pgw.MemoryDevice(apn).Inject(ctxT(t), pkt); err != nil {
		t.Fatal(err)
	}
	c.expectDownlink(t, pkt, teid)
}

func (c *core) expectDownlink(t testing.TB, pkt []byte, teid uint32) {
	t.Helper()
	got, payload, err := c.enb.Recv(wait)
	if err != nil {
		t.Fatalf("downlink: %v", err)
	}
	if got != teid || !bytes.Equal(payload, pkt) {
		t.Fatalf("eNB got TEID %#x %x, want TEID %#x %x", got, payload, teid, pkt)
	}
}

func (c *core) sgwMetric(t testing.TB, series string) float64 {
	return sgwtest.Metric(t, c.sgw.Ops(), series)
}

func (c *core) pgwMetric(t testing.TB, series string) float64 {
	return sgwtest.Metric(t, c.pgw.Ops(), series)
}
