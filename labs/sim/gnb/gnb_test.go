package gnb

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

func TestConfigValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"no amf":         {func(c *Config) { c.AMF = nil }, "amf: name at least one AMF"},
		"amf hostname":   {func(c *Config) { c.AMF = AddrList{"amf.local:38412"} }, "want an IP address"},
		"gnb id bits":    {func(c *Config) { c.GNBIDBits = 21 }, "gnb_id_bits 21"},
		"gnb id size":    {func(c *Config) { c.GNBIDBits, c.GNBID = 22, 1<<22 }, "does not fit"},
		"plmn":           {func(c *Config) { c.PLMN.MNC = "1" }, "plmn:"},
		"tac":            {func(c *Config) { c.TAC = 1 << 24 }, "tac"},
		"slice sd":       {func(c *Config) { c.Slices = []Slice{{SST: 1, SD: "xyz"}} }, "slices[0]: sd"},
		"no slices":      {func(c *Config) { c.Slices = nil }, "slices: name at least one"},
		"paging drx":     {func(c *Config) { c.PagingDRX = 100 }, "paging_drx 100"},
		"radio listen":   {func(c *Config) { c.Radio.Listen = "ran:4997" }, "radio.listen"},
		"advertise":      {func(c *Config) { c.GTPU.Advertise = "::1" }, "gtpu.advertise"},
		"peer port":      {func(c *Config) { c.GTPU.PeerPort = 0 }, "gtpu.peer_port"},
		"max ues":        {func(c *Config) { c.MaxUEs = 0 }, "max_ues"},
		"sctp mode":      {func(c *Config) { c.SCTP.Mode = "tcp" }, "sctp mode"},
		"default amf ok": {func(c *Config) {}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig("127.0.0.1")
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDefaultsNeedOnlyAddresses(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "amf") {
		t.Fatalf("defaults without an AMF validate: %v", err)
	}
	cfg.AMF = AddrList{"10.0.0.1"}
	cfg.Radio.Listen, cfg.GTPU.Listen = "10.0.9.2:4997", "10.0.3.2:2152"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if a, _ := amfAddr("10.0.0.1"); a != "10.0.0.1:38412" {
		t.Errorf("bare AMF address became %s", a)
	}
}

// TestNGSetup: the request carries the configured identity, a failure's
// TimeToWait is honoured, and the gNB is ready once an AMF accepts.
func TestNGSetup(t *testing.T) {
	nfkittest.NoLeaks(t)
	p := newPeer(t)
	n := startGNB(t, testConfig(p.addr()))
	p.accept()
	req := expect[*n2.NGSetupRequest](p)
	want := n2.GlobalGNBID{PLMN: testPLMN, ID: 0x42, IDBits: 24}
	if req.GlobalGNBID != want || req.RANNodeName != "test-gnb" || req.PagingDRX != n2.PagingDRX128 {
		t.Errorf("NG Setup Request %+v", req)
	}
	if len(req.SupportedTAs) != 1 || req.SupportedTAs[0].TAC != 7 ||
		len(req.SupportedTAs[0].PLMNs) != 1 || req.SupportedTAs[0].PLMNs[0].PLMN != testPLMN ||
		len(req.SupportedTAs[0].PLMNs[0].Slices) != 1 || req.SupportedTAs[0].PLMNs[0].Slices[0] != (n2.SNSSAI{SST: 1, SD: 0x010203, HasSD: true}) {
		t.Errorf("supported TAs %+v", req.SupportedTAs)
	}
	if ok, _ := n.Ready(); ok {
		t.Fatal("ready before NG Setup succeeded")
	}
	refused := time.Now()
	p.send(&n2.NGSetupFailure{Cause: n2.CauseMiscUnspecified, TimeToWait: 1})
	p.setUp()
	if waited := time.Since(refused); waited < time.Second {
		t.Errorf("retried after %v, before TimeToWait", waited)
	}
	nfkittest.Eventually(t, waitFor, "gnb ready", func() bool { ok, _ := n.Ready(); return ok })
	if got := gather(t, n.Ops().Registry(), "corebox_gnb_ng_setup_failures_total"); got != 1 {
		t.Errorf("setup failures = %v", got)
	}
}

