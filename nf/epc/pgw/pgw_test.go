package pgw_test

import (
	"net/netip"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// sgwPeer drives the PGW directly as an SGW would, on S5/S8-C.
type sgwPeer struct {
	conn *gtpv2c.Conn
	addr netip.Addr
	pgw  *pgw.NF
}

func startPGW(t *testing.T) *sgwPeer {
	t.Helper()
	b := gtpv2ctest.NewBlock(t)
	mme, enb := sgwtest.StartMME(t, b), sgwtest.StartENB(t, b)
	n, _ := pgwtest.Start(t, pgwtest.Config(b, mme.Port(), enb.Port()))
	return &sgwPeer{conn: mme.Conn, addr: b.Addr(1), pgw: n}
}

func (s *sgwPeer) create(t *testing.T, imsi, apn string) *message.CreateSessionResponse {
	t.Helper()
	sender := gtpv2c.FTEID{Interface: 6, TEID: 1, Addr: s.addr}
	u := gtpv2c.FTEID{Interface: 4, TEID: 2, Addr: s.addr}
	req := message.NewCreateSessionRequest(0, 0, ie.NewIMSI(imsi), ie.NewRATType(6), sender.IE(0),
		ie.NewAccessPointName(apn), ie.NewPDNType(1), ie.NewPDNAddressAllocation("0.0.0.0"),
		ie.NewBearerContext(ie.NewEPSBearerID(5), u.IE(2), ie.NewBearerQoS(1, 8, 0, 9, 0, 0, 0, 0)))
	resp, err := s.conn.Request(ctxT(t), s.pgw.Addrs().GTPC, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.(*message.CreateSessionResponse)
}

func TestDrainRefusesNewSessions(t *testing.T) {
	s := startPGW(t)
	if c, _ := gtpv2c.CauseOf(s.create(t, "001010000000001", "internet").Cause); c != 16 {
		t.Fatalf("cause %d before drain", c)
	}
	code, body := nfkittest.Do(t, "POST", "http://"+s.pgw.Ops().Addr().String()+"/drain", "")
	if code != 202 || body != "{\"draining\":true,\"remaining\":1}\n" {
		t.Fatalf("POST /drain = %d %s", code, body)
	}
	if c, _ := gtpv2c.CauseOf(s.create(t, "001010000000002", "internet").Cause); c != 73 {
		t.Errorf("cause %d while draining, want 73", c)
	}
	code, _ = nfkittest.Do(t, "GET", "http://"+s.pgw.Ops().Addr().String()+"/readyz", "")
	if code != 503 {
		t.Errorf("/readyz = %d while draining", code)
	}
}

// Requests naming no PDN connection, or missing what is mandatory, are
// refused with the cause that says so.
func TestRefusals(t *testing.T) {
	s := startPGW(t)
	resp, err := s.conn.Request(ctxT(t), s.pgw.Addrs().GTPC, message.NewDeleteSessionRequest(0x999, 0, ie.NewEPSBearerID(5)))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := gtpv2c.CauseOf(resp.(*message.DeleteSessionResponse).Cause); c != 64 {
		t.Errorf("delete unknown: cause %d, want 64", c)
	}
	sender := gtpv2c.FTEID{Interface: 6, TEID: 1, Addr: s.addr}
	noBearer := message.NewCreateSessionRequest(0, 0, ie.NewIMSI("001010000000003"), sender.IE(0),
		ie.NewAccessPointName("internet"), ie.NewPDNType(1))
	resp, err = s.conn.Request(ctxT(t), s.pgw.Addrs().GTPC, noBearer)
	if err != nil {
		t.Fatal(err)
	}
	cs := resp.(*message.CreateSessionResponse)
	if c, _ := gtpv2c.CauseOf(cs.Cause); c != 70 || cs.TEID() != 1 {
		t.Errorf("create without bearer context: cause %d to TEID %d, want 70 to 1", c, cs.TEID())
	}
	if off, err := cs.Cause.OffendingIE(); err != nil || off.Type != ie.BearerContext {
		t.Errorf("offending IE %v, %v", off, err)
	}
	if s.pgw.Sessions() != 0 {
		t.Errorf("%d sessions", s.pgw.Sessions())
	}
}
