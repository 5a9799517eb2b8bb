package enb

import (
	"bytes"
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
	"github.com/corebox/corebox/nf/proto/s1ap"
)

func TestConfigValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"no mme":         {func(c *Config) { c.MME = nil }, "mme: name at least one MME"},
		"mme hostname":   {func(c *Config) { c.MME = AddrList{"mme.local:36412"} }, "want an IP address"},
		"mme port":       {func(c *Config) { c.MME = AddrList{"10.0.0.1:0"} }, "bad port"},
		"enb id":         {func(c *Config) { c.ENBID = 1 << 20 }, "enb_id"},
		"name charset":   {func(c *Config) { c.Name = "enb_1" }, "name"},
		"name length":    {func(c *Config) { c.Name = strings.Repeat("a", 151) }, "name"},
		"plmn":           {func(c *Config) { c.PLMN.MNC = "1" }, "plmn:"},
		"tac":            {func(c *Config) { c.TAC = 1 << 16 }, "tac"},
		"cell id":        {func(c *Config) { c.CellID = 256 }, "cell_id"},
		"paging drx":     {func(c *Config) { c.PagingDRX = 100 }, "paging_drx 100"},
		"radio listen":   {func(c *Config) { c.Radio.Listen = "ran:4997" }, "radio.listen"},
		"gtpu listen":    {func(c *Config) { c.GTPU.Listen = "2152" }, "gtpu.listen"},
		"advertise":      {func(c *Config) { c.GTPU.Advertise = "::1" }, "gtpu.advertise"},
		"peer port":      {func(c *Config) { c.GTPU.PeerPort = 0 }, "gtpu.peer_port"},
		"max ues":        {func(c *Config) { c.MaxUEs = 0 }, "max_ues"},
		"max ues 24 bit": {func(c *Config) { c.MaxUEs = 1 << 24 }, "max_ues"},
		"setup retry":    {func(c *Config) { c.S1SetupRetry = 0 }, "s1_setup_retry"},
		"inactivity":     {func(c *Config) { c.InactivityTimer = -time.Second }, "inactivity_timer"},
		"sctp mode":      {func(c *Config) { c.SCTP.Mode = "tcp" }, "sctp mode"},
		"valid":          {func(c *Config) {}, ""},
		"empty name ok":  {func(c *Config) { c.Name = "" }, ""},
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
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "mme") {
		t.Fatalf("defaults without an MME validate: %v", err)
	}
	cfg.MME = AddrList{"10.0.0.1"}
	cfg.Radio.Listen, cfg.GTPU.Listen = "10.0.9.2:4997", "10.0.3.2:2152"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if a, _ := mmeAddr("10.0.0.1"); a != "10.0.0.1:36412" {
		t.Errorf("bare MME address became %s", a)
	}
	if cfg.InactivityTimer != 0 || cfg.PagingDRX != 128 {
		t.Errorf("defaults: inactivity %v, paging drx %d", cfg.InactivityTimer, cfg.PagingDRX)
	}
}

// TestLoadConfig: one MME as a string or several as a list, ${self.NET}
// resolved, unknown keys refused.
func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enb.yaml")
	for body, want := range map[string][]string{
		"mme: \"10.0.4.5:36412\"\nradio: {listen: \"${self.lo}:4997\"}\ngtpu: {listen: \"${self.lo}:2152\"}\n":   {"10.0.4.5:36412"},
		"mme: [10.0.4.5, 10.0.4.6]\nradio: {listen: \"${self.lo}:4997\"}\ngtpu: {listen: \"${self.lo}:2152\"}\n": {"10.0.4.5", "10.0.4.6"},
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		if err := nfkit.Load(path, &cfg); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.MME, want) || cfg.Radio.Listen != "127.0.0.1:4997" || cfg.GTPU.Listen != "127.0.0.1:2152" {
			t.Errorf("loaded mme %v radio %s gtpu %s", cfg.MME, cfg.Radio.Listen, cfg.GTPU.Listen)
		}
	}
	if err := os.WriteFile(path, []byte("mme: 10.0.4.5\nenb_idd: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := nfkit.Load(path, &cfg); err == nil || !strings.Contains(err.Error(), `unknown key "enb_idd"`) {
		t.Errorf("misspelt key: %v", err)
	}
}

