package pgw_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

const pcrfHost = "pcrf.epc.corebox"

// fakePCRF answers CCRs from the PGW (granting QCI 5 to default bearers)
// and sends it RARs.
type fakePCRF struct {
	srv  *diameter.Server
	addr string
	ccrs chan *diameter.CCR
	// atStart are the rules every CCA-I installs.
	atStart []diameter.ChargingRule
}

func startPCRF(t *testing.T, atStart ...diameter.ChargingRule) *fakePCRF {
	t.Helper()
	srv, err := diameter.NewServer(diameter.PeerConfig{OriginHost: pcrfHost, OriginRealm: "epc.corebox",
		Applications: []uint32{diameter.AppGx}}, diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePCRF{srv: srv, ccrs: make(chan *diameter.CCR, 16), atStart: atStart}
	srv.Handle(diameter.AppGx, diameter.CmdCreditControl, p.serveCCR)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake PCRF: %v", err)
		}
	})
	return p
}

func (p *fakePCRF) serveCCR(_ context.Context, _ *diameter.Peer, req *diam.Message) (*diam.Message, error) {
	ccr, err := diameter.ParseCCR(req)
	if err != nil {
		return nil, err
	}
	p.ccrs <- ccr
	cca := &diameter.CCA{AnswerHeader: diameter.AnswerHeader{SessionID: ccr.SessionID, OriginHost: pcrfHost,
		OriginRealm: "epc.corebox", Result: diameter.Success}, RequestType: ccr.RequestType, RequestNumber: ccr.RequestNumber}
	if ccr.RequestType == diameter.CCRequestInitial {
		cca.DefaultBearerQoS = &diameter.BearerQoS{QCI: 5, ARP: diameter.ARP{PriorityLevel: 3,
			PreemptionCapability: diameter.PreemptionCapabilityDisabled, PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}}
		cca.QoS = &diameter.QoSInformation{APNAMBRUL: 20_000_000, APNAMBRDL: 40_000_000}
		cca.Install = p.atStart
	}
	return cca.Build()
}

// rar sends a RAR for session and returns the RAA's result code.
func (p *fakePCRF) rar(t *testing.T, session string, u diameter.PolicyUpdate) uint32 {
	t.Helper()
	peer, ok := p.srv.Peer("pgw.epc.corebox")
	if !ok {
		t.Fatal("the PGW is not connected to the PCRF")
	}
	r := &diameter.RAR{RequestHeader: diameter.RequestHeader{SessionID: session, OriginHost: pcrfHost,
		OriginRealm: "epc.corebox", DestinationRealm: "epc.corebox", DestinationHost: "pgw.epc.corebox"},
		ReAuthRequestType: diameter.ReAuthAuthorizeOnly, PolicyUpdate: u}
	m, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	ans, err := peer.Request(ctxT(t), m)
	if err != nil {
		t.Fatal(err)
	}
	raa, err := diameter.ParseRAA(ans)
	if err != nil {
		t.Fatal(err)
	}
	return raa.Result.Code
}

