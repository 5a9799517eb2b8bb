package pfcp

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wmnsk/go-pfcp/ie"
	"github.com/wmnsk/go-pfcp/message"
)

var loopbackAddr = netip.MustParseAddr("127.0.0.1")

func TestSessionLifecycle(t *testing.T) {
	ups := make(chan PeerInfo, 1)
	upRecovery := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cp, up, rec := pair(t, Config{}, Config{RecoveryTime: upRecovery, OnAssociationUp: func(p PeerInfo) { ups <- p }})
	if p := recv(t, ups); p.Addr != cp.LocalAddr() || p.NodeID != "127.0.0.1" {
		t.Fatalf("UP saw association from %+v", p)
	}
	if !cp.Associated(up.LocalAddr()) || !up.Associated(cp.LocalAddr()) {
		t.Fatal("association not recorded on both sides")
	}

	// Establish: the rules arrive intact and CHOOSE is answered.
	want := fullSession()
	res, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &want)
	if err != nil {
		t.Fatal(err)
	}
	if res.UPSEID == 0 || res.CPSEID == 0 || res.UPAddr != loopbackAddr {
		t.Fatalf("establish result %+v", res)
	}
	wantCreated := []CreatedPDR{{ID: 1, LocalFTEID: &FTEID{TEID: 0x1001, IPv4: upfN3}}}
	if !reflect.DeepEqual(res.CreatedPDRs, wantCreated) {
		t.Fatalf("created PDRs %s", show(res.CreatedPDRs))
	}
	want.CPSEID, want.UPSEID = res.CPSEID, res.UPSEID
	if got := rec.sessions(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("UP got %s\nwant %s", show(got), show(want))
	}

	// Modify: the gNB's F-TEID arrives for the downlink FAR.
	mod := Modification{
		UpdateFARs: []UpdateFAR{{ID: 2, ApplyAction: ActionForward, Forwarding: &ForwardingParameters{
			DestinationInterface: InterfaceAccess, OuterHeaderCreation: &OuterHeaderCreation{TEID: 0x77, IPv4: gnbAddr}}}},
		UpdateQERs: []UpdateQER{{ID: 1, MBR: &Bitrate{UL: 1, DL: 2}}},
		RemoveURRs: []uint32{2},
	}
	if _, err := cp.ModifySession(ctxT(t), res.CPSEID, &mod); err != nil {
		t.Fatal(err)
	}
	mod.CPSEID, mod.UPSEID = res.CPSEID, res.UPSEID
	if got := rec.modifications(); len(got) != 1 || !reflect.DeepEqual(got[0], mod) {
		t.Fatalf("UP got %s\nwant %s", show(got), show(mod))
	}

	// Delete: the final usage reports come back.
	final := []UsageReport{{URRID: 1, URSEQN: 4, Trigger: UsageTermination,
		Volume: &VolumeMeasurement{Total: 1500, Uplink: 500, Downlink: 1000, TotalPackets: 3, UplinkPackets: 1, DownlinkPackets: 2}}}
	rec.set(0, final)
	reports, err := cp.DeleteSession(ctxT(t), res.CPSEID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(reports, final) || !reflect.DeepEqual(rec.deletions(), []uint64{res.UPSEID}) {
		t.Fatalf("reports %s, deleted %v", show(reports), rec.deletions())
	}
	if _, err := cp.ModifySession(ctxT(t), res.CPSEID, &mod); !errors.Is(err, ErrUnknownSession) {
		t.Fatalf("modify after delete: %v", err)
	}
}

func TestRetransmissionWhenRequestLost(t *testing.T) {
	lossy := listenLossy(t, "127.0.0.1:0")
	cp, up, rec := pair(t, Config{Conn: lossy}, Config{})
	lossy.setDrop(dropFirst(message.MsgTypeSessionEstablishmentRequest, 1))
	before := cp.Stats().Retransmissions.Load()
	s := fullSession()
	if _, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &s); err != nil {
		t.Fatal(err)
	}
	// A slow machine may retransmit more than once; the session is still
	// installed exactly once.
	retransmitted := cp.Stats().Retransmissions.Load() - before
	if lossy.droppedCount() != 1 || retransmitted < 1 || rec.establishedCount() != 1 {
		t.Fatalf("dropped %d, retransmitted %d, executed %d", lossy.droppedCount(), retransmitted, rec.establishedCount())
	}
}

