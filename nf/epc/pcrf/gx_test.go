package pcrf_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"

	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

func TestCCRInitialPolicyPerAPN(t *testing.T) {
	e := setup(t, func(c *pcrf.Config) { c.UnknownAPN = "internet" })
	tests := []struct {
		apn, ue string
		qci     uint32
		arp     diameter.ARP
		ul, dl  uint32
	}{
		{"internet", "10.45.0.2", 9, diameter.ARP{PriorityLevel: 8, PreemptionCapability: diameter.PreemptionCapabilityDisabled,
			PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}, 1e9, 2e9},
		{"IMS", "10.46.0.2", 5, diameter.ARP{PriorityLevel: 1, PreemptionCapability: diameter.PreemptionCapabilityEnabled,
			PreemptionVulnerability: diameter.PreemptionVulnerabilityDisabled}, 10e6, 10e6},
		{"other.apn", "10.47.0.2", 9, diameter.ARP{PriorityLevel: 8, PreemptionCapability: diameter.PreemptionCapabilityDisabled,
			PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}, 1e9, 2e9}, // unknown_apn: internet
	}
	for _, tc := range tests {
		t.Run(tc.apn, func(t *testing.T) {
			sid, cca := open(t, e.pgw, tc.apn, tc.ue)
			if cca.SessionID != sid || cca.RequestType != diameter.CCRequestInitial || cca.OriginHost != pcrftest.Config().Diameter.OriginHost {
				t.Errorf("CCA header: %+v", cca)
			}
			want := &diameter.BearerQoS{QCI: tc.qci, ARP: tc.arp}
			if !reflect.DeepEqual(cca.DefaultBearerQoS, want) {
				t.Errorf("Default-EPS-Bearer-QoS %+v, want %+v", cca.DefaultBearerQoS, want)
			}
			if cca.QoS == nil || cca.QoS.APNAMBRUL != tc.ul || cca.QoS.APNAMBRDL != tc.dl {
				t.Errorf("APN-AMBR %+v, want %d/%d", cca.QoS, tc.ul, tc.dl)
			}
			s := e.n.SessionsOf(addr(tc.ue))
			if len(s) != 1 || s[0].SessionID != sid || s[0].IMSI != imsi || s[0].MSISDN != msisdn || s[0].APN != tc.apn ||
				s[0].PGW != pgw1 {
				t.Errorf("session %+v", s)
			}
		})
	}
	wantSessions(t, e.n, 3, 0)
	if v := metric(t, e.n, "corebox_pcrf_gx_sessions"); v != 3 {
		t.Errorf("gx_sessions gauge %v, want 3", v)
	}
}

func TestCCRInitialUnknownAPNRefused(t *testing.T) {
	e := setup(t, nil)
	_, cca, err := e.pgw.Open(bg, pcrftest.Session{IMSI: imsi, APN: "nowhere", UE: addr("10.45.0.9")})
	if err != nil {
		t.Fatal(err)
	}
	if cca.Result != diameter.Experimental(diameter.ExpErrorInitialParameters) {
		t.Errorf("CCA %v, want Experimental 5140", cca.Result)
	}
	wantSessions(t, e.n, 0, 0)
	if v := metric(t, e.n, `corebox_pcrf_diameter_requests_total{command="CCR",result="exp-5140"}`); v != 1 {
		t.Errorf("requests{CCR,exp-5140} = %v, want 1", v)
	}
}

