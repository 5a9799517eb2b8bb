package nrf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// newNF builds an NRF without running it: its Handler serves requests
// in-process.
func newNF(t testing.TB, c *clock) *NF {
	t.Helper()
	n, err := New(testConfig(), nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	n.SetClock(c.Now)
	return n
}

// call sends one request to h and returns the status and ProblemDetails
// (when the answer is one).
func call(h http.Handler, method, target, ctype, body string) (int, models.ProblemDetails, *httptest.ResponseRecorder) {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var p models.ProblemDetails
	if rec.Header().Get("Content-Type") == sbi.ContentProblem {
		_ = json.Unmarshal(rec.Body.Bytes(), &p) // checked by the caller through p's fields
	}
	return rec.Code, p, rec
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadRequests(t *testing.T) {
	n := newNF(t, newClock())
	h := n.Handler()
	inst := nrfc.PathNFInstances + "/" + idA
	if code, _, rec := call(h, "PUT", inst, sbi.ContentJSON, mustJSON(t, smf(idA, "010203", "internet"))); code != 201 {
		t.Fatalf("register = %d %s", code, rec.Body)
	}
	patch := func(items ...models.PatchItem) string { return mustJSON(t, items) }
	tests := []struct {
		name, method, target, ctype, body string
		status                            int
		cause                             string
		malformed                         bool
	}{
		{"discovery without target-nf-type", "GET", nrfc.PathDiscovery + "?requester-nf-type=AMF", "", "", 400, sbi.CauseMandatoryQueryParamMissing, true},
		{"discovery without requester-nf-type", "GET", nrfc.PathDiscovery + "?target-nf-type=SMF", "", "", 400, sbi.CauseMandatoryQueryParamMissing, true},
		{"discovery with bad type", "GET", nrfc.PathDiscovery + "?target-nf-type=smf%20x&requester-nf-type=AMF", "", "", 400, sbi.CauseInvalidQueryParam, true},
		{"discovery with bad snssais", "GET", nrfc.PathDiscovery + "?target-nf-type=SMF&requester-nf-type=AMF&snssais=%7Bsst", "", "", 400, sbi.CauseInvalidQueryParam, true},
		{"discovery with bad sd", "GET", nrfc.PathDiscovery + `?target-nf-type=SMF&requester-nf-type=AMF&snssais=[{"sst":1,"sd":"xyz"}]`, "", "", 400, sbi.CauseInvalidQueryParam, true},
		{"discovery with bad limit", "GET", nrfc.PathDiscovery + "?target-nf-type=SMF&requester-nf-type=AMF&limit=0", "", "", 400, sbi.CauseInvalidQueryParam, true},
		{"register malformed JSON", "PUT", inst, sbi.ContentJSON, `{"nfType":`, 400, sbi.CauseInvalidMsgFormat, true},
		{"register wrong type", "PUT", inst, sbi.ContentJSON, `{"nfType":"SMF","nfStatus":"REGISTERED","load":"high"}`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"register without nfType", "PUT", inst, sbi.ContentJSON, `{"nfStatus":"REGISTERED"}`, 400, sbi.CauseMandatoryIEMissing, true},
		{"register without nfStatus", "PUT", inst, sbi.ContentJSON, `{"nfType":"SMF"}`, 400, sbi.CauseMandatoryIEMissing, true},
		{"register with bad status", "PUT", inst, sbi.ContentJSON, `{"nfType":"SMF","nfStatus":"ASLEEP"}`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"register with other id", "PUT", inst, sbi.ContentJSON, `{"nfInstanceId":"x","nfType":"SMF","nfStatus":"REGISTERED"}`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"register as text", "PUT", inst, "text/plain", `{}`, 415, sbi.CauseUnsupportedMediaType, true},
		{"patch unknown instance", "PATCH", nrfc.PathNFInstances + "/nobody", sbi.ContentPatch, patch(models.PatchItem{Op: "replace", Path: "/load", Value: 1}), 404, "", false},
		{"patch malformed", "PATCH", inst, sbi.ContentPatch, `[{"op":"replace",`, 400, sbi.CauseInvalidMsgFormat, true},
		{"patch not a list", "PATCH", inst, sbi.ContentPatch, `{"op":"replace"}`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"patch empty list", "PATCH", inst, sbi.ContentPatch, `[]`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"patch nfType", "PATCH", inst, sbi.ContentPatch, patch(models.PatchItem{Op: "replace", Path: "/nfType", Value: "AMF"}), 403, sbi.CauseModificationNotAllowed, false},
		{"patch load out of range", "PATCH", inst, sbi.ContentPatch, patch(models.PatchItem{Op: "replace", Path: "/load", Value: 101}), 400, sbi.CauseMandatoryIEIncorrect, true},
		{"patch load wrong type", "PATCH", inst, sbi.ContentPatch, patch(models.PatchItem{Op: "replace", Path: "/load", Value: "x"}), 400, sbi.CauseMandatoryIEIncorrect, true},
		{"patch bad pointer", "PATCH", inst, sbi.ContentPatch, patch(models.PatchItem{Op: "replace", Path: "load", Value: 1}), 400, sbi.CauseMandatoryIEIncorrect, true},
		{"patch unknown op", "PATCH", inst, sbi.ContentPatch, patch(models.PatchItem{Op: "merge", Path: "/load", Value: 1}), 400, sbi.CauseMandatoryIEIncorrect, true},
		{"get unknown instance", "GET", nrfc.PathNFInstances + "/nobody", "", "", 404, "", false},
		{"delete unknown instance", "DELETE", nrfc.PathNFInstances + "/nobody", "", "", 404, "", false},
		{"list with bad type", "GET", nrfc.PathNFInstances + "?nf-type=a%20b", "", "", 400, sbi.CauseInvalidQueryParam, true},
		{"subscribe without URI", "POST", nrfc.PathSubscriptions, sbi.ContentJSON, `{}`, 400, sbi.CauseMandatoryIEMissing, true},
		{"subscribe with bad URI", "POST", nrfc.PathSubscriptions, sbi.ContentJSON, `{"nfStatusNotificationUri":"notify-me"}`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"subscribe to bad event", "POST", nrfc.PathSubscriptions, sbi.ContentJSON, `{"nfStatusNotificationUri":"http://x/n","reqNotifEvents":["NF_EXPLODED"]}`, 400, sbi.CauseMandatoryIEIncorrect, true},
		{"unsubscribe unknown", "DELETE", nrfc.PathSubscriptions + "/nope", "", "", 404, sbi.CauseSubscriptionNotFound, false},
		{"unknown resource", "GET", "/nnrf-nfm/v1/elsewhere", "", "", 404, sbi.CauseResourceURIStructure, false},
		{"unknown service", "GET", "/nudm-sdm/v2/x", "", "", 404, sbi.CauseResourceURIStructure, false},
	}
	malformed := 0
	for _, tt := range tests {
		code, p, rec := call(h, tt.method, tt.target, tt.ctype, tt.body)
		if code != tt.status || p.Cause != tt.cause || int(p.Status) != tt.status {
			t.Errorf("%s: %d %+v (%s), want %d cause %q", tt.name, code, p, rec.Body, tt.status, tt.cause)
		}
		if tt.malformed {
			malformed++
		}
	}
	got := counter(t, n.metrics.MalformedCounter("nnrf-nfm")) + counter(t, n.metrics.MalformedCounter("nnrf-disc"))
	if got != float64(malformed) {
		t.Errorf("malformed requests counted %v, want %d", got, malformed)
	}
	// None of that changed A.
	if p, ok := n.reg.get(idA); !ok || p.NfType != "SMF" || p.Load != 0 {
		t.Errorf("A after bad requests: %+v %v", p, ok)
	}
}

func TestPatchProfile(t *testing.T) {
	base := smf(idA, "010203", "internet")
	base.HeartBeatTimer = 10
	tests := []struct {
		name  string
		items []models.PatchItem
		check func(models.Nrf_NFMgmt_NFProfile) bool
		ok    bool
	}{
		{"replace status", []models.PatchItem{{Op: "replace", Path: "/nfStatus", Value: "SUSPENDED"}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return p.NfStatus == "SUSPENDED" }, true},
		{"replace absent load", []models.PatchItem{{Op: "replace", Path: "/load", Value: 30}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return p.Load == 30 }, true},
		{"add then remove load", []models.PatchItem{{Op: "add", Path: "/load", Value: 30}, {Op: "remove", Path: "/load"}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return p.Load == 0 }, true},
		{"heartBeatTimer", []models.PatchItem{{Op: "replace", Path: "/heartBeatTimer", Value: 20}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return p.HeartBeatTimer == 20 }, true},
		{"append address", []models.PatchItem{{Op: "add", Path: "/ipv4Addresses/-", Value: "10.100.0.6"}},
			func(p models.Nrf_NFMgmt_NFProfile) bool {
				return len(p.Ipv4Addresses) == 2 && p.Ipv4Addresses[1] == "10.100.0.6"
			}, true},
		{"insert address", []models.PatchItem{{Op: "add", Path: "/ipv4Addresses/0", Value: "10.100.0.4"}},
			func(p models.Nrf_NFMgmt_NFProfile) bool {
				return p.Ipv4Addresses[0] == "10.100.0.4" && len(p.Ipv4Addresses) == 2
			}, true},
		{"nested DNN", []models.PatchItem{{Op: "replace", Path: "/smfInfo/sNssaiSmfInfoList/0/dnnSmfInfoList/0/dnn", Value: "ims"}},
			func(p models.Nrf_NFMgmt_NFProfile) bool {
				return p.SmfInfo.SNssaiSmfInfoList[0].DnnSmfInfoList[0].Dnn == "ims"
			}, true},
		{"test passes", []models.PatchItem{{Op: "test", Path: "/nfStatus", Value: "REGISTERED"}, {Op: "replace", Path: "/load", Value: 5}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return p.Load == 5 }, true},
		{"copy and move", []models.PatchItem{{Op: "copy", From: "/ipv4Addresses", Path: "/ipv6Addresses"}, {Op: "move", From: "/ipv6Addresses", Path: "/nsiList"}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return len(p.NsiList) == 1 && len(p.Ipv6Addresses) == 0 }, true},
		{"escaped pointer", []models.PatchItem{{Op: "add", Path: "/customInfo", Value: map[string]any{"a/b": 1}},
			{Op: "replace", Path: "/customInfo/a~1b", Value: 2}},
			func(p models.Nrf_NFMgmt_NFProfile) bool { return p.CustomInfo.(map[string]any)["a/b"] == 2.0 }, true},
		{"test fails", []models.PatchItem{{Op: "test", Path: "/nfStatus", Value: "SUSPENDED"}}, nil, false},
		{"missing parent", []models.PatchItem{{Op: "add", Path: "/udrInfo/groupId", Value: "g"}}, nil, false},
		{"index out of range", []models.PatchItem{{Op: "replace", Path: "/ipv4Addresses/5", Value: "x"}}, nil, false},
		{"leading zero index", []models.PatchItem{{Op: "replace", Path: "/ipv4Addresses/00", Value: "x"}}, nil, false},
		{"remove missing strictly via move", []models.PatchItem{{Op: "move", From: "/nothing", Path: "/load"}}, nil, false},
		{"whole document", []models.PatchItem{{Op: "replace", Path: "", Value: map[string]any{}}}, nil, false},
		{"wrong type", []models.PatchItem{{Op: "replace", Path: "/heartBeatTimer", Value: "soon"}}, nil, false},
	}
	doubling := []models.PatchItem{{Op: "add", Path: "/customInfo", Value: map[string]any{}}}
	for i := range 40 {
		doubling = append(doubling, models.PatchItem{Op: "copy", From: "/customInfo", Path: fmt.Sprintf("/customInfo/k%d", i)})
	}
	tests = append(tests, struct {
		name  string
		items []models.PatchItem
		check func(models.Nrf_NFMgmt_NFProfile) bool
		ok    bool
	}{"copies that double the profile", doubling, nil, false})
	for _, tt := range tests {
		got, err := applyPatch(base, tt.items)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v, want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err != nil {
			if sbi.StatusOf(err) != 400 {
				t.Errorf("%s: error %v is not a 400 problem", tt.name, err)
			}
			continue
		}
		if !tt.check(got) {
			t.Errorf("%s: result %+v", tt.name, got)
		}
	}
	if base.Load != 0 || len(base.Ipv4Addresses) != 1 || base.SmfInfo.SNssaiSmfInfoList[0].DnnSmfInfoList[0].Dnn != "internet" {
		t.Errorf("applyPatch changed its input: %+v", base)
	}
}

func TestDiscoveryMatching(t *testing.T) {
	upf := models.Nrf_NFMgmt_NFProfile{NfInstanceId: "upf", NfType: "UPF", NfStatus: "REGISTERED",
		UpfInfo: &models.Nrf_NFMgmt_UpfInfo{SNssaiUpfInfoList: []models.Nrf_NFMgmt_SnssaiUpfInfoItem{
			{SNssai: &models.ExtSnssai{Sst: 1}, DnnUpfInfoList: []models.Nrf_NFMgmt_DnnUpfInfoItem{{Dnn: "internet"}}},
			{SNssai: &models.ExtSnssai{Sst: 2, Sd: "000001"}, DnnUpfInfoList: []models.Nrf_NFMgmt_DnnUpfInfoItem{{Dnn: "ims"}}},
		}}}
	anySlice := models.Nrf_NFMgmt_NFProfile{NfInstanceId: "any", NfType: "UPF", NfStatus: "REGISTERED"}
	ranged := models.Nrf_NFMgmt_NFProfile{NfInstanceId: "ranged", NfType: "UPF", NfStatus: "REGISTERED",
		SNssais: []models.ExtSnssai{{Sst: 3, SdRanges: []models.SdRange{{Start: "000010", End: "0000FF"}}}, {Sst: 4, WildcardSd: true}}}
	private := models.Nrf_NFMgmt_NFProfile{NfInstanceId: "private", NfType: "UPF", NfStatus: "REGISTERED",
		AllowedNfTypes: []models.Nrf_NFMgmt_NFType{"SMF"}, NfServices: []models.Nrf_NFMgmt_NFService{{ServiceName: "nupf-x"}}}
	c := newClock()
	n := newNF(t, c)
	for _, p := range []models.Nrf_NFMgmt_NFProfile{upf, anySlice, ranged, private} {
		if _, _, err := n.register(p.NfInstanceId, p); err != nil {
			t.Fatal(err)
		}
	}
	q := func(mod func(*nrfc.Query)) nrfc.Query {
		q := nrfc.Query{TargetNfType: "UPF", RequesterNfType: "SMF"}
		if mod != nil {
			mod(&q)
		}
		return q
	}
	sn := func(sst int32, sd string) []models.Snssai { return []models.Snssai{{Sst: sst, Sd: sd}} }
	tests := []struct {
		name string
		q    nrfc.Query
		want string
	}{
		{"all", q(nil), "any private ranged upf"},
		{"requester not allowed", q(func(q *nrfc.Query) { q.RequesterNfType = "AMF" }), "any ranged upf"},
		{"sst 1", q(func(q *nrfc.Query) { q.Snssais = sn(1, "") }), "any private upf"},
		{"sd FFFFFF is no sd", q(func(q *nrfc.Query) { q.Snssais = sn(1, "FFFFFF") }), "any private upf"},
		{"sst 2 wrong sd", q(func(q *nrfc.Query) { q.Snssais = sn(2, "000002") }), "any private"},
		{"sd in range", q(func(q *nrfc.Query) { q.Snssais = sn(3, "00001a") }), "any private ranged"},
		{"sd out of range", q(func(q *nrfc.Query) { q.Snssais = sn(3, "000100") }), "any private"},
		{"wildcard sd", q(func(q *nrfc.Query) { q.Snssais = sn(4, "abcdef") }), "any private ranged"},
		{"dnn", q(func(q *nrfc.Query) { q.Dnn = "IMS" }), "any private ranged upf"},
		{"dnn in slice", q(func(q *nrfc.Query) { q.Dnn = "ims"; q.Snssais = sn(1, "") }), "any private"},
		{"unknown dnn", q(func(q *nrfc.Query) { q.Dnn = "corp" }), "any private ranged"},
		{"service", q(func(q *nrfc.Query) { q.ServiceNames = []string{"nupf-x"} }), "private"},
		{"instance", q(func(q *nrfc.Query) { q.TargetNfInstanceID = "upf" }), "upf"},
		{"limit", q(func(q *nrfc.Query) { q.Limit = 2 }), "any private"},
		{"other type", q(func(q *nrfc.Query) { q.TargetNfType = "SMF" }), ""},
	}
	for _, tt := range tests {
		var got []string
		for _, raw := range n.reg.search(newSearch(tt.q)) {
			var p models.Nrf_NFDisc_NFProfile
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			got = append(got, p.NfInstanceId)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: found %q, want %q", tt.name, strings.Join(got, " "), tt.want)
		}
	}
}

// A slow subscriber never slows registration: its notifications queue up
// to the bound, then are dropped and counted.
func TestSlowSubscriberNeverBlocks(t *testing.T) {
	nfkittest.NoLeaks(t)
	cfg := testConfig()
	cfg.Notify.Queue, cfg.Notify.Workers = 2, 1
	n, url, _ := startNRF(t, cfg, newClock())
	release := make(chan struct{})
	arrived := make(chan struct{}, 16)
	var once bool
	hook := startSBI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer func() {
		if !once {
			close(release)
		}
	}()
	ctx := context.Background()
	if _, err := nrfClient(t, url).Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData{NfStatusNotificationUri: hook + "/n"}); err != nil {
		t.Fatal(err)
	}
	c := nrfClient(t, url)
	start := time.Now()
	const regs = 10
	for i := range regs {
		p := smf(nrfc.InstanceIDFor("smf-"+string(rune('a'+i))), "", "internet")
		if _, err := c.Register(ctx, p); err != nil {
			t.Fatal(err)
		}
		if i == 0 { // the first is in flight, stuck; the queue is empty
			select {
			case <-arrived:
			case <-time.After(5 * time.Second):
				t.Fatal("first notification never arrived")
			}
		}
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("%d registrations took %v behind a stuck subscriber", regs, took)
	}
	// One in flight, two queued, the rest dropped.
	nfkittest.Eventually(t, 5*time.Second, "drops counted", func() bool {
		return counter(t, n.stats.notifications.WithLabelValues("dropped")) == regs-3
	})
	close(release)
	once = true
	nfkittest.Eventually(t, 5*time.Second, "queued ones sent", func() bool {
		return counter(t, n.stats.notifications.WithLabelValues("sent")) == 3
	})
}

// A subscriber that is gone costs a counted, logged failure, nothing more.
func TestFailedNotificationCounted(t *testing.T) {
	n, url, _ := startNRF(t, testConfig(), newClock())
	ctx := context.Background()
	if _, err := nrfClient(t, url).Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData{
		NfStatusNotificationUri: "http://127.0.0.1:1/gone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := nrfClient(t, url).Register(ctx, smf(idA, "", "internet")); err != nil {
		t.Fatal(err)
	}
	nfkittest.Eventually(t, 5*time.Second, "failure counted", func() bool {
		return counter(t, n.stats.notifications.WithLabelValues("failed")) == 1
	})
}

func TestEviction(t *testing.T) {
	cfg := testConfig()
	cfg.EvictAfter = 30 * time.Second
	clk := newClock()
	n, url, _ := startNRF(t, cfg, clk)
	ctx := context.Background()
	b := newSubscriber(t, url)
	if _, err := b.client.Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData{NfStatusNotificationUri: b.url,
		ReqNotifEvents: []models.Nrf_NFMgmt_NotificationEventType{"NF_DEREGISTERED"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := nrfClient(t, url).Register(ctx, smf(idA, "", "internet")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(16 * time.Second)
	n.CheckHeartbeats() // suspended: not an event B asked for
	b.none(t)
	clk.Advance(30 * time.Second)
	n.CheckHeartbeats()
	b.next(t, "NF_DEREGISTERED", idA)
	if _, ok := n.reg.get(idA); ok || counter(t, n.stats.evictions) != 1 || counter(t, n.stats.expiries) != 1 {
		t.Errorf("after eviction: held %v, evictions %v, expiries %v", ok,
			counter(t, n.stats.evictions), counter(t, n.stats.expiries))
	}
}

// The discovery cache answers within validityPeriod without asking the NRF.
func TestDiscoveryCacheHonoursValidity(t *testing.T) {
	n, url, _ := startNRF(t, testConfig(), newClock())
	ctx := context.Background()
	if _, err := nrfClient(t, url).Register(ctx, smf(idA, "", "internet")); err != nil {
		t.Fatal(err)
	}
	clientClock := newClock()
	b := nrfClient(t, url, nrfc.WithClock(clientClock.Now))
	asked := func() float64 { return counter(t, n.metrics.RequestCounter("nnrf-disc", "GET", "2xx")) }
	q := nrfc.Query{TargetNfType: "SMF", RequesterNfType: "AMF"}
	for i, step := range []struct {
		advance time.Duration
		asks    float64
	}{{0, 1}, {10 * time.Second, 1}, {19 * time.Second, 1}, {time.Second, 2}, {time.Second, 2}} {
		clientClock.Advance(step.advance)
		res, err := b.Discover(ctx, q)
		if err != nil || len(res.NfInstances) != 1 {
			t.Fatalf("step %d: %v %v", i, ids(res), err)
		}
		if asked() != step.asks {
			t.Errorf("step %d: NRF asked %v times, want %v", i, asked(), step.asks)
		}
	}
	if b.CachedQueries() != 1 {
		t.Errorf("cache holds %d queries", b.CachedQueries())
	}
}

func TestMetricsAndOps(t *testing.T) {
	n := newNF(t, newClock())
	if ok, _ := n.Ready(); ok {
		t.Error("ready before listening")
	}
	for _, p := range []models.Nrf_NFMgmt_NFProfile{smf("s1", "", "a"), smf("s2", "", "b"),
		{NfInstanceId: "u1", NfType: "UPF", NfStatus: "SUSPENDED"}} {
		if _, _, err := n.register(p.NfInstanceId, p); err != nil {
			t.Fatal(err)
		}
	}
	ops := httptest.NewServer(n.Ops().Handler())
	defer ops.Close()
	code, body := nfkittest.Do(t, "GET", ops.URL+"/metrics", "")
	for _, want := range []string{
		`corebox_nrf_registered_nfs{nf_type="SMF"} 2`,
		`corebox_nrf_nf_instances{nf_type="UPF",status="SUSPENDED"} 1`,
		`corebox_nrf_subscriptions 0`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `corebox_nrf_registered_nfs{nf_type="UPF"}`) {
		t.Error("a SUSPENDED NF counted as registered")
	}
	code, body = nfkittest.Do(t, "POST", ops.URL+"/drain", "")
	if code != 202 || !strings.Contains(body, `"remaining":0`) {
		t.Errorf("drain = %d %s", code, body)
	}
}