func (p *fakePCRF) next(t *testing.T) *diameter.CCR {
	t.Helper()
	select {
	case c := <-p.ccrs:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no CCR")
		return nil
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// With gx enabled: CCR-I decides the default bearer's QoS, a RAR's rule
// becomes a dedicated bearer at the MME (and its removal a Delete
// Bearer), CCR-T ends the policy session.
func TestGx(t *testing.T) {
	pcrf := startPCRF(t)
	b := gtpv2ctest.NewBlock(t)
	mme, enb := sgwtest.StartMME(t, b), sgwtest.StartENB(t, b)
	pcfg := pgwtest.Config(b, mme.Port(), enb.Port())
	pcfg.Gx.Enabled = true
	pcfg.Gx.Peer = pcrf.addr
	pgwNF, _ := pgwtest.Start(t, pcfg)
	sgwNF, _ := sgwtest.Start(t, sgwtest.Config(b, mme.Port(), enb.Port()))
	mme.SGW = sgwNF.Addrs().S11

	const imsi = "001010000000042"
	p, err := mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: imsi, APN: "ims", PGW: b.Addr(pgwtest.Index)})
	if err != nil || p.Cause != 16 {
		t.Fatalf("create: %+v, %v", p, err)
	}
	ccrI := pcrf.next(t)
	if ccrI.RequestType != diameter.CCRequestInitial || ccrI.RequestNumber != 0 || ccrI.APN != "ims" ||
		ccrI.FramedIP != p.UE || len(ccrI.Subscriptions) == 0 || ccrI.Subscriptions[0].Data != imsi {
		t.Fatalf("CCR-I %+v", ccrI)
	}
	bc, err := gtpv2c.Children(p.Resp.BearerContextsCreated[0])
	if err != nil {
		t.Fatal(err)
	}
	if qci, _ := bc.Get(80, 0).QCILabel(); qci != 5 {
		t.Errorf("default bearer QCI %d, want the PCRF's 5", qci)
	}
	if up, _ := p.Resp.AMBR.AggregateMaximumBitRateUp(); up != 20000 {
		t.Errorf("APN-AMBR up %d kbps, want the PCRF's 20000", up)
	}
	if cause, err := mme.ModifyBearer(ctxT(t), p, map[uint8]uint32{p.EBI: 0x100}); err != nil || cause != 16 {
		t.Fatalf("modify: %d, %v", cause, err)
	}

	voice := diameter.ChargingRule{Name: "voice", Precedence: 10,
		Flows: []diameter.Flow{
			{Description: "permit out 17 from 10.47.0.10 5004 to " + p.UE.String() + " 6000", Direction: diameter.FlowDirectionDownlink},
			{Description: "permit out 17 from " + p.UE.String() + " 6000 to 10.47.0.10 5004", Direction: diameter.FlowDirectionUplink}},
		QoS: &diameter.QoSInformation{QCI: 1, MaxReqBandwidthUL: 128000, MaxReqBandwidthDL: 128000,
			GuaranteedBitrateUL: 64000, GuaranteedBitrateDL: 64000,
			ARP: &diameter.ARP{PriorityLevel: 2, PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}}}
	if code := pcrf.rar(t, ccrI.SessionID, diameter.PolicyUpdate{Install: []diameter.ChargingRule{voice}}); code != diameter.ResultSuccess {
		t.Fatalf("RAA %d", code)
	}
	var db sgwtest.Bearer
	select {
	case db = <-mme.Bearers:
	case <-ctxT(t).Done():
		t.Fatal("no dedicated bearer at the MME")
	}
	if qci, _ := db.QoS.QCILabel(); qci != 1 || db.EBI != 6 {
		t.Errorf("bearer EBI %d QCI %d", db.EBI, qci)
	}
	if gbr, _ := db.QoS.GBRForUplink(); gbr != 64 {
		t.Errorf("GBR up %d kbps, want 64", gbr)
	}
	tft, err := db.TFT.TrafficFlowTemplate()
	if err != nil || len(tft.PacketFilters) != 1 {
		t.Errorf("TFT %+v, %v: want the two directions as one filter", tft, err)
	}
	sgwtest.WaitMetric(t, pgwNF.Ops(), `corebox_pgw_dedicated_bearers_total{result="created"}`, 1)
	ue := netip.AddrPortFrom(p.UE, 6000)
	if err := pgwNF.MemoryDevice("ims").Inject(ctxT(t), sgwtest.UDPPacket(netip.MustParseAddrPort("10.47.0.10:5004"), ue, []byte("rtp"))); err != nil {
		t.Fatal(err)
	}
	if teid, _, err := enb.Recv(5 * time.Second); err != nil || teid != db.ENBTEID {
		t.Errorf("downlink RTP on TEID %#x (%v), want the dedicated bearer's %#x", teid, err, db.ENBTEID)
	}

	// A rule that cannot be installed is reported with a CCR-U.
	bad := diameter.ChargingRule{Name: "bad", Flows: []diameter.Flow{{Description: "permit out 17 from nowhere to any"}},
		QoS: &diameter.QoSInformation{QCI: 2}}
	if code := pcrf.rar(t, ccrI.SessionID, diameter.PolicyUpdate{Install: []diameter.ChargingRule{bad}}); code != diameter.ResultSuccess {
		t.Fatalf("RAA %d", code)
	}
	if ccrU := pcrf.next(t); ccrU.RequestType != diameter.CCRequestUpdate || ccrU.RequestNumber != 1 {
		t.Errorf("CCR-U %+v", ccrU)
	}

	if code := pcrf.rar(t, "pgw.epc.corebox;1;424242", diameter.PolicyUpdate{Remove: []string{"voice"}}); code != 5002 {
		t.Errorf("RAR for an unknown session: RAA %d, want 5002", code)
	}
	if code := pcrf.rar(t, ccrI.SessionID, diameter.PolicyUpdate{Remove: []string{"voice"}}); code != diameter.ResultSuccess {
		t.Fatalf("RAA %d", code)
	}
	select {
	case ebis := <-mme.BearerDeletes:
		if len(ebis) != 1 || ebis[0] != 6 {
			t.Errorf("deleted %v", ebis)
		}
	case <-ctxT(t).Done():
		t.Fatal("no Delete Bearer at the MME")
	}

	if cause, err := mme.DeleteSession(ctxT(t), p); err != nil || cause != 16 {
		t.Fatalf("delete: %d, %v", cause, err)
	}
	ccrT := pcrf.next(t)
	if ccrT.RequestType != diameter.CCRequestTermination || ccrT.SessionID != ccrI.SessionID || ccrT.RequestNumber != 2 {
		t.Errorf("CCR-T %+v", ccrT)
	}
	if pgwNF.Sessions() != 0 {
		t.Errorf("%d sessions left", pgwNF.Sessions())
	}
}

