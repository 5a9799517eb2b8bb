package hss_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// TestULRSubscription: the UDR's 5G subscription comes back as an S6a
// APN configuration profile.
func TestULRSubscription(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	a := m.ulr(t, imsi, diameter.ULRInitialAttachIndicator)
	if !a.Result.OK() || a.Subscription == nil {
		t.Fatalf("ULA %+v", a)
	}
	sd := a.Subscription
	if sd.MSISDN != msisdn {
		t.Errorf("MSISDN %q", sd.MSISDN)
	}
	if sd.AMBR == nil || sd.AMBR.Uplink != 1e9 || sd.AMBR.Downlink != 2e9 {
		t.Errorf("UE-AMBR %+v, want 1 Gbps up, 2 Gbps down", sd.AMBR)
	}
	p := sd.APNProfile
	if p == nil || len(p.APNs) != 2 || !p.AllIncluded {
		t.Fatalf("APN profile %+v", p)
	}
	apns := map[string]diameter.APNConfiguration{}
	for _, c := range p.APNs {
		apns[c.APN] = c
	}
	internet, ok1 := apns["internet"]
	_, ok2 := apns["ims"]
	if !ok1 || !ok2 {
		t.Fatalf("APNs %+v, want internet and ims", p.APNs)
	}
	if p.DefaultContextID != internet.ContextID {
		t.Errorf("default context %d, want internet's %d", p.DefaultContextID, internet.ContextID)
	}
	// default.yaml of the UDR: 5QI 9, ARP 8, session AMBR 1/2 Gbps.
	want := diameter.BearerQoS{QCI: 9, ARP: diameter.ARP{PriorityLevel: 8,
		PreemptionCapability: diameter.PreemptionCapabilityDisabled, PreemptionVulnerability: diameter.PreemptionVulnerabilityDisabled}}
	if internet.QoS == nil || *internet.QoS != want {
		t.Errorf("internet QoS %+v, want %+v", internet.QoS, want)
	}
	if internet.PDNType != diameter.PDNTypeIPv4v6 || internet.AMBR == nil || internet.AMBR.Downlink != 2e9 {
		t.Errorf("internet %+v", internet)
	}
	if reg, ok := e.hss.ServingMME(imsi); !ok || reg.MMEHost != mme1 {
		t.Errorf("serving MME %+v", reg)
	}
	// Skip-Subscriber-Data: registered, no data.
	if a := m.ulr(t, imsi, diameter.ULRSkipSubscriberData); !a.Result.OK() || a.Subscription != nil {
		t.Errorf("ULR skipping data: %+v", a)
	}
}

// TestULRSecondMMECancelsFirst: when another MME registers the IMSI,
// the first gets Cancel-Location.
func TestULRSecondMMECancelsFirst(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	first := newMME(t, e.hss, mme1)
	second := newMME(t, e.hss, mme2)
	if a := first.ulr(t, imsi, 0); !a.Result.OK() {
		t.Fatal(a.Result)
	}
	if a := first.ulr(t, imsi, 0); !a.Result.OK() { // same MME again: nothing to cancel
		t.Fatal(a.Result)
	}
	if a := second.ulr(t, imsi, 0); !a.Result.OK() {
		t.Fatal(a.Result)
	}
	nfkittest.Eventually(t, 5*time.Second, "CLR at the first MME", func() bool { return len(first.cancelled()) == 1 })
	clr := first.cancelled()[0]
	if clr.UserName != imsi || clr.CancellationType != diameter.CancelMMEUpdateProcedure ||
		clr.DestinationHost != mme1 || clr.OriginHost != hssHost {
		t.Errorf("CLR %+v", clr)
	}
	if len(second.cancelled()) != 0 {
		t.Error("the new MME got a CLR")
	}
	nfkittest.Eventually(t, 5*time.Second, "CLR counted", func() bool {
		return metric(t, e.hss, `corebox_hss_cancel_location_total{result="ok"} 1`)
	})
	// Back to the first MME on initial attach: the second is cancelled
	// with INITIAL_ATTACH_PROCEDURE.
	first.ulr(t, imsi, diameter.ULRInitialAttachIndicator)
	nfkittest.Eventually(t, 5*time.Second, "CLR at the second MME", func() bool { return len(second.cancelled()) == 1 })
	if ct := second.cancelled()[0].CancellationType; ct != diameter.CancelInitialAttachProcedure {
		t.Errorf("cancellation type %d", ct)
	}
}