// TestS1Setup: the request carries the configured identity, a failure's
// TimeToWait is honoured, and the eNB is ready once an MME accepts.
func TestS1Setup(t *testing.T) {
	nfkittest.NoLeaks(t)
	p := newFakeMME(t)
	n := startENB(t, testConfig(p.addr()))
	p.accept()
	req := expect[*s1ap.S1SetupRequest](p)
	want := s1ap.GlobalENBID{PLMN: testPLMN, Kind: s1ap.MacroENB, ID: 0x42}
	if req.GlobalENBID != want || req.ENBName != "test-enb" || req.DefaultPagingDRX != s1ap.PagingDRX128 {
		t.Errorf("S1 Setup Request %+v", req)
	}
	if len(req.SupportedTAs) != 1 || req.SupportedTAs[0].TAC != 7 || !slices.Equal(req.SupportedTAs[0].PLMNs, []s1ap.PLMN{testPLMN}) {
		t.Errorf("supported TAs %+v", req.SupportedTAs)
	}
	if ok, _ := n.Ready(); ok {
		t.Fatal("ready before S1 Setup succeeded")
	}
	refused := time.Now()
	p.send(&s1ap.S1SetupFailure{Cause: s1ap.CauseMiscUnspecified, TimeToWait: 1})
	p.setUp()
	if waited := time.Since(refused); waited < time.Second {
		t.Errorf("retried after %v, before TimeToWait", waited)
	}
	nfkittest.Eventually(t, waitFor, "enb ready", func() bool { ok, _ := n.Ready(); return ok })
	reg := n.Ops().Registry()
	if got := gather(t, reg, "corebox_enb_s1_setup_failures_total"); got != 1 {
		t.Errorf("setup failures = %v", got)
	}
	if got := gather(t, reg, "corebox_enb_s1ap_messages_total", "direction", "tx", "message", "s1_setup"); got != 2 {
		t.Errorf("s1 setup requests counted = %v, want 2", got)
	}
	if got := gather(t, reg, "corebox_enb_mme_associations"); got != 1 {
		t.Errorf("mme_associations = %v", got)
	}
}

// connected is an eNB with a fake MME, a fake SGW and one fake UE past
// its Initial UE Message; the MME has named MME UE S1AP ID 77.
type connected struct {
	n   *ENB
	p   *fakeMME
	sgw *fakeSGW
	ue  *fakeUE
	ids s1ap.UEIDs
}

func connect(t *testing.T, edit ...func(*Config)) connected {
	t.Helper()
	p := newFakeMME(t)
	sgw := newFakeSGW(t)
	cfg := testConfig(p.addr())
	cfg.GTPU.PeerPort = int(sgw.addr().Port())
	for _, e := range edit {
		e(&cfg)
	}
	n := startENB(t, cfg)
	p.setUp()
	nfkittest.Eventually(t, waitFor, "enb ready", func() bool { ok, _ := n.Ready(); return ok })
	u := newFakeUE(t, n)
	nas := attachRequestPDU(t, 1)
	u.send(radio.Message{Type: radio.Connect, UE: 5, Body: nas})
	init := expect[*s1ap.InitialUEMessage](p)
	wantTAI := s1ap.TAI{PLMN: testPLMN, TAC: 7}
	wantECGI := s1ap.ECGI{PLMN: testPLMN, CellID: 0x42<<8 | 3}
	if !bytes.Equal(init.NASPDU, nas) || init.RRCCause != s1ap.RRCMOSignalling || init.STMSI != nil ||
		init.TAI != wantTAI || init.ECGI != wantECGI || init.ENBUES1APID == 0 {
		t.Fatalf("Initial UE Message %+v", init)
	}
	return connected{n: n, p: p, sgw: sgw, ue: u, ids: s1ap.UEIDs{MMEUES1APID: 77, ENBUES1APID: init.ENBUES1APID}}
}