// Rules in the CCA-I get their dedicated bearer right after the Create
// Session Response.
func TestGxRulesAtStart(t *testing.T) {
	video := diameter.ChargingRule{Name: "video", Precedence: 20,
		Flows: []diameter.Flow{{Description: "permit out 17 from 192.0.2.20 to assigned 7000"}},
		QoS:   &diameter.QoSInformation{QCI: 2, GuaranteedBitrateUL: 1_000_000, GuaranteedBitrateDL: 2_000_000}}
	pcrf := startPCRF(t, video)
	b := gtpv2ctest.NewBlock(t)
	mme, enb := sgwtest.StartMME(t, b), sgwtest.StartENB(t, b)
	pcfg := pgwtest.Config(b, mme.Port(), enb.Port())
	pcfg.Gx.Enabled, pcfg.Gx.Peer = true, pcrf.addr
	pgwNF, _ := pgwtest.Start(t, pcfg)
	sgwNF, _ := sgwtest.Start(t, sgwtest.Config(b, mme.Port(), enb.Port()))
	mme.SGW = sgwNF.Addrs().S11
	p, err := mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: "001010000000043", APN: "internet", PGW: b.Addr(pgwtest.Index)})
	if err != nil || p.Cause != 16 {
		t.Fatalf("create: %+v, %v", p, err)
	}
	select {
	case db := <-mme.Bearers:
		if qci, _ := db.QoS.QCILabel(); qci != 2 || db.MMETEID != p.MMETEID {
			t.Errorf("bearer %+v QCI %d", db, qci)
		}
		if gbr, _ := db.QoS.GBRForDownlink(); gbr != 2000 {
			t.Errorf("GBR down %d kbps, want 2000", gbr)
		}
	case <-ctxT(t).Done():
		t.Fatal("no dedicated bearer for the CCA-I's rule")
	}
	sgwtest.WaitMetric(t, pgwNF.Ops(), "corebox_pgw_bearers", 2)
}