func TestCCRInitialPredefinedRules(t *testing.T) {
	e := setup(t, func(c *pcrf.Config) {
		c.APNs[0].Rules = []pcrf.RuleConfig{{Name: "dns", Precedence: 200, QCI: 9, ARPConfig: pcrf.ARPConfig{Priority: 8},
			MBRUL: "1 Mbps", MBRDL: "2 Mbps", Flows: []pcrf.FlowConfig{
				{Description: "permit out 17 from any 53 to assigned", Direction: "bidirectional"}}}}
	})
	sid, cca := open(t, e.pgw, "internet", "10.45.0.2")
	want := []diameter.ChargingRule{{Name: "dns", Precedence: 200,
		Flows: []diameter.Flow{{Description: "permit out 17 from any 53 to assigned", Direction: diameter.FlowDirectionBidirectional}},
		QoS: &diameter.QoSInformation{QCI: 9, MaxReqBandwidthUL: 1e6, MaxReqBandwidthDL: 2e6, ARP: &diameter.ARP{PriorityLevel: 8,
			PreemptionCapability: diameter.PreemptionCapabilityDisabled, PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}}}}
	if !reflect.DeepEqual(cca.Install, want) {
		t.Errorf("Charging-Rule-Install %+v, want %+v", cca.Install, want)
	}
	if s := e.n.SessionsOf(addr("10.45.0.2")); len(s) != 1 || !reflect.DeepEqual(s[0].Rules, map[string]bool{"dns": true}) {
		t.Errorf("session %s rules: %+v", sid, s)
	}
}

func TestCCRUpdateAndTermination(t *testing.T) {
	e := setup(t, nil)
	sid, _ := open(t, e.pgw, "internet", "10.45.0.2")
	steps := []struct {
		name string
		send func(string) (*diameter.CCA, error)
		want diameter.Result
		gx   int
	}{
		{"update", func(s string) (*diameter.CCA, error) { return e.pgw.Update(bg, s) }, diameter.Success, 1},
		{"terminate", func(s string) (*diameter.CCA, error) { return e.pgw.Terminate(bg, s) }, diameter.Success, 0},
		{"update after terminate", func(s string) (*diameter.CCA, error) { return e.pgw.Update(bg, s) }, diameter.Result{Code: 5002}, 0},
		{"terminate again", func(s string) (*diameter.CCA, error) { return e.pgw.Terminate(bg, s) }, diameter.Result{Code: 5002}, 0},
		{"update of a session never opened", func(string) (*diameter.CCA, error) {
			return e.pgw.Update(bg, diameter.NewSessionID(pgw1))
		}, diameter.Result{Code: 5002}, 0},
	}
	for _, st := range steps {
		cca, err := st.send(sid)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if cca.Result != st.want {
			t.Errorf("%s: %v, want %v", st.name, cca.Result, st.want)
		}
		wantSessions(t, e.n, st.gx, 0)
	}
	if len(e.n.SessionsOf(addr("10.45.0.2"))) != 0 {
		t.Error("terminated session still indexed by its UE address")
	}
}

// ruleReport is a Charging-Rule-Report AVP (go-diameter's dictionary
// lacks it), as a PGW sends it in CCR-Update.
func ruleReport(name string, status uint32) *diam.AVP {
	return diam.NewAVP(1018, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, &diam.GroupedAVP{AVP: []*diam.AVP{
		diam.NewAVP(avp.ChargingRuleName, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, datatype.OctetString(name)),
		diam.NewAVP(1019, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, datatype.Enumerated(int32(status))),
		diam.NewAVP(1031, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, datatype.Enumerated(4)), // GW/PCEF_MALFUNCTION
	}})
}

func TestCCRUpdateRuleReport(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	sid, _ := open(t, e.pgw, "ims", ue)
	rx := e.af.NewSessionID()
	if a := authorize(t, e.af, rx, ue, audio(ue, 41000)); a.Result != diameter.Success {
		t.Fatalf("AAA %v", a.Result)
	}
	rule := e.pgw.WaitRARs(t, 1)[0].Install[0].Name
	ccr := &diameter.CCR{RequestHeader: e.pgw.Header(sid), RequestType: diameter.CCRequestUpdate, RequestNumber: 1}
	m := build(t, ccr)
	m.AddAVP(ruleReport(rule, 1)) // INACTIVE
	cca := parseCCA(t, request(t, e.pgw, m))
	if cca.Result != diameter.Success {
		t.Fatalf("CCA-U %v", cca.Result)
	}
	if s := e.n.SessionsOf(addr(ue)); len(s) != 1 || !reflect.DeepEqual(s[0].Rules, map[string]bool{rule: false}) {
		t.Errorf("rules after the report: %+v", s)
	}
	if v := metric(t, e.n, `corebox_pcrf_rule_reports_total{status="inactive"}`); v != 1 {
		t.Errorf("rule_reports{inactive} = %v, want 1", v)
	}
}