func TestDuplicateRequestNotExecutedTwice(t *testing.T) {
	lossy := listenLossy(t, "127.0.0.1:0")
	cp, up, rec := pair(t, Config{}, Config{Conn: lossy})
	lossy.setDrop(dropFirst(message.MsgTypeSessionEstablishmentResponse, 1))
	s := fullSession()
	res, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &s)
	if err != nil {
		t.Fatal(err)
	}
	if rec.establishedCount() != 1 || up.Stats().DuplicateRequests.Load() < 1 {
		t.Fatalf("executed %d times, %d duplicates", rec.establishedCount(), up.Stats().DuplicateRequests.Load())
	}
	if got := rec.sessions()[0].UPSEID; res.UPSEID != got {
		t.Fatalf("cached answer has UP SEID %#x, session %#x", res.UPSEID, got)
	}
}

func TestRequestTimesOut(t *testing.T) {
	lossy := listenLossy(t, "127.0.0.1:0")
	cp, up, _ := pair(t, Config{Conn: lossy, N1: 2}, Config{})
	lossy.setDrop(dropType(message.MsgTypeSessionEstablishmentRequest))
	s := fullSession()
	_, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &s)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("establish into the void: %v", err)
	}
	if lossy.droppedCount() != 3 || cp.Stats().Timeouts.Load() != 1 {
		t.Fatalf("sent %d times, %d timeouts", lossy.droppedCount(), cp.Stats().Timeouts.Load())
	}
}

func TestHeartbeatsBothWaysAndLoss(t *testing.T) {
	downs := make(chan PeerInfo, 1)
	lossy := listenLossy(t, "127.0.0.1:0")
	hb := Config{HeartbeatInterval: 10 * time.Millisecond, T1: 50 * time.Millisecond, HeartbeatMissed: 3}
	cpCfg := hb
	cpCfg.OnAssociationDown = func(p PeerInfo) { downs <- p }
	upCfg := hb
	upCfg.Conn = lossy
	cp, up, _ := pair(t, cpCfg, upCfg)
	waitFor(t, "heartbeats answered both ways", func() bool {
		return cp.Stats().RxResponses.Load() >= 3 && up.Stats().RxResponses.Load() >= 2
	})
	lossy.setDrop(dropType(message.MsgTypeHeartbeatResponse))
	if p := recv(t, downs); p.Addr != up.LocalAddr() {
		t.Fatalf("association down for %+v", p)
	}
	if cp.Associated(up.LocalAddr()) || cp.Stats().HeartbeatsMissed.Load() < 3 {
		t.Fatalf("still associated or only %d missed", cp.Stats().HeartbeatsMissed.Load())
	}
	s := fullSession()
	if _, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &s); !errors.Is(err, ErrNotAssociated) {
		t.Fatalf("establish after association loss: %v", err)
	}
}

func TestPeerRestartDetected(t *testing.T) {
	type restart struct {
		info     PeerInfo
		previous time.Time
	}
	restarts := make(chan restart, 1)
	first := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	cp, _ := startNode(t, Config{Role: RoleCP, HeartbeatInterval: 10 * time.Millisecond, HeartbeatMissed: 1000,
		OnPeerRestart: func(p PeerInfo, prev time.Time) { restarts <- restart{p, prev} }})
	up1, stopUP1 := startNode(t, Config{Role: RoleUP, UP: &recordingUP{}, RecoveryTime: first})
	addr := up1.LocalAddr()
	if _, err := cp.Associate(ctxT(t), addr); err != nil {
		t.Fatal(err)
	}
	stopUP1()
	second := first.Add(time.Minute)
	startNode(t, Config{Role: RoleUP, UP: &recordingUP{}, RecoveryTime: second, Addr: addr.String()})
	r := recv(t, restarts)
	if !r.previous.Equal(first) || !r.info.RecoveryTime.Equal(second) || r.info.Addr != addr {
		t.Fatalf("restart %+v", r)
	}
	if cp.Stats().PeerRestarts.Load() != 1 {
		t.Fatalf("%d restarts counted", cp.Stats().PeerRestarts.Load())
	}
}

