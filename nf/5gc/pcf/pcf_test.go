package pcf_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// wantQoS is what a decision must authorize.
type wantQoS struct {
	fiveQI, arp    int32
	preempt        models.PreemptionCapability
	ambrUL, ambrDL string
}

func checkDecision(t *testing.T, d models.Pcf_SMPolCtrl_SmPolicyDecision, w wantQoS) {
	t.Helper()
	sr := d.SessRules[pcf.SessRuleID]
	if sr == nil || sr.SessRuleId != pcf.SessRuleID || sr.AuthSessAmbr == nil || sr.AuthDefQos == nil || sr.AuthDefQos.Arp == nil {
		t.Fatalf("session rule %+v", sr)
	}
	if got := *sr.AuthSessAmbr; got.Uplink != w.ambrUL || got.Downlink != w.ambrDL {
		t.Errorf("session AMBR %+v, want %s/%s", got, w.ambrUL, w.ambrDL)
	}
	q := sr.AuthDefQos
	if q.Var5qi != w.fiveQI || q.Arp.PriorityLevel != w.arp || q.Arp.PreemptCap != w.preempt {
		t.Errorf("default QoS 5QI %d ARP %+v, want 5QI %d ARP %d %s", q.Var5qi, *q.Arp, w.fiveQI, w.arp, w.preempt)
	}
	pr := d.PccRules[pcf.PccRuleID]
	if pr == nil || len(pr.FlowInfos) != 1 || !slices.Equal(pr.RefQosData, []string{pcf.QosID}) {
		t.Fatalf("PCC rule %+v", pr)
	}
	qd := d.QosDecs[pcf.QosID]
	if qd == nil || qd.Var5qi != w.fiveQI || qd.Arp == nil || qd.Arp.PriorityLevel != w.arp || !qd.DefQosFlowIndication {
		t.Errorf("QoS data %+v", qd)
	}
}

func TestPolicyLifecycle(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := start(t, labConfig())
	tests := []struct {
		name, dnn string
		want      wantQoS
	}{
		{"per-DNN 5QI and AMBR, default ARP", "internet", wantQoS{8, 8, "NOT_PREEMPT", "200 Mbps", "500 Mbps"}},
		{"per-DNN ARP, DNN case-insensitive, default AMBR", "IMS", wantQoS{5, 1, "MAY_PREEMPT", "1 Gbps", "2 Gbps"}},
		{"unknown DNN gets the default", "corporate", wantQoS{9, 8, "NOT_PREEMPT", "1 Gbps", "2 Gbps"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := smContext("imsi-001010000000001", int32(i+1), tt.dnn)
			uri, d, err := e.c.Create(bg, e.url, req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(uri, e.url+pcf.PathPolicies+"/") {
				t.Errorf("Location %q not under %s", uri, e.url+pcf.PathPolicies)
			}
			checkDecision(t, d, tt.want)

			got, err := e.c.Get(bg, uri)
			if err != nil {
				t.Fatal(err)
			}
			if got.Context == nil || got.Context.Supi != req.Supi || got.Context.Dnn != tt.dnn || got.Context.PduSessionId != req.PduSessionId {
				t.Errorf("stored context %+v", got.Context)
			}
			checkDecision(t, *got.Policy, tt.want)

			upd := models.Pcf_SMPolCtrl_SmPolicyUpdateContextData{Ipv4Address: "10.45.0.7",
				RatType: models.RatType_EUTRA, RepPolicyCtrlReqTriggers: []models.Pcf_SMPolCtrl_PolicyControlRequestTrigger{"RAT_TY_CH"}}
			d, err = e.c.Update(bg, uri, upd)
			if err != nil {
				t.Fatal(err)
			}
			checkDecision(t, d, tt.want)
			if got, err = e.c.Get(bg, uri); err != nil || got.Context.Ipv4Address != "10.45.0.7" || got.Context.RatType != models.RatType_EUTRA {
				t.Errorf("context after update %+v, %v", got.Context, err)
			}

			if err := e.c.Delete(bg, uri, models.Pcf_SMPolCtrl_SmPolicyDeleteData{}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.Get(bg, uri); sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != pcf.CauseContextNotFound {
				t.Errorf("get after delete: %v", err)
			}
		})
	}
	if n := e.pcf.Policies(); n != 0 {
		t.Errorf("%d policies held after deleting all", n)
	}
	for op, want := range map[string]float64{"create": 3, "get": 6, "update": 3, "delete": 3} {
		if got := counter(t, e.pcf.Counter(op, "ok")); got != want {
			t.Errorf("%s ok = %v, want %v", op, got, want)
		}
	}
}

func TestPoliciesGauge(t *testing.T) {
	e := start(t, labConfig())
	var uris []string
	for i := range 3 {
		uri, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000002", int32(i+1), "internet"))
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, uri)
	}
	if !metricLine(t, e.pcf, "corebox_pcf_sm_policies 3") {
		t.Error("corebox_pcf_sm_policies is not 3")
	}
	// A delete without a body is accepted too.
	if _, err := e.sbi.Do(bg, http.MethodPost, uris[0]+"/delete", nil, nil); err != nil {
		t.Fatal(err)
	}
	if !metricLine(t, e.pcf, "corebox_pcf_sm_policies 2") {
		t.Error("corebox_pcf_sm_policies is not 2")
	}
}

func metricLine(t *testing.T, n *pcf.NF, line string) bool {
	t.Helper()
	_, body := nfkittest.Do(t, "GET", "http://"+n.Ops().Addr().String()+"/metrics", "")
	return slices.Contains(strings.Split(body, "\n"), line)
}

func TestUnknownDNNRejected(t *testing.T) {
	cfg := labConfig()
	cfg.Policies.UnknownDNN = pcf.UnknownDNNReject
	e := start(t, cfg)
	_, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 1, "corporate"))
	if sbi.StatusOf(err) != 403 || sbi.CauseOf(err) != pcf.CausePolicyContextDenied {
		t.Errorf("unknown DNN: %v, want 403 %s", err, pcf.CausePolicyContextDenied)
	}
	if _, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 1, "internet")); err != nil {
		t.Errorf("configured DNN: %v", err)
	}
	if got := counter(t, e.pcf.Counter("create", "denied")); got != 1 {
		t.Errorf("create denied = %v, want 1", got)
	}
}