// TestMalformedCountedConnectionUsable sends requests that lack, break or
// garble AVPs: each is answered with its error, counted, and the
// connection keeps serving.
func TestMalformedCountedConnectionUsable(t *testing.T) {
	e := setup(t, nil)
	valid := func() *diam.Message {
		ccr := &diameter.CCR{RequestHeader: e.pgw.Header(diameter.NewSessionID(pgw1)), RequestType: diameter.CCRequestInitial,
			APN: "internet", FramedIP: addr("10.45.0.7")}
		return build(t, ccr)
	}
	tests := []struct {
		name   string
		mangle func(*diam.Message)
		code   uint32
		reason string
	}{
		{"missing CC-Request-Type", func(m *diam.Message) { m.DeleteAVP(avp.CCRequestType, 0) }, 5005, "missing_avp"},
		{"3-octet Framed-IP-Address", func(m *diam.Message) {
			m.DeleteAVP(avp.FramedIPAddress, 0)
			m.AddAVP(diam.NewAVP(avp.FramedIPAddress, avp.Mbit, 0, datatype.OctetString([]byte{10, 45, 0})))
		}, 5004, "invalid_avp"},
		{"event request", func(m *diam.Message) {
			m.DeleteAVP(avp.CCRequestType, 0)
			m.AddAVP(diam.NewAVP(avp.CCRequestType, avp.Mbit, 0, datatype.Enumerated(4)))
		}, 5004, "invalid_avp"},
		{"garbled QoS-Information", func(m *diam.Message) {
			m.AddAVP(diam.NewAVP(avp.QoSInformation, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, datatype.OctetString([]byte{1, 2, 3, 4, 5})))
		}, 5004, "decode"},
		{"garbled Charging-Rule-Report", func(m *diam.Message) {
			m.AddAVP(diam.NewAVP(1018, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, datatype.OctetString([]byte{0, 0, 3, 0xed, 0x40, 0, 0, 99})))
			m.DeleteAVP(avp.CCRequestType, 0)
			m.AddAVP(diam.NewAVP(avp.CCRequestType, avp.Mbit, 0, datatype.Enumerated(2)))
		}, 5004, "invalid_avp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := metric(t, e.n, `corebox_pcrf_diameter_malformed_total{reason="`+tc.reason+`"}`)
			m := valid()
			tc.mangle(m)
			res, err := diameter.ResultOf(request(t, e.pgw, m))
			if err != nil || res.Code != tc.code {
				t.Errorf("answer %v (%v), want %d", res, err, tc.code)
			}
			if after := metric(t, e.n, `corebox_pcrf_diameter_malformed_total{reason="`+tc.reason+`"}`); after != before+1 {
				t.Errorf("malformed{%s} %v -> %v, want +1", tc.reason, before, after)
			}
		})
	}
	wantSessions(t, e.n, 0, 0)
	open(t, e.pgw, "internet", "10.45.0.8") // the same connection still serves
	wantSessions(t, e.n, 1, 0)
}