// TestPurge: the serving MME purges (and may freeze the M-TMSI); a
// purged registration is not cancelled later.
func TestPurge(t *testing.T) {
	e := setup(t, nil)
	first := newMME(t, e.hss, mme1)
	second := newMME(t, e.hss, mme2)
	first.ulr(t, imsi, 0)
	pua, err := diameter.ParsePUA(second.send(t, &diameter.PUR{RequestHeader: second.header(), UserName: imsi}))
	if err != nil || !pua.Result.OK() || pua.Flags != 0 {
		t.Errorf("PUR from a non-serving MME: %+v %v", pua, err)
	}
	pua, err = diameter.ParsePUA(first.send(t, &diameter.PUR{RequestHeader: first.header(), UserName: imsi}))
	if err != nil || !pua.Result.OK() || pua.Flags != diameter.PUAFreezeMTMSI {
		t.Errorf("PUR from the serving MME: %+v %v", pua, err)
	}
	if reg, _ := e.hss.ServingMME(imsi); !reg.Purged {
		t.Error("registration not purged")
	}
	second.ulr(t, imsi, 0)
	if reg, _ := e.hss.ServingMME(imsi); reg.MMEHost != mme2 || reg.Purged {
		t.Errorf("after the new MME's ULR: %+v", reg)
	}
	if !metric(t, e.hss, `corebox_hss_cancel_location_total{result="ok"} 0`) || len(first.cancelled()) != 0 {
		t.Error("a purged registration was cancelled")
	}
	code, body := nfkittest.Do(t, "GET", "http://"+e.hss.Ops().Addr().String()+"/registrations/"+imsi, "")
	if code != 200 || !strings.Contains(body, mme2) {
		t.Errorf("GET /registrations: %d %s", code, body)
	}
}

// TestULRRefusals: a subscriber without DNNs has no EPS subscription; a
// RAT other than E-UTRAN is not allowed.
func TestULRRefusals(t *testing.T) {
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	a, err := diameter.ParseULA(m.send(t, &diameter.ULR{RequestHeader: m.header(), UserName: imsi,
		RATType: diameter.RATTypeUTRAN, VisitedPLMN: visited(t)}))
	if err != nil || a.Result != diameter.Experimental(diameter.ExpErrorRATNotAllowed) {
		t.Errorf("ULR over UTRAN: %+v %v", a, err)
	}
	if _, ok := e.hss.ServingMME(imsi); ok {
		t.Error("a refused ULR registered the MME")
	}
}