func TestSessionReportRoundTrip(t *testing.T) {
	type got struct {
		peer   netip.AddrPort
		cpSEID uint64
		report *SessionReport
	}
	reports := make(chan got, 2)
	var answer atomic.Uint32 // the CP's cause; 0 accepts
	cp, up, rec := pair(t, Config{OnSessionReport: func(_ context.Context, peer netip.AddrPort, cpSEID uint64, r *SessionReport) Cause {
		reports <- got{peer, cpSEID, r}
		if c := Cause(answer.Load()); c != 0 {
			return c
		}
		return CauseRequestAccepted
	}}, Config{})
	s := fullSession()
	res, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &s)
	if err != nil {
		t.Fatal(err)
	}
	report := SessionReport{Type: ReportDownlinkData, DownlinkData: &DownlinkDataReport{PDRIDs: []uint16{2}}}
	if err := up.SendSessionReport(ctxT(t), rec.sessions()[0].UPSEID, &report); err != nil {
		t.Fatal(err)
	}
	g := recv(t, reports)
	if g.peer != up.LocalAddr() || g.cpSEID != res.CPSEID || !reflect.DeepEqual(*g.report, report) {
		t.Fatalf("CP got %s from %s for %#x", show(g.report), g.peer, g.cpSEID)
	}

	answer.Store(uint32(CauseRequestRejected))
	err = up.SendSessionReport(ctxT(t), res.UPSEID, &report)
	if CauseOf(err) != CauseRequestRejected {
		t.Fatalf("rejected report: %v", err)
	}
	recv(t, reports)
	if err := up.SendSessionReport(ctxT(t), 0xbad, &report); !errors.Is(err, ErrUnknownSession) {
		t.Fatalf("report for unknown session: %v", err)
	}
}

func TestUnknownSEIDAnswered(t *testing.T) {
	cp, up, _ := pair(t, Config{}, Config{})
	cases := []struct {
		name string
		dst  *Node
		req  message.Message
	}{
		{"modification", up, message.NewSessionModificationRequest(0, 0, 0xdead, 1, 0)},
		{"deletion", up, message.NewSessionDeletionRequest(0, 0, 0xdead, 2, 0)},
		{"report", cp, message.NewSessionReportRequest(0, 0, 0xdead, 3, 0, ie.NewReportType(0, 0, 0, 1))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := rawExchange(t, tc.dst.LocalAddr(), tc.req)
			c, seid := responseCause(t, resp)
			if c != CauseSessionContextNotFound || seid != 0 || resp.Sequence() != tc.req.Sequence() {
				t.Fatalf("answer %s: cause %s SEID %#x seq %d", resp.MessageTypeName(), c, seid, resp.Sequence())
			}
		})
	}
	if up.Stats().UnknownSEID.Load() != 2 || cp.Stats().UnknownSEID.Load() != 1 {
		t.Fatalf("unknown SEIDs counted: UP %d CP %d", up.Stats().UnknownSEID.Load(), cp.Stats().UnknownSEID.Load())
	}
}

// responseCause reads the Cause and header SEID of a session response.
func responseCause(t *testing.T, m message.Message) (Cause, uint64) {
	t.Helper()
	var c *ie.IE
	switch r := m.(type) {
	case *message.SessionEstablishmentResponse:
		c = r.Cause
	case *message.SessionModificationResponse:
		c = r.Cause
	case *message.SessionDeletionResponse:
		c = r.Cause
	case *message.SessionReportResponse:
		c = r.Cause
	default:
		t.Fatalf("unexpected %s", m.MessageTypeName())
	}
	cause, err := causeIE(c)
	if err != nil {
		t.Fatal(err)
	}
	return cause, m.SEID()
}