func TestDrainRefusesNewSessionsOnly(t *testing.T) {
	e := setup(t, nil)
	sid, _ := open(t, e.pgw, "ims", "10.46.0.2")
	rx := e.af.NewSessionID()
	if a := authorize(t, e.af, rx, "10.46.0.2"); a.Result != diameter.Success {
		t.Fatalf("AAA %v", a.Result)
	}
	ops := "http://" + e.n.Ops().Addr().String()
	if code, _ := nfkittest.Do(t, "POST", ops+"/drain", ""); code != http.StatusAccepted {
		t.Fatalf("POST /drain: %d", code)
	}
	ccr := &diameter.CCR{RequestHeader: e.pgw.Header(diameter.NewSessionID(pgw1)), RequestType: diameter.CCRequestInitial, APN: "internet"}
	if res := send(t, e.pgw, ccr); res.Code != diameter.ResultTooBusy {
		t.Errorf("CCR-I while draining: %v, want 3004", res)
	}
	aar := &diameter.AAR{RequestHeader: e.af.Header(e.af.NewSessionID()), FramedIP: addr("10.46.0.2")}
	if res := send(t, e.af, aar); res.Code != diameter.ResultTooBusy {
		t.Errorf("new AAR while draining: %v, want 3004", res)
	}
	// remaining counts the held Gx session (handlers in flight settle
	// just after their answers go out).
	remaining := func(n string) func() bool {
		return func() bool {
			_, body := nfkittest.Do(t, "GET", ops+"/drain", "")
			return strings.Contains(body, `"draining":true,"remaining":`+n+`}`)
		}
	}
	nfkittest.Eventually(t, 5*time.Second, "drain remaining 1", remaining("1"))
	if a := terminateRx(t, e.af, rx); a.Result != diameter.Success {
		t.Errorf("STR while draining: %v", a.Result)
	}
	if a := terminateGx(t, e.pgw, sid); a.Result != diameter.Success {
		t.Errorf("CCR-T while draining: %v", a.Result)
	}
	nfkittest.Eventually(t, 5*time.Second, "drain remaining 0", remaining("0"))
}

func TestOpsEndpoints(t *testing.T) {
	e := setup(t, nil)
	sid, _ := open(t, e.pgw, "internet", "10.45.0.2")
	ops := "http://" + e.n.Ops().Addr().String()
	tests := []struct {
		path string
		code int
		body string
	}{
		{"/healthz", http.StatusOK, ""},
		{"/readyz", http.StatusOK, ""},
		{"/sessions/10.45.0.2", http.StatusOK, sid},
		{"/sessions/10.45.0.3", http.StatusNotFound, "no Gx session"},
		{"/sessions/nonsense", http.StatusBadRequest, "not an IP address"},
		{"/metrics", http.StatusOK, "corebox_pcrf_rx_sessions 0"},
		{"/info", http.StatusOK, `"origin_host":"pcrf.epc.mnc001.mcc001.3gppnetwork.org"`},
	}
	for _, tc := range tests {
		code, body := nfkittest.Do(t, "GET", ops+tc.path, "")
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, code, body, tc.code, tc.body)
		}
	}
}

func TestMaxSessions(t *testing.T) {
	e := setup(t, func(c *pcrf.Config) { c.MaxSessions = 1 })
	open(t, e.pgw, "ims", "10.46.0.2")
	ccr := &diameter.CCR{RequestHeader: e.pgw.Header(diameter.NewSessionID(pgw1)), RequestType: diameter.CCRequestInitial,
		APN: "ims", FramedIP: addr("10.46.0.3")}
	if res := send(t, e.pgw, ccr); res.Code != diameter.ResultTooBusy {
		t.Errorf("second Gx session: %v, want 3004", res)
	}
	if a := authorize(t, e.af, e.af.NewSessionID(), "10.46.0.2"); a.Result != diameter.Success {
		t.Errorf("first Rx session: %v", a.Result)
	}
	aar := &diameter.AAR{RequestHeader: e.af.Header(e.af.NewSessionID()), FramedIP: addr("10.46.0.2")}
	if res := send(t, e.af, aar); res.Code != diameter.ResultTooBusy {
		t.Errorf("second Rx session: %v, want 3004", res)
	}
	wantSessions(t, e.n, 1, 1)
}