// TestMalformedCountedConnectionUsable: requests that do not decode, or
// lack a mandatory AVP, are answered, counted, and the MME's connection
// keeps serving.
func TestMalformedCountedConnectionUsable(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	p := m.c.Peer()
	// No User-Name.
	req, err := (&diameter.AIR{RequestHeader: m.header(), UserName: imsi, VisitedPLMN: visited(t), Vectors: 1}).Build()
	if err != nil {
		t.Fatal(err)
	}
	req.DeleteAVP(avp.UserName, 0)
	if res := result(t, m, req); res.Code != diameter.ResultMissingAVP {
		t.Errorf("AIR without User-Name: %v", res)
	}
	// A User-Name that is no IMSI.
	req, _ = (&diameter.AIR{RequestHeader: m.header(), UserName: "not-an-imsi", VisitedPLMN: visited(t)}).Build()
	if res := result(t, m, req); res.Code != diameter.ResultInvalidAVPValue {
		t.Errorf("AIR with a bad User-Name: %v", res)
	}
	for _, line := range []string{`corebox_hss_diameter_malformed_total{reason="missing_avp"} 1`,
		`corebox_hss_diameter_malformed_total{reason="invalid_avp"} 1`} {
		if !metric(t, e.hss, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
	if m.c.Peer() != p {
		t.Fatal("the connection was replaced")
	}
	if a := m.air(t, imsi, 1, nil); !a.Result.OK() {
		t.Errorf("AIR after the malformed ones: %v", a.Result)
	}
}

// TestUndecodableCountedConnectionUsable: octets that are no Diameter
// body, sent raw on an S6a connection (CER/CEA done by hand).
func TestUndecodableCountedConnectionUsable(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := setup(t, nil)
	nc, err := net.Dial("tcp", e.hss.DiameterAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rawExchange(t, nc, cer(t))
	good, err := (&diameter.AIR{RequestHeader: diameter.RequestHeader{SessionID: "raw;1;1", OriginHost: mme1,
		OriginRealm: realm, DestinationRealm: realm}, UserName: imsi, VisitedPLMN: visited(t), Vectors: 1}).Build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := diameter.Encode(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), raw...)
	bad[diam.HeaderLength+5], bad[diam.HeaderLength+6], bad[diam.HeaderLength+7] = 0, 0, 3 // first AVP length 3
	if res := resultOf(t, rawExchange(t, nc, bad)); res.Code != diameter.ResultInvalidAVPValue {
		t.Errorf("undecodable AIR: %v", res)
	}
	if res := resultOf(t, rawExchange(t, nc, raw)); !res.OK() {
		t.Errorf("AIR after it: %v", res)
	}
	if !metric(t, e.hss, `corebox_hss_diameter_malformed_total{reason="decode"} 1`) {
		t.Error("undecodable message not counted")
	}
}

func cer(t *testing.T) []byte {
	t.Helper()
	// A CER as another vendor's MME would send it, built from our client.
	m := diam.NewRequest(diameter.CmdCapabilitiesExchange, 0, nil)
	m.NewAVP(avp.OriginHost, avp.Mbit, 0, identity(mme1))
	m.NewAVP(avp.OriginRealm, avp.Mbit, 0, identity(realm))
	m.NewAVP(avp.HostIPAddress, avp.Mbit, 0, address("127.0.0.1"))
	m.NewAVP(avp.VendorID, avp.Mbit, 0, u32(diameter.Vendor3GPP))
	m.NewAVP(avp.ProductName, 0, 0, utf8("raw"))
	m.NewAVP(avp.AuthApplicationID, avp.Mbit, 0, u32(diameter.AppS6a))
	b, err := diameter.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rawExchange(t *testing.T, nc net.Conn, b []byte) *diam.Message {
	t.Helper()
	if err := nc.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, diam.HeaderLength)
	if _, err := readFull(nc, hdr); err != nil {
		t.Fatal(err)
	}
	n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
	msg := append(hdr, make([]byte, n-diam.HeaderLength)...)
	if _, err := readFull(nc, msg[diam.HeaderLength:]); err != nil {
		t.Fatal(err)
	}
	m, err := diameter.Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func resultOf(t *testing.T, m *diam.Message) diameter.Result {
	t.Helper()
	r, err := diameter.ResultOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func result(t *testing.T, m *mme, req *diam.Message) diameter.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	ans, err := m.c.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resultOf(t, ans)
}

// TestDrain: a draining HSS sends MMEs elsewhere.
func TestDrain(t *testing.T) {
	e := setup(t, nil)
	m := newMME(t, e.hss, mme1)
	if code, _ := nfkittest.Do(t, "POST", "http://"+e.hss.Ops().Addr().String()+"/drain", ""); code != 202 {
		t.Fatal("drain refused")
	}
	req, _ := (&diameter.AIR{RequestHeader: m.header(), UserName: imsi, VisitedPLMN: visited(t)}).Build()
	if res := result(t, m, req); res.Code != diameter.ResultTooBusy {
		t.Errorf("AIR while draining: %v", res)
	}
	if code, _ := nfkittest.Do(t, "GET", "http://"+e.hss.Ops().Addr().String()+"/readyz", ""); code != 503 {
		t.Errorf("readyz while draining: %d", code)
	}
}

// TestNRFDiscovery: with only an NRF configured, the HSS finds the UDR.
func TestNRFDiscovery(t *testing.T) {
	nfkittest.NoLeaks(t)
	nrf := udrtest.StartFakeNRF(t)
	ucfg := udrtest.Config(t)
	ucfg.NRF.URI = nrf.URL
	u, _ := udrtest.Start(t, ucfg)
	udrtest.Provision(t, u, udr.Provision{IMSI: imsi, K: testK, OPc: testOPc})
	cfg := hsstest.Config("")
	cfg.NRF.URI = nrf.URL
	h, _ := hsstest.Start(t, cfg)
	m := newMME(t, h, mme1)
	if a := m.air(t, imsi, 1, nil); !a.Result.OK() {
		t.Errorf("AIR through a discovered UDR: %v", a.Result)
	}
	if a := m.ulr(t, imsi, 0); !a.Result.OK() || a.Subscription.APNProfile.APNs[0].APN != "internet" {
		t.Errorf("ULR through a discovered UDR: %+v", a)
	}
}

func TestConfig(t *testing.T) {
	cfg := hss.DefaultConfig()
	if err := cfg.Validate(); err == nil {
		t.Error("default config without udr.uri or nrf.uri accepted")
	}
	cfg.UDR.URI = "http://127.0.0.1:8000"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config with a UDR: %v", err)
	}
	if cfg.Diameter.Listen != ":3868" || cfg.Diameter.VendorID != diameter.Vendor3GPP {
		t.Errorf("defaults %+v", cfg.Diameter)
	}
	for name, mod := range map[string]func(*hss.Config){
		"no listen":     func(c *hss.Config) { c.Diameter.Listen = "3868" },
		"no S6a":        func(c *hss.Config) { c.Diameter.Applications = []uint32{diameter.AppGx} },
		"bad host":      func(c *hss.Config) { c.Diameter.OriginHost = "" },
		"bad plmn":      func(c *hss.Config) { c.HomePLMN.MNC = "1" },
		"zero vectors":  func(c *hss.Config) { c.MaxVectors = 0 },
		"bad udr uri":   func(c *hss.Config) { c.UDR.URI = "udr:8000" },
		"bad ops":       func(c *hss.Config) { c.Ops.Listen = "nowhere" },
		"tiny watchdog": func(c *hss.Config) { c.Diameter.WatchdogInterval = time.Millisecond },
	} {
		c := cfg
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := hss.New(c); err == nil {
			t.Errorf("%s: New accepted", name)
		}
	}
}