// ics runs Initial Context Setup with the default bearer (E-RAB 5, SGW
// TEID 0xABC) and returns the eNB's downlink tunnel for it.
func (c connected) ics(t *testing.T) s1ap.GTPTunnel {
	t.Helper()
	c.p.send(&s1ap.InitialContextSetupRequest{UEIDs: c.ids, UEAMBR: s1ap.AMBR{DL: 1e8, UL: 5e7},
		ERABs: []s1ap.ERABToSetup{{ID: 5, QoS: s1ap.QoS{QCI: 9, ARP: s1ap.ARP{PriorityLevel: 8}},
			Tunnel: s1ap.GTPTunnel{Addr: c.sgw.addr().Addr(), TEID: 0xABC}, NASPDU: []byte{0x27, 0x01, 0x42}}},
		SecurityCapabilities: s1ap.UESecurityCapabilities{Encryption: 0xE000, Integrity: 0xE000}, SecurityKey: [32]byte{1, 2, 3}})
	if m := c.ue.expect(radio.DownlinkNAS); !bytes.Equal(m.Body, []byte{0x27, 0x01, 0x42}) || m.UE != 5 {
		t.Errorf("attach accept to the UE: %+v", m)
	}
	r := expect[*s1ap.InitialContextSetupResponse](c.p)
	if r.UEIDs != c.ids || len(r.ERABs) != 1 || len(r.Failed) != 0 || r.ERABs[0].ID != 5 {
		t.Fatalf("initial context setup response %+v", r)
	}
	dl := r.ERABs[0].Tunnel
	if dl.Addr != netip.MustParseAddr("127.0.0.1") || dl.TEID == 0 || dl.IPv6.IsValid() {
		t.Fatalf("eNB F-TEID %+v", dl)
	}
	if m := c.ue.expect(radio.SessionReady); m.Session != 5 {
		t.Errorf("session ready for bearer %d", m.Session)
	}
	return dl
}

// TestNASTransport: NAS both ways with the right IDs, TAI and ECGI.
func TestNASTransport(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52, 0x01}})
	if m := c.ue.expect(radio.DownlinkNAS); !bytes.Equal(m.Body, []byte{0x07, 0x52, 0x01}) || m.UE != 5 {
		t.Errorf("downlink nas %+v", m)
	}
	c.ue.send(radio.Message{Type: radio.UplinkNAS, UE: 5, Body: []byte{0x07, 0x53, 0x08}})
	ul := expect[*s1ap.UplinkNASTransport](c.p)
	if ul.UEIDs != c.ids || !bytes.Equal(ul.NASPDU, []byte{0x07, 0x53, 0x08}) || ul.TAI.TAC != 7 || ul.ECGI.CellID != 0x42<<8|3 {
		t.Errorf("uplink nas transport %+v", ul)
	}
	// The MME names the UE with another MME UE S1AP ID: unknown pair.
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: s1ap.UEIDs{MMEUES1APID: 78, ENBUES1APID: c.ids.ENBUES1APID}, NASPDU: []byte{7}})
	ei := expect[*s1ap.ErrorIndication](c.p)
	if ei.Cause == nil || *ei.Cause != s1ap.CauseUnknownPairUES1APID {
		t.Errorf("error indication %+v", ei)
	}
}

// TestInitialContextSetupAndUserPlane: the E-RAB of Initial Context Setup
// carries packets both ways as plain S1-U G-PDUs.
func TestInitialContextSetupAndUserPlane(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	dl := c.ics(t)

	c.ue.send(radio.Message{Type: radio.UplinkData, UE: 5, Session: 5, Body: []byte("uplink packet")})
	got := c.sgw.expect()
	if got.h.TEID != 0xABC || got.h.Type != 255 || got.h.NumExt != 0 || string(got.payload) != "uplink packet" {
		t.Errorf("sgw got %+v %q", got.h, got.payload)
	}
	c.sgw.sendGPDU(c.n.S1UAddr(), dl.TEID, []byte("downlink packet"))
	if m := c.ue.expect(radio.DownlinkData); m.Session != 5 || m.UE != 5 || string(m.Body) != "downlink packet" {
		t.Errorf("downlink data %+v", m)
	}
	reg := c.n.Ops().Registry()
	for name, want := range map[string]float64{
		"corebox_enb_uplink_packets_total": 1, "corebox_enb_uplink_bytes_total": 13,
		"corebox_enb_downlink_packets_total": 1, "corebox_enb_downlink_bytes_total": 15,
		"corebox_enb_erabs": 1, "corebox_enb_connected_ues": 1,
	} {
		if got := gather(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	c.ue.send(radio.Message{Type: radio.UplinkData, UE: 5, Session: 6, Body: []byte("no such bearer")})
	nfkittest.Eventually(t, waitFor, "dropped uplink counted", func() bool {
		return gather(t, reg, "corebox_enb_dropped_total", "reason", dropNoERAB) == 1
	})
	c.sgw.sendGPDU(c.n.S1UAddr(), dl.TEID+1, []byte("unknown teid"))
	nfkittest.Eventually(t, waitFor, "unknown TEID counted", func() bool {
		return gather(t, reg, "corebox_enb_gtpu_unknown_teid_total") == 1
	})
	c.n.ues.mu.Lock()
	key := c.n.ues.byENB[c.ids.ENBUES1APID].kenb
	c.n.ues.mu.Unlock()
	if key != ([32]byte{1, 2, 3}) {
		t.Errorf("KeNB stored as %x", key)
	}
}

// TestInitialContextSetupFailure: no E-RAB can be set up (the SGW is
// IPv6-only, our S1-U is IPv4), so the MME gets a Failure and the UE no
// NAS.
func TestInitialContextSetupFailure(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.p.send(&s1ap.InitialContextSetupRequest{UEIDs: c.ids, ERABs: []s1ap.ERABToSetup{{ID: 5, QoS: s1ap.QoS{QCI: 9},
		Tunnel: s1ap.GTPTunnel{Addr: netip.MustParseAddr("2001:db8::1"), TEID: 1}, NASPDU: []byte{0x27}}}})
	f := expect[*s1ap.InitialContextSetupFailure](c.p)
	if f.UEIDs != c.ids || f.Cause != s1ap.CauseTransportResourceUnavailable {
		t.Errorf("failure %+v", f)
	}
	// The next radio message is the barrier: no NAS went to the UE.
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x5D}})
	if m := c.ue.expect(radio.DownlinkNAS); !bytes.Equal(m.Body, []byte{0x07, 0x5D}) {
		t.Errorf("ue got %x", m.Body)
	}
	if c.n.ERABs() != 0 {
		t.Errorf("%d E-RABs after a failed setup", c.n.ERABs())
	}
}