func TestEstablishmentRejections(t *testing.T) {
	cp, up, rec := pair(t, Config{}, Config{})
	fseid := ie.NewFSEID(0x42, ip4(loopbackAddr), nil)
	nodeID := ie.NewNodeID("127.0.0.1", "", "")
	t.Run("no association", func(t *testing.T) {
		req := message.NewSessionEstablishmentRequest(0, 0, 0, 1, 0, nodeID, fseid)
		if c, seid := responseCause(t, rawExchange(t, up.LocalAddr(), req)); c != CauseNoEstablishedPFCPAssociation || seid != 0x42 {
			t.Fatalf("cause %s SEID %#x", c, seid)
		}
	})
	t.Run("missing F-SEID", func(t *testing.T) {
		req := message.NewSessionEstablishmentRequest(0, 0, 0, 2, 0, nodeID)
		resp := rawExchange(t, up.LocalAddr(), req).(*message.SessionEstablishmentResponse)
		if err := checkCause(resp.Cause, resp.OffendingIE); CauseOf(err) != CauseMandatoryIEMissing ||
			err.(*CauseError).OffendingIE != ie.FSEID {
			t.Fatalf("answer %v", err)
		}
	})
	t.Run("PDR without PDI", func(t *testing.T) {
		// Sent through the CP node so that the association holds.
		cpSEID := uint64(0x99)
		bad := ie.NewCreatePDR(ie.NewPDRID(1), ie.NewPrecedence(1))
		req := message.NewSessionEstablishmentRequest(0, 0, 0, 0, 0, nodeID, ie.NewFSEID(cpSEID, ip4(loopbackAddr), nil), bad)
		resp, err := cp.request(ctxT(t), up.LocalAddr(), req, cp.cfg.N1)
		if err != nil {
			t.Fatal(err)
		}
		r := resp.(*message.SessionEstablishmentResponse)
		err = checkCause(r.Cause, r.OffendingIE)
		if CauseOf(err) != CauseMandatoryIEMissing || err.(*CauseError).OffendingIE != ie.PDI || r.SEID() != cpSEID {
			t.Fatalf("answer %v SEID %#x", err, r.SEID())
		}
	})
	t.Run("handler refuses", func(t *testing.T) {
		rec.set(CauseRuleCreationModificationFailure, nil)
		s := fullSession()
		_, err := cp.EstablishSession(ctxT(t), up.LocalAddr(), &s)
		if CauseOf(err) != CauseRuleCreationModificationFailure {
			t.Fatalf("establish: %v", err)
		}
	})
}

func TestAssociationRejectsSameRole(t *testing.T) {
	a, _ := startNode(t, Config{Role: RoleCP})
	b, _ := startNode(t, Config{Role: RoleCP})
	_, err := a.Associate(ctxT(t), b.LocalAddr())
	if CauseOf(err) != CauseRequestRejected || a.Associated(b.LocalAddr()) || b.Associated(a.LocalAddr()) {
		t.Fatalf("CP with CP: %v", err)
	}
}

func TestMalformedAndUnsupportedCounted(t *testing.T) {
	up, _ := startNode(t, Config{Role: RoleUP, UP: &recordingUP{}})
	raw := listenLossy(t, "127.0.0.1:0")
	defer raw.Close()
	hb, _ := marshal(message.NewHeartbeatRequest(1, ie.NewRecoveryTimeStamp(time.Now()), nil))
	pfd, _ := marshal(message.NewPFDManagementRequest(2))
	for _, b := range [][]byte{
		{0x20, 1, 0},                    // too short
		append(hb[:len(hb):len(hb)], 0), // trailing octet: length field disagrees
		{0x40, 1, 0, 4, 0, 0, 1, 0},     // version 2
		{0x21, 1, 0, 4, 0, 0, 1, 0},     // heartbeat with S flag
		{0x20, 99, 0, 4, 0, 0, 1, 0},    // unknown type
		pfd,                             // a request we do not serve
	} {
		if _, err := raw.WriteToUDPAddrPort(b, up.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	s := up.Stats()
	waitFor(t, "6 datagrams counted", func() bool { return s.Malformed.Load()+s.Unsupported.Load() == 6 })
	if s.Malformed.Load() != 4 || s.Unsupported.Load() != 2 || s.RxRequests.Load() != 0 {
		t.Fatalf("malformed %d unsupported %d handled %d", s.Malformed.Load(), s.Unsupported.Load(), s.RxRequests.Load())
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]Config{
		"no role":         {Addr: "127.0.0.1:0"},
		"UP without hook": {Role: RoleUP, Addr: "127.0.0.1:0"},
		"wildcard, no id": {Role: RoleCP, Addr: "0.0.0.0:0"},
		"negative N1":     {Role: RoleCP, Addr: "127.0.0.1:0", N1: -1},
	}
	for name, cfg := range cases {
		if n, err := New(cfg); err == nil {
			n.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	n, err := New(Config{Role: RoleCP, Addr: "0.0.0.0:0", NodeID: "smf.example", FSEIDAddr: loopbackAddr})
	if err != nil {
		t.Fatalf("FQDN node ID: %v", err)
	}
	n.Close()
}