func TestBadCreateBodies(t *testing.T) {
	e := start(t, labConfig())
	tests := []struct {
		name, ctype, body string
		status            int
		cause             string
		params            []string
	}{
		{"not JSON", "", `{"supi":`, 400, sbi.CauseInvalidMsgFormat, nil},
		{"empty", "", ` `, 400, sbi.CauseInvalidMsgFormat, nil},
		{"trailing data", "", `{} {}`, 400, sbi.CauseInvalidMsgFormat, nil},
		{"wrong type", "", `{"supi":"imsi-001010000000001","pduSessionId":"one"}`, 400, sbi.CauseMandatoryIEIncorrect, []string{"/pduSessionId"}},
		{"nothing", "", `{}`, 400, sbi.CauseMandatoryIEMissing, []string{"/supi", "/pduSessionId", "/dnn", "/sliceInfo"}},
		{"no slice", "", `{"supi":"imsi-001010000000001","pduSessionId":1,"dnn":"internet"}`, 400,
			sbi.CauseMandatoryIEMissing, []string{"/sliceInfo"}},
		{"bad values", "", `{"supi":"msisdn-1","pduSessionId":300,"dnn":"a..b","sliceInfo":{"sst":1,"sd":"xyz"}}`, 400,
			sbi.CauseMandatoryIEIncorrect, []string{"/supi", "/pduSessionId", "/dnn", "/sliceInfo/sd"}},
		{"not JSON content", "text/plain", `{}`, 415, sbi.CauseUnsupportedMediaType, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.sbi.Send(bg, sbi.Request{Method: "POST", URL: e.url + pcf.PathPolicies,
				Body: []byte(tt.body), ContentType: tt.ctype}, nil)
			if sbi.StatusOf(err) != tt.status || sbi.CauseOf(err) != tt.cause {
				t.Fatalf("got %v, want %d %s", err, tt.status, tt.cause)
			}
			pe := err.(*sbi.ProblemError)
			var params []string
			for _, p := range pe.Problem.InvalidParams {
				params = append(params, p.Param)
			}
			if tt.params != nil && !slices.Equal(params, tt.params) {
				t.Errorf("invalidParams %v, want %v", params, tt.params)
			}
		})
	}
	if n := e.pcf.Policies(); n != 0 {
		t.Errorf("%d policies held after bad requests", n)
	}
	n := float64(len(tests))
	if got := counter(t, e.pcf.Counter("create", "bad_request")); got != n {
		t.Errorf("create bad_request = %v, want %v", got, n)
	}
	if got := counter(t, e.pcf.SBIMetrics().MalformedCounter(pcf.ServiceName)); got != n {
		t.Errorf("malformed requests = %v, want %v", got, n)
	}
}