// TestDedicatedBearer: E-RAB Setup adds a bearer that carries its own
// traffic; E-RAB Release removes it and reports an unknown one as failed.
func TestDedicatedBearer(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	c.ics(t)
	c.p.send(&s1ap.ERABSetupRequest{UEIDs: c.ids, ERABs: []s1ap.ERABToSetup{
		{ID: 6, QoS: s1ap.QoS{QCI: 1, ARP: s1ap.ARP{PriorityLevel: 2}, GBR: &s1ap.GBR{MaxDL: 128000, MaxUL: 128000, GuaranteedDL: 64000, GuaranteedUL: 64000}},
			Tunnel: s1ap.GTPTunnel{Addr: c.sgw.addr().Addr(), TEID: 0xDED}, NASPDU: []byte{0x62, 0x01, 0xC5}},
		{ID: 5, QoS: s1ap.QoS{QCI: 9}, Tunnel: s1ap.GTPTunnel{Addr: c.sgw.addr().Addr(), TEID: 0xBAD}, NASPDU: []byte{0x52, 0x01, 0xC5}},
		{ID: 3, QoS: s1ap.QoS{QCI: 9}, Tunnel: s1ap.GTPTunnel{Addr: c.sgw.addr().Addr(), TEID: 0xBAD}, NASPDU: []byte{0x32, 0x01, 0xC5}},
	}})
	if m := c.ue.expect(radio.DownlinkNAS); !bytes.Equal(m.Body, []byte{0x62, 0x01, 0xC5}) {
		t.Errorf("dedicated bearer NAS %x", m.Body)
	}
	r := expect[*s1ap.ERABSetupResponse](c.p)
	if len(r.ERABs) != 1 || r.ERABs[0].ID != 6 || r.ERABs[0].Tunnel.TEID == 0 ||
		!slices.Equal(r.Failed, []s1ap.ERABItem{{ID: 5, Cause: causeMultipleERABID}, {ID: 3, Cause: s1ap.CauseSemanticError}}) {
		t.Fatalf("e-rab setup response %+v", r)
	}
	if m := c.ue.expect(radio.SessionReady); m.Session != 6 {
		t.Errorf("session ready for %d", m.Session)
	}
	dl6 := r.ERABs[0].Tunnel
	c.ue.send(radio.Message{Type: radio.UplinkData, UE: 5, Session: 6, Body: []byte("voice")})
	if got := c.sgw.expect(); got.h.TEID != 0xDED || string(got.payload) != "voice" {
		t.Errorf("dedicated uplink went to TEID %#x: %q", got.h.TEID, got.payload)
	}
	c.sgw.sendGPDU(c.n.S1UAddr(), dl6.TEID, []byte("voice down"))
	if m := c.ue.expect(radio.DownlinkData); m.Session != 6 {
		t.Errorf("dedicated downlink on bearer %d", m.Session)
	}
	if c.n.ERABs() != 2 {
		t.Errorf("%d E-RABs, want 2", c.n.ERABs())
	}

	c.p.send(&s1ap.ERABReleaseCommand{UEIDs: c.ids, NASPDU: []byte{0x62, 0x02, 0xCD},
		ERABs: []s1ap.ERABItem{{ID: 6, Cause: s1ap.CauseNormalRelease}, {ID: 9, Cause: s1ap.CauseNormalRelease}}})
	if m := c.ue.expect(radio.DownlinkNAS); !bytes.Equal(m.Body, []byte{0x62, 0x02, 0xCD}) {
		t.Errorf("deactivate bearer NAS %x", m.Body)
	}
	rr := expect[*s1ap.ERABReleaseResponse](c.p)
	if !slices.Equal(rr.Released, []uint8{6}) || len(rr.Failed) != 1 || rr.Failed[0] != (s1ap.ERABItem{ID: 9, Cause: s1ap.CauseUnknownERABID}) {
		t.Errorf("e-rab release response %+v", rr)
	}
	if c.n.ERABs() != 1 {
		t.Errorf("%d E-RABs after release, want 1", c.n.ERABs())
	}
	reg := c.n.Ops().Registry()
	c.sgw.sendGPDU(c.n.S1UAddr(), dl6.TEID, []byte("late"))
	nfkittest.Eventually(t, waitFor, "released tunnel's G-PDU counted unknown", func() bool {
		return gather(t, reg, "corebox_enb_gtpu_unknown_teid_total") == 1
	})
}

