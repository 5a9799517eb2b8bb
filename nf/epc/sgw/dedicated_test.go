package sgw_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// racingPGW is a fake PGW that sends a Create Bearer Request on the new
// session's S5/S8-C TEID before it answers the Create Session Request,
// and holds the answer until release closes: the worst case of a PGW
// creating the bearers of its CCA-I's rules right after its response.
type racingPGW struct {
	conn     *gtpv2c.Conn
	addr     netip.Addr
	bearerTx chan struct{} // the Create Bearer Request has been sent
	release  chan struct{} // the test lets the Create Session Response go
	answers  chan bearerAnswer
}

type bearerAnswer struct {
	resp message.Message
	err  error
}

func startRacingPGW(t *testing.T, b gtpv2ctest.Block, port uint16) *racingPGW {
	t.Helper()
	p := &racingPGW{addr: b.Addr(6), bearerTx: make(chan struct{}, 1), release: make(chan struct{}),
		answers: make(chan bearerAnswer, 1)}
	c, err := gtpv2c.New(gtpv2c.Config{Addr: netip.AddrPortFrom(p.addr, port).String(), T3: 2 * time.Second, N3: 2,
		Handler: gtpv2c.HandlerFunc(p.serve), Logger: nfkittest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	p.conn = c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake PGW: %v", err)
		}
	})
	return p
}

func (p *racingPGW) serve(ctx context.Context, _ netip.AddrPort, req message.Message) message.Message {
	csr, ok := req.(*message.CreateSessionRequest)
	if !ok {
		return nil
	}
	sgwC, err := gtpv2c.ParseFTEID(csr.SenderFTEIDC)
	if err != nil {
		return message.NewCreateSessionResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseMandatoryIEIncorrect))
	}
	port := p.conn.LocalAddr().Port()
	pgwC := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPC, TEID: 0x500, Addr: p.addr}
	pgwU := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPU, TEID: 0x501, Addr: p.addr}
	dedicatedU := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPU, TEID: 0x502, Addr: p.addr}
	cbr := message.NewCreateBearerRequest(sgwC.TEID, 0, ie.NewEPSBearerID(5),
		ie.NewBearerContext(ie.NewEPSBearerID(0), ie.NewBearerTFTCreateNewTFT(nil, nil), dedicatedU.IE(1),
			ie.NewBearerQoS(0, 2, 0, 2, 1000, 2000, 1000, 2000)))
	go func() {
		resp, err := p.conn.Request(ctx, netip.AddrPortFrom(sgwC.Addr, port), cbr)
		p.answers <- bearerAnswer{resp, err}
	}()
	p.bearerTx <- struct{}{}
	select {
	case <-p.release:
	case <-ctx.Done():
		return nil
	}
	return message.NewCreateSessionResponse(sgwC.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted),
		pgwC.IE(1), ie.NewPDNAddressAllocation("10.46.0.2"),
		ie.NewBearerContext(ie.NewEPSBearerID(5), gtpv2c.CauseIE(gtpv2.CauseRequestAccepted), pgwU.IE(2),
			ie.NewBearerQoS(1, 8, 0, 9, 0, 0, 0, 0)))
}

// A Create Bearer Request the SGW gets on a session whose Create Session
// Response it has not yet handled waits for it, then reaches the MME;
// it used to be refused as "context not found" (cause 64) and lost.
func TestCreateBearerDuringCreateSession(t *testing.T) {
	b := gtpv2ctest.NewBlock(t)
	mme, enb := sgwtest.StartMME(t, b), sgwtest.StartENB(t, b)
	pgwFake := startRacingPGW(t, b, mme.Port())
	sgwNF, _ := sgwtest.Start(t, sgwtest.Config(b, mme.Port(), enb.Port()))
	mme.SGW = sgwNF.Addrs().S11

	type created struct {
		p   *sgwtest.PDN
		err error
	}
	createdCh := make(chan created, 1)
	go func() {
		p, err := mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: "001010000000009", APN: "internet", PGW: pgwFake.addr})
		createdCh <- created{p, err}
	}()
	select {
	case <-pgwFake.bearerTx:
	case <-ctxT(t).Done():
		t.Fatal("the fake PGW got no Create Session Request")
	}
	// The SGW is handling the Create Bearer Request before it has the
	// Create Session Response.
	sgwtest.WaitMetric(t, sgwNF.Ops(), `corebox_sgw_gtpc_rx_requests_total{interface="s5"}`, 1)
	close(pgwFake.release)

	cs := <-createdCh
	if cs.err != nil || cs.p.Cause != gtpv2.CauseRequestAccepted {
		t.Fatalf("create session: %+v, %v", cs.p, cs.err)
	}
	var ans bearerAnswer
	select {
	case ans = <-pgwFake.answers:
	case <-ctxT(t).Done():
		t.Fatal("no answer to the Create Bearer Request")
	}
	if ans.err != nil {
		t.Fatalf("create bearer: %v", ans.err)
	}
	cb, ok := ans.resp.(*message.CreateBearerResponse)
	if !ok {
		t.Fatalf("create bearer: got %s", ans.resp.MessageTypeName())
	}
	if cause, err := gtpv2c.CauseOf(cb.Cause); err != nil || cause != gtpv2.CauseRequestAccepted {
		t.Fatalf("create bearer answered cause %d (%v), want 16", cause, err)
	}
	// The MME answered before the SGW did: its bearer is recorded.
	select {
	case db := <-mme.Bearers:
		if db.MMETEID != cs.p.MMETEID || db.EBI != 6 {
			t.Errorf("bearer %+v, want EBI 6 on MME TEID %#x", db, cs.p.MMETEID)
		}
	default:
		t.Error("the MME got no Create Bearer Request")
	}
	sgwtest.WaitMetric(t, sgwNF.Ops(), "corebox_sgw_bearers", 2)
}