func registrationRequestPDU(t testing.TB) []byte {
	t.Helper()
	out, err := nas5g.NullSchemeOutput("0000000001")
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&nas5g.RegistrationRequest{RegistrationType: nas5g.RegistrationInitial, NgKSI: nas5g.NoKey,
		Identity:           nas5g.UEIdentity{SUCI: &nas5g.SUCI{PLMN: testPLMN, RoutingIndicator: "0", SchemeOutput: out}},
		SecurityCapability: &nas5g.UESecurityCapability{EA: 0xF0, IA: 0x70}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serviceRequestPDU(t testing.TB, s nas5g.STMSI) []byte {
	t.Helper()
	plain, err := (&nas5g.ServiceRequest{NgKSI: nas5g.KSI{Value: 1}, ServiceType: nas5g.ServiceData, STMSI: s}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	sc := &nas5g.SecurityContext{IntAlg: nas5g.NIA2, EncAlg: nas5g.NEA2, Direction: nas5g.Uplink}
	pdu, err := sc.Protect(plain, nas5g.IntegrityProtected)
	if err != nil {
		t.Fatal(err)
	}
	return pdu
}

// connected is a gNB with an AMF peer and one fake UE past its Initial UE
// Message; the peer has named AMF UE NGAP ID 77.
type connected struct {
	n   *NF
	p   *peer
	ue  *fakeUE
	ids n2.UEIDs
}

func connect(t *testing.T, edit ...func(*Config)) connected {
	p := newPeer(t)
	cfg := testConfig(p.addr())
	for _, e := range edit {
		e(&cfg)
	}
	n := startGNB(t, cfg)
	p.setUp()
	nfkittest.Eventually(t, waitFor, "gnb ready", func() bool { ok, _ := n.Ready(); return ok })
	u := newFakeUE(t, n)
	nas := registrationRequestPDU(t)
	u.send(radio.Message{Type: radio.Connect, UE: 5, Body: nas})
	init := expect[*n2.InitialUEMessage](p)
	if !bytes.Equal(init.NASPDU, nas) || init.RRCCause != n2.RRCMOSignalling || init.STMSI != nil ||
		init.Location.TAI.TAC != 7 || init.Location.NRCGI.CellID != 16 {
		t.Fatalf("Initial UE Message %+v", init)
	}
	return connected{n: n, p: p, ue: u, ids: n2.UEIDs{AMFUENGAPID: 77, RANUENGAPID: init.RANUENGAPID}}
}

// TestUEAssociatedSignalling: NAS relay both ways, Initial Context Setup,
// UE-requested release and the AMF's release command.
func TestUEAssociatedSignalling(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.p.send(&n2.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x7e, 0x00, 0x56}})
	if m := c.ue.expect(radio.DownlinkNAS); !bytes.Equal(m.Body, []byte{0x7e, 0x00, 0x56}) || m.UE != 5 {
		t.Errorf("downlink nas %+v", m)
	}
	c.ue.send(radio.Message{Type: radio.UplinkNAS, UE: 5, Body: []byte{0x7e, 0x00, 0x57}})
	if ul := expect[*n2.UplinkNASTransport](c.p); ul.UEIDs != c.ids || !bytes.Equal(ul.NASPDU, []byte{0x7e, 0x00, 0x57}) {
		t.Errorf("uplink nas transport %+v", ul)
	}
	c.p.send(&n2.InitialContextSetupRequest{UEIDs: c.ids, GUAMI: n2.GUAMI{PLMN: testPLMN, RegionID: 1, SetID: 3, Pointer: 4},
		AllowedNSSAI: []n2.SNSSAI{{SST: 1}}, SecurityKey: [32]byte{1, 2, 3}, NASPDU: []byte{0x7e, 0x02}})
	c.ue.expect(radio.DownlinkNAS)
	if r := expect[*n2.InitialContextSetupResponse](c.p); r.UEIDs != c.ids || len(r.Sessions)+len(r.Failed) != 0 {
		t.Errorf("initial context setup response %+v", r)
	}
	c.ue.send(radio.Message{Type: radio.Inactive, UE: 5})
	rr := expect[*n2.UEContextReleaseRequest](c.p)
	if rr.UEIDs != c.ids || rr.Cause != n2.CauseUserInactivity {
		t.Errorf("release request %+v", rr)
	}
	c.p.send(&n2.UEContextReleaseCommand{UEIDs: c.ids, Cause: n2.CauseUserInactivity})
	c.ue.expect(radio.Release)
	if rc := expect[*n2.UEContextReleaseComplete](c.p); rc.UEIDs != c.ids {
		t.Errorf("release complete %+v", rc)
	}
	if c.n.ConnectedUEs() != 0 {
		t.Errorf("%d UE contexts after release", c.n.ConnectedUEs())
	}
	// The AMF names a UE we no longer hold: Error Indication.
	c.p.send(&n2.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x7e, 0x00, 0x56}})
	ei := expect[*n2.ErrorIndication](c.p)
	if ei.Cause == nil || *ei.Cause != n2.CauseUnknownLocalUENGAPID || ei.RANUENGAPID == nil || *ei.RANUENGAPID != c.ids.RANUENGAPID {
		t.Errorf("error indication %+v", ei)
	}
	// Data or NAS from a UE without context: it is told it is released.
	c.ue.send(radio.Message{Type: radio.UplinkNAS, UE: 5, Body: []byte{1}})
	c.ue.expect(radio.Release)
}