// TestUEContextRelease: the UE's inactivity leads to a Release Request;
// the Command releases the radio side, is completed and frees the state.
func TestUEContextRelease(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	dl := c.ics(t)
	c.ue.send(radio.Message{Type: radio.Inactive, UE: 5})
	rr := expect[*s1ap.UEContextReleaseRequest](c.p)
	if rr.UEIDs != c.ids || rr.Cause != s1ap.CauseUserInactivity {
		t.Errorf("release request %+v", rr)
	}
	c.p.send(&s1ap.UEContextReleaseCommand{UEIDs: c.ids, Cause: s1ap.CauseUserInactivity})
	c.ue.expect(radio.Release)
	if rc := expect[*s1ap.UEContextReleaseComplete](c.p); rc.UEIDs != c.ids {
		t.Errorf("release complete %+v", rc)
	}
	if c.n.ConnectedUEs() != 0 || c.n.ERABs() != 0 {
		t.Errorf("%d UEs, %d E-RABs after release", c.n.ConnectedUEs(), c.n.ERABs())
	}
	reg := c.n.Ops().Registry()
	c.sgw.sendGPDU(c.n.S1UAddr(), dl.TEID, []byte("after release"))
	nfkittest.Eventually(t, waitFor, "tunnel gone", func() bool {
		return gather(t, reg, "corebox_enb_gtpu_unknown_teid_total") == 1
	})
	// The MME names a UE we no longer hold: Error Indication.
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52}})
	ei := expect[*s1ap.ErrorIndication](c.p)
	if ei.Cause == nil || *ei.Cause != s1ap.CauseUnknownENBUES1APID || ei.ENBUES1APID == nil || *ei.ENBUES1APID != c.ids.ENBUES1APID {
		t.Errorf("error indication %+v", ei)
	}
	// NAS from a UE without context: it is told it is released.
	c.ue.send(radio.Message{Type: radio.UplinkNAS, UE: 5, Body: []byte{7}})
	c.ue.expect(radio.Release)

	// Release by MME UE S1AP ID alone, for a second UE.
	c.ue.send(radio.Message{Type: radio.Connect, UE: 6, Body: attachRequestPDU(t, 1)})
	init := expect[*s1ap.InitialUEMessage](c.p)
	ids := s1ap.UEIDs{MMEUES1APID: 90, ENBUES1APID: init.ENBUES1APID}
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: ids, NASPDU: []byte{0x07, 0x52}})
	c.ue.expect(radio.DownlinkNAS)
	c.p.send(&s1ap.UEContextReleaseCommand{UEIDs: s1ap.UEIDs{MMEUES1APID: 90}, MMEIDOnly: true, Cause: s1ap.CauseDetach})
	if m := c.ue.expect(radio.Release); m.UE != 6 {
		t.Errorf("release for UE %d", m.UE)
	}
	if rc := expect[*s1ap.UEContextReleaseComplete](c.p); rc.UEIDs != ids {
		t.Errorf("release complete %+v, want %+v", rc.UEIDs, ids)
	}
	if c.n.ConnectedUEs() != 0 {
		t.Errorf("%d UEs left", c.n.ConnectedUEs())
	}
}