func TestUnknownPolicy(t *testing.T) {
	e := start(t, labConfig())
	uri := e.url + pcf.PathPolicies + "/NOSUCHPOLICY"
	_, errGet := e.c.Get(bg, uri)
	_, errUpd := e.c.Update(bg, uri, models.Pcf_SMPolCtrl_SmPolicyUpdateContextData{})
	errDel := e.c.Delete(bg, uri, models.Pcf_SMPolCtrl_SmPolicyDeleteData{})
	for op, err := range map[string]error{"get": errGet, "update": errUpd, "delete": errDel} {
		if sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != pcf.CauseContextNotFound {
			t.Errorf("%s: %v, want 404 %s", op, err, pcf.CauseContextNotFound)
		}
		if got := counter(t, e.pcf.Counter(op, "not_found")); got != 1 {
			t.Errorf("%s not_found = %v, want 1", op, got)
		}
	}
	_, err := e.sbi.Do(bg, "GET", e.url+"/npcf-smpolicycontrol/v9/nothing", nil, nil)
	if sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != sbi.CauseResourceURIStructure {
		t.Errorf("unknown path: %v", err)
	}
}

func TestBadUpdateBody(t *testing.T) {
	e := start(t, labConfig())
	uri, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 5, "internet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"ratType":`, `{"subsSessAmbr":"fast"}`, ``} {
		_, err := e.sbi.Send(bg, sbi.Request{Method: "POST", URL: uri + "/update", Body: []byte(body)}, nil)
		if sbi.StatusOf(err) != 400 || sbi.CauseOf(err) == "" {
			t.Errorf("update %q: %v, want 400 with a cause", body, err)
		}
	}
	if _, err := e.sbi.Send(bg, sbi.Request{Method: "POST", URL: uri + "/delete", Body: []byte(`[`)}, nil); sbi.StatusOf(err) != 400 {
		t.Errorf("delete with a broken body: %v, want 400", err)
	}
	if _, err := e.c.Get(bg, uri); err != nil {
		t.Errorf("policy lost after bad requests: %v", err)
	}
}

func TestSamePDUSessionReplaces(t *testing.T) {
	e := start(t, labConfig())
	req := smContext("imsi-001010000000001", 1, "internet")
	first, _, err := e.c.Create(bg, e.url, req)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := e.c.Create(bg, e.url, req)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("same Location %s twice", first)
	}
	if _, err := e.c.Get(bg, first); sbi.StatusOf(err) != 404 {
		t.Errorf("replaced association: %v, want 404", err)
	}
	if _, err := e.c.Get(bg, second); err != nil {
		t.Errorf("new association: %v", err)
	}
	if n := e.pcf.Policies(); n != 1 {
		t.Errorf("%d policies held, want 1", n)
	}
}

func TestMaxPolicies(t *testing.T) {
	cfg := labConfig()
	cfg.Policies.MaxPolicies = 1
	e := start(t, cfg)
	if _, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 1, "internet")); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 2, "internet"))
	if sbi.StatusOf(err) != 503 || sbi.CauseOf(err) != sbi.CauseNFCongestion {
		t.Errorf("beyond max_policies: %v, want 503 %s", err, sbi.CauseNFCongestion)
	}
}

func TestDrainRefusesNewPolicies(t *testing.T) {
	e := start(t, labConfig())
	uri, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 1, "internet"))
	if err != nil {
		t.Fatal(err)
	}
	ops := "http://" + e.pcf.Ops().Addr().String()
	if code, body := nfkittest.Do(t, "POST", ops+"/drain", ""); code != 202 || !strings.Contains(body, `"remaining":0`) {
		t.Fatalf("POST /drain = %d %s", code, body)
	}
	_, _, err = e.c.Create(bg, e.url, smContext("imsi-001010000000001", 2, "internet"))
	if sbi.StatusOf(err) != 503 || sbi.CauseOf(err) != "NF_SERVICE_FAILOVER" {
		t.Errorf("create while draining: %v, want 503 NF_SERVICE_FAILOVER", err)
	}
	if got := counter(t, e.pcf.Counter("create", "refused")); got != 1 {
		t.Errorf("create refused = %v, want 1", got)
	}
	if _, err := e.c.Update(bg, uri, models.Pcf_SMPolCtrl_SmPolicyUpdateContextData{}); err != nil {
		t.Errorf("update of a held policy while draining: %v", err)
	}
	if err := e.c.Delete(bg, uri, models.Pcf_SMPolCtrl_SmPolicyDeleteData{}); err != nil {
		t.Errorf("delete while draining: %v", err)
	}
	if code, _ := nfkittest.Do(t, "GET", ops+"/readyz", ""); code != 503 {
		t.Errorf("readyz while draining = %d, want 503", code)
	}
}

func TestLocationUsesAdvertiseURI(t *testing.T) {
	cfg := labConfig()
	cfg.AdvertiseURI = "http://pcf-0.corebox.test:8000/"
	e := start(t, cfg)
	uri, _, err := e.c.Create(bg, e.url, smContext("imsi-001010000000001", 1, "internet"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://pcf-0.corebox.test:8000" + pcf.PathPolicies + "/"; !strings.HasPrefix(uri, want) {
		t.Errorf("Location %q, want under %q", uri, want)
	}
}