// TestServiceRequestAndPaging: a Service Request's 5G-S-TMSI and cause
// reach the AMF; Paging reaches every UE simulator seen.
func TestServiceRequestAndPaging(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	s := nas5g.STMSI{AMFSetID: 3, AMFPointer: 4, TMSI: 0xC0FFEE}
	c.ue.send(radio.Message{Type: radio.Connect, UE: 6, Body: serviceRequestPDU(t, s)})
	init := expect[*n2.InitialUEMessage](c.p)
	if init.STMSI == nil || *init.STMSI != s || init.RRCCause != n2.RRCMOData {
		t.Errorf("initial ue message for a service request: stmsi %+v cause %d", init.STMSI, init.RRCCause)
	}
	c.p.send(&n2.Paging{STMSI: s, TAIs: []n2.TAI{{PLMN: testPLMN, TAC: 7}}})
	m := c.ue.expect(radio.Paging)
	if want := stmsiBytes(s); !bytes.Equal(m.Body, want[:]) {
		t.Errorf("paging body %x, want %x", m.Body, want)
	}
	c.p.send(&n2.Paging{STMSI: s, TAIs: []n2.TAI{{PLMN: testPLMN, TAC: 8}}}) // not our TA
	c.p.send(&n2.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x7e, 0x00, 0x56}})
	c.ue.expect(radio.DownlinkNAS) // nothing was paged in between
}