// TestInactivityTimer: a UE silent for inactivity_timer is proposed for
// release without any radio message; activity starts the timer over.
func TestInactivityTimer(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t, func(cfg *Config) { cfg.InactivityTimer = 200 * time.Millisecond })
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52}})
	c.ue.expect(radio.DownlinkNAS)
	active := time.Now()
	rr := expect[*s1ap.UEContextReleaseRequest](c.p)
	if rr.UEIDs != c.ids || rr.Cause != s1ap.CauseUserInactivity {
		t.Errorf("release request %+v", rr)
	}
	if idle := time.Since(active); idle < 200*time.Millisecond {
		t.Errorf("release requested after %v of inactivity", idle)
	}
	c.ue.send(radio.Message{Type: radio.UplinkNAS, UE: 5, Body: []byte{0x07, 0x53}})
	expect[*s1ap.UplinkNASTransport](c.p)
	// After new activity, a new idle spell gives one new request.
	if rr := expect[*s1ap.UEContextReleaseRequest](c.p); rr.UEIDs != c.ids {
		t.Errorf("second release request %+v", rr)
	}
	// A UE the MME never answered is released here when it idles.
	c.ue.send(radio.Message{Type: radio.Connect, UE: 6, Body: attachRequestPDU(t, 1)})
	expect[*s1ap.InitialUEMessage](c.p)
	if m := c.ue.expect(radio.Release); m.UE != 6 {
		t.Errorf("release for UE %d", m.UE)
	}
	if c.n.ConnectedUEs() != 1 {
		t.Errorf("%d UEs held, want 1", c.n.ConnectedUEs())
	}
	if got := gather(t, c.n.Ops().Registry(), "corebox_enb_s1ap_messages_total", "direction", "tx", "message", "ue_context_release_request"); got != 2 {
		t.Errorf("%v release requests, want one per idle spell", got)
	}
}

// TestPaging: a page by S-TMSI for our TA reaches the UE simulator; the
// UE's answer carries its S-TMSI and cause mt-Access; pages for other
// TAs or by IMSI go nowhere.
func TestPaging(t *testing.T) {
	nfkittest.NoLeaks(t)
	c := connect(t)
	s := s1ap.STMSI{MMEC: 7, MTMSI: 0xC0FFEE}
	c.p.send(&s1ap.Paging{UEIdentityIndex: 1, STMSI: &s, CNDomain: s1ap.CNDomainPS, TAIs: []s1ap.TAI{{PLMN: testPLMN, TAC: 7}}})
	m := c.ue.expect(radio.Paging)
	if want := []byte{0, 7, 0, 0xC0, 0xFF, 0xEE}; !bytes.Equal(m.Body, want) {
		t.Errorf("paging body %x, want %x", m.Body, want)
	}
	sr := serviceRequestPDU(t)
	c.ue.send(radio.Message{Type: radio.Connect, UE: 6, Body: withSTMSI(s, sr)})
	init := expect[*s1ap.InitialUEMessage](c.p)
	if init.STMSI == nil || *init.STMSI != s || init.RRCCause != s1ap.RRCMTAccess || !bytes.Equal(init.NASPDU, sr) {
		t.Errorf("answer to paging: stmsi %+v cause %d nas %x", init.STMSI, init.RRCCause, init.NASPDU)
	}
	// Unpaged, the same Service Request is mo-Data.
	c.ue.send(radio.Message{Type: radio.Connect, UE: 7, Body: withSTMSI(s1ap.STMSI{MMEC: 7, MTMSI: 1}, sr)})
	if init := expect[*s1ap.InitialUEMessage](c.p); init.RRCCause != s1ap.RRCMOData {
		t.Errorf("service request cause %d", init.RRCCause)
	}
	reg := c.n.Ops().Registry()
	c.p.send(&s1ap.Paging{STMSI: &s, TAIs: []s1ap.TAI{{PLMN: testPLMN, TAC: 8}}})
	c.p.send(&s1ap.Paging{IMSI: "001010000000001", TAIs: []s1ap.TAI{{PLMN: testPLMN, TAC: 7}}})
	c.p.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids, NASPDU: []byte{0x07, 0x52}})
	c.ue.expect(radio.DownlinkNAS) // nothing was paged in between
	if gather(t, reg, "corebox_enb_dropped_total", "reason", dropOtherTA) != 1 ||
		gather(t, reg, "corebox_enb_dropped_total", "reason", dropIMSIPaging) != 1 {
		t.Error("pages not forwarded are not counted")
	}
}