// TestUserPlane: PDU Session Resource Setup gives the UE a session whose
// packets travel as G-PDUs with a UL PDU Session Container, both ways.
func TestUserPlane(t *testing.T) {
	nfkittest.NoLeaks(t)
	upf, upfPackets := startUPF(t)
	c := connect(t, func(cfg *Config) { cfg.GTPU.PeerPort = int(upf.LocalAddr().Port()) })
	tr, err := (&n2.SetupRequestTransfer{SessionAMBR: nas5g.AMBR{Uplink: 1e8, Downlink: 1e8},
		ULTunnel: n2.GTPTunnel{Addr: upf.LocalAddr().Addr(), TEID: 0xABC}, PDUSessionType: n2.SessionTypeIPv4,
		QoSFlows: []n2.QoSFlowRequest{{QFI: 9, FiveQI: 9, ARP: n2.ARP{Level: 8}}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	c.p.send(&n2.PDUSessionResourceSetupRequest{UEIDs: c.ids,
		Sessions: []n2.SessionSetupItem{{PDUSessionID: 5, NASPDU: []byte{0x7e, 0x02, 1}, SNSSAI: n2.SNSSAI{SST: 1}, Transfer: tr}}})
	c.ue.expect(radio.DownlinkNAS)
	if m := c.ue.expect(radio.SessionReady); m.Session != 5 {
		t.Errorf("session ready for %d", m.Session)
	}
	resp := expect[*n2.PDUSessionResourceSetupResponse](c.p)
	if len(resp.Sessions) != 1 || resp.Sessions[0].PDUSessionID != 5 {
		t.Fatalf("setup response %+v", resp)
	}
	dl, err := n2.DecodeSetupResponseTransfer(resp.Sessions[0].Transfer)
	if err != nil || dl.DLTunnel.Addr != netip.MustParseAddr("127.0.0.1") || dl.DLTunnel.TEID == 0 || len(dl.QFIs) != 1 || dl.QFIs[0] != 9 {
		t.Fatalf("setup response transfer %+v, %v", dl, err)
	}

	c.ue.send(radio.Message{Type: radio.UplinkData, UE: 5, Session: 5, Body: []byte("uplink packet")})
	got := <-upfPackets
	if got.teid != 0xABC || got.qfi != 9 || got.pduType != gtpu.PDUTypeUL || string(got.payload) != "uplink packet" {
		t.Errorf("upf got %+v", got)
	}
	if err := upf.Send(c.n.N3Addr(), dl.DLTunnel.TEID, 9, []byte("downlink packet")); err != nil {
		t.Fatal(err)
	}
	if m := c.ue.expect(radio.DownlinkData); m.Session != 5 || string(m.Body) != "downlink packet" {
		t.Errorf("downlink data %+v", m)
	}
	reg := c.n.Ops().Registry()
	if gather(t, reg, "corebox_gnb_uplink_packets_total") != 1 || gather(t, reg, "corebox_gnb_downlink_packets_total") != 1 ||
		gather(t, reg, "corebox_gnb_sessions") != 1 {
		t.Error("user-plane metrics do not count the packets")
	}
	c.ue.send(radio.Message{Type: radio.UplinkData, UE: 5, Session: 6, Body: []byte("no such session")})
	nfkittest.Eventually(t, waitFor, "dropped uplink counted", func() bool {
		return gather(t, reg, "corebox_gnb_dropped_total", "reason", dropNoSession) == 1
	})

	c.p.send(&n2.PDUSessionResourceReleaseCommand{UEIDs: c.ids, NASPDU: []byte{0x7e, 0x02, 2},
		Sessions: []n2.SessionTransfer{{PDUSessionID: 5, Transfer: mustEncode(t, &n2.ReleaseCommandTransfer{Cause: n2.CauseNormalRelease})}}})
	c.ue.expect(radio.DownlinkNAS)
	if rr := expect[*n2.PDUSessionResourceReleaseResponse](c.p); len(rr.Sessions) != 1 || rr.Sessions[0].PDUSessionID != 5 {
		t.Errorf("release response %+v", rr)
	}
	if gather(t, reg, "corebox_gnb_sessions") != 0 {
		t.Error("session still counted after release")
	}
	// The released tunnel is gone: the endpoint counts the G-PDU as unknown.
	if err := upf.Send(c.n.N3Addr(), dl.DLTunnel.TEID, 9, []byte("late")); err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, waitFor, "unknown TEID counted", func() bool {
		return gather(t, reg, "corebox_gnb_gtpu_unknown_teid_total") == 1
	})
}

// TestGTPUErrorIndication: the UPF does not know our uplink TEID, so the
// session loses its user plane at the gNB too.
func TestGTPUErrorIndication(t *testing.T) {
	nfkittest.NoLeaks(t)
	upf, _ := startUPF(t)
	c := connect(t, func(cfg *Config) { cfg.GTPU.PeerPort = int(upf.LocalAddr().Port()) })
	tr := mustEncode(t, &n2.SetupRequestTransfer{ULTunnel: n2.GTPTunnel{Addr: upf.LocalAddr().Addr(), TEID: 0xDEAD},
		PDUSessionType: n2.SessionTypeIPv4, QoSFlows: []n2.QoSFlowRequest{{QFI: 1, FiveQI: 9, ARP: n2.ARP{Level: 8}}}})
	c.p.send(&n2.PDUSessionResourceSetupRequest{UEIDs: c.ids,
		Sessions: []n2.SessionSetupItem{{PDUSessionID: 1, SNSSAI: n2.SNSSAI{SST: 1}, Transfer: tr}}})
	c.ue.expect(radio.SessionReady)
	expect[*n2.PDUSessionResourceSetupResponse](c.p)
	ei, err := gtpu.AppendErrorIndication(nil, 1, gtpu.ErrorIndication{TEID: 0xDEAD, PeerAddr: upf.LocalAddr().Addr()})
	if err != nil {
		t.Fatal(err)
	}
	if err := upf.WritePacket(c.n.N3Addr(), ei); err != nil {
		t.Fatal(err)
	}
	reg := c.n.Ops().Registry()
	nfkittest.Eventually(t, waitFor, "session dropped", func() bool { return gather(t, reg, "corebox_gnb_sessions") == 0 })
	if gather(t, reg, "corebox_gnb_error_indications_total", "direction", "rx", "protocol", "gtpu") != 1 {
		t.Error("gtp-u error indication not counted")
	}
}

// TestMalformedInput: garbage on the radio and on N2 is counted, and N2
// garbage is answered with an Error Indication.
func TestMalformedInput(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	reg := c.n.Ops().Registry()
	c.ue.sendRaw([]byte{1, 2, 3})
	c.ue.send(radio.Message{Type: radio.DownlinkNAS, UE: 5, Body: []byte{1}}) // wrong direction
	nfkittest.Eventually(t, waitFor, "malformed radio counted", func() bool {
		return gather(t, reg, "corebox_gnb_malformed_total", "source", "radio") == 2
	})
	c.p.sendRaw([]byte{0x00, 0x0f, 0x40, 0xff, 0xff})
	ei := expect[*n2.ErrorIndication](c.p)
	if ei.Cause == nil || *ei.Cause != n2.CauseTransferSyntaxError {
		t.Errorf("error indication %+v", ei)
	}
	if gather(t, reg, "corebox_gnb_malformed_total", "source", "ngap") != 1 {
		t.Error("malformed ngap not counted")
	}
}

// TestAMFLossReleasesUEs: when the association goes, its UEs are told
// they are released and the gNB associates again.
func TestAMFLossReleasesUEs(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	if err := c.p.conn.Close(); err != nil {
		t.Fatal(err)
	}
	c.ue.expect(radio.Release)
	nfkittest.Eventually(t, waitFor, "contexts dropped", func() bool { return c.n.ConnectedUEs() == 0 })
	c.p.msgs = make(chan n2.Message, 64)
	c.p.setUp()
	nfkittest.Eventually(t, waitFor, "ready again", func() bool { ok, _ := c.n.Ready(); return ok })
}

func mustEncode(t testing.TB, m interface{ Encode() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type gpdu struct {
	teid    uint32
	qfi     uint8
	pduType uint8
	payload []byte
}

// startUPF runs a GTP-U endpoint that reports every G-PDU for TEIDs 0xABC
// and 0xDEAD.
func startUPF(t testing.TB) (*gtpu.Endpoint, chan gpdu) {
	t.Helper()
	return startUPFOn(t, "127.0.0.1:0", 16)
}

// startUPFOn is startUPF at addr, reporting up to backlog G-PDUs unread.
func startUPFOn(t testing.TB, addr string, backlog int) (*gtpu.Endpoint, chan gpdu) {
	t.Helper()
	ep, err := gtpu.New(gtpu.Config{Addr: addr, PDUType: gtpu.PDUTypeDL, Logger: nfkittest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan gpdu, backlog)
	for _, teid := range []uint32{0xABC, 0xDEAD} {
		if err := ep.AddTunnel(teid, gtpu.HandlerFunc(func(_ netip.AddrPort, h *gtpu.Header, p []byte) {
			got <- gpdu{teid: h.TEID, qfi: h.PDUSession.QFI, pduType: h.PDUSession.PDUType, payload: append([]byte(nil), p...)}
		})); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ep.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return ep, got
}

// TestLoadConfig: one AMF as a string or several as a list, ${self.NET}
// resolved, unknown keys refused.
func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gnb.yaml")
	for body, want := range map[string][]string{
		"amf: \"10.0.2.5:38412\"\nradio: {listen: \"${self.lo}:4997\"}\ngtpu: {listen: \"${self.lo}:2152\"}\n":   {"10.0.2.5:38412"},
		"amf: [10.0.2.5, 10.0.2.6]\nradio: {listen: \"${self.lo}:4997\"}\ngtpu: {listen: \"${self.lo}:2152\"}\n": {"10.0.2.5", "10.0.2.6"},
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		if err := nfkit.Load(path, &cfg); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.AMF, want) || cfg.Radio.Listen != "127.0.0.1:4997" || cfg.GTPU.Listen != "127.0.0.1:2152" {
			t.Errorf("loaded amf %v radio %s gtpu %s", cfg.AMF, cfg.Radio.Listen, cfg.GTPU.Listen)
		}
	}
	if err := os.WriteFile(path, []byte("amf: 10.0.2.5\ngnb_idd: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := nfkit.Load(path, &cfg); err == nil || !strings.Contains(err.Error(), `unknown key "gnb_idd"`) {
		t.Errorf("misspelt key: %v", err)
	}
}

// TestAMFSelection: with two AMFs, a UE naming a 5G-S-TMSI goes to the AMF
// serving its AMF set and pointer; new UEs are spread over both.
func TestAMFSelection(t *testing.T) {
	nfkittest.NoLeaks(t)
	a, b := newPeer(t), newPeer(t)
	cfg := testConfig(a.addr())
	cfg.AMF = AddrList{a.addr(), b.addr()}
	n := startGNB(t, cfg)
	a.setUpAs(n2.GUAMI{PLMN: testPLMN, RegionID: 1, SetID: 5, Pointer: 6})
	b.setUpAs(n2.GUAMI{PLMN: testPLMN, RegionID: 1, SetID: 3, Pointer: 4})
	nfkittest.Eventually(t, waitFor, "both AMFs up", func() bool { return n.amfsUp() == 2 })
	u := newFakeUE(t, n)
	for id := uint32(1); id <= 4; id++ {
		u.send(radio.Message{Type: radio.Connect, UE: id, Body: serviceRequestPDU(t, nas5g.STMSI{AMFSetID: 3, AMFPointer: 4, TMSI: id})})
		if m := expect[*n2.InitialUEMessage](b); m.STMSI == nil || m.STMSI.TMSI != id {
			t.Errorf("service request %d reached b as %+v", id, m)
		}
	}
	for id := uint32(5); id <= 6; id++ {
		u.send(radio.Message{Type: radio.Connect, UE: id, Body: registrationRequestPDU(t)})
	}
	expect[*n2.InitialUEMessage](a)
	expect[*n2.InitialUEMessage](b)
	if got := gather(t, n.Ops().Registry(), "corebox_gnb_amf_associations"); got != 2 {
		t.Errorf("amf_associations = %v", got)
	}
}

// TestDrain: a draining gNB refuses new UEs and reports the ones it holds.
func TestDrain(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.p.send(&n2.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x7e, 0x00, 0x56}})
	c.ue.expect(radio.DownlinkNAS)
	c.n.Ops().StartDrain()
	if s := c.n.Ops().DrainStatus(); !s.Draining || s.Remaining != 1 {
		t.Errorf("drain status %+v", s)
	}
	c.ue.send(radio.Message{Type: radio.Connect, UE: 9, Body: registrationRequestPDU(t)})
	if m := c.ue.expect(radio.Release); m.UE != 9 {
		t.Errorf("release for UE %d", m.UE)
	}
	c.ue.send(radio.Message{Type: radio.Inactive, UE: 5})
	expect[*n2.UEContextReleaseRequest](c.p)
	c.p.send(&n2.UEContextReleaseCommand{UEIDs: c.ids, Cause: n2.CauseUserInactivity})
	c.ue.expect(radio.Release)
	nfkittest.Eventually(t, waitFor, "drained", func() bool { return c.n.Ops().DrainStatus().Drained() })
}
