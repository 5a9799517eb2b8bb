package nrfc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func TestQueryRoundTrip(t *testing.T) {
	queries := []Query{
		{TargetNfType: "SMF", RequesterNfType: "AMF"},
		{TargetNfType: "UPF", RequesterNfType: "SMF", Dnn: "internet", Limit: 3,
			Snssais: []models.Snssai{{Sst: 1, Sd: "010203"}, {Sst: 2}}},
		{TargetNfType: "5G_EIR", RequesterNfType: "AMF", RequesterNfInstanceID: "r", TargetNfInstanceID: "t",
			ServiceNames: []string{"n5g-eir-eic", "x"}},
	}
	for _, q := range queries {
		back, err := ParseQuery(q.Values())
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if !reflect.DeepEqual(back, q) {
			t.Errorf("round trip:\n%+v\n%+v", q, back)
		}
		// The encoding is canonical: equal queries make equal cache keys.
		if q.Encode() != back.Encode() {
			t.Errorf("keys differ: %s / %s", q.Encode(), back.Encode())
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		raw, cause, param string
	}{
		{"requester-nf-type=AMF", sbi.CauseMandatoryQueryParamMissing, ParamTargetNfType},
		{"target-nf-type=SMF", sbi.CauseMandatoryQueryParamMissing, ParamRequesterNfType},
		{"target-nf-type=smf&requester-nf-type=AMF", sbi.CauseInvalidQueryParam, ParamTargetNfType},
		{"target-nf-type=SMF&requester-nf-type=AMF&snssais=1", sbi.CauseInvalidQueryParam, ParamSnssais},
		{`target-nf-type=SMF&requester-nf-type=AMF&snssais=[{"sst":256}]`, sbi.CauseInvalidQueryParam, ParamSnssais},
		{`target-nf-type=SMF&requester-nf-type=AMF&snssais=[{"sst":1,"sd":"12345"}]`, sbi.CauseInvalidQueryParam, ParamSnssais},
		{"target-nf-type=SMF&requester-nf-type=AMF&limit=-1", sbi.CauseInvalidQueryParam, ParamLimit},
	}
	for _, tt := range tests {
		v, err := url.ParseQuery(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseQuery(v)
		var pe *sbi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 400 || pe.Problem.Cause != tt.cause ||
			len(pe.Problem.InvalidParams) != 1 || pe.Problem.InvalidParams[0].Param != tt.param {
			t.Errorf("%s: %v, want 400 %s on %s", tt.raw, err, tt.cause, tt.param)
		}
	}
	// Service names come comma-separated or repeated.
	q, err := ParseQuery(url.Values{"target-nf-type": {"SMF"}, "requester-nf-type": {"AMF"},
		"service-names": {"a,b", "c"}})
	if err != nil || strings.Join(q.ServiceNames, " ") != "a b c" {
		t.Errorf("service names %v (%v)", q.ServiceNames, err)
	}
}

func TestInstanceIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-([45])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := NewInstanceID(), NewInstanceID()
	if m := uuid.FindStringSubmatch(a); m == nil || m[1] != "4" || a == b {
		t.Errorf("NewInstanceID %q %q", a, b)
	}
	x := InstanceIDFor("5gc-smf-0")
	if m := uuid.FindStringSubmatch(x); m == nil || m[1] != "5" {
		t.Errorf("InstanceIDFor = %q", x)
	}
	if x != InstanceIDFor("5gc-smf-0") || x == InstanceIDFor("5gc-smf-1") {
		t.Error("InstanceIDFor is not a function of the name")
	}
}

func TestNewRejectsBadURI(t *testing.T) {
	for _, u := range []string{"", "nrf:8000", "ftp://nrf", "http://"} {
		if _, err := New(nil, u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestCacheInvalidation(t *testing.T) {
	now := time.Now()
	res := func(ids ...string) models.Nrf_NFDisc_SearchResult {
		var r models.Nrf_NFDisc_SearchResult
		for _, id := range ids {
			r.NfInstances = append(r.NfInstances, models.Nrf_NFDisc_NFProfile{NfInstanceId: id})
		}
		return r
	}
	fill := func() *cache {
		c := &cache{entries: map[string]cacheEntry{}}
		c.put(0, "smf1", "SMF", res("s1"), now.Add(time.Minute))
		c.put(0, "smf2", "SMF", res(), now.Add(time.Minute))
		c.put(0, "upf", "UPF", res("u1", "s1"), now.Add(time.Minute))
		return c
	}
	tests := []struct {
		nfType models.Nrf_NFMgmt_NFType
		id     string
		left   []string
	}{
		{"SMF", "", []string{"upf"}},
		{"", "u1", []string{"smf1", "smf2"}},
		{"AMF", "s1", []string{"smf2"}},
		{"", "", nil},
	}
	for _, tt := range tests {
		c := fill()
		c.invalidate(tt.nfType, tt.id)
		var left []string
		for _, k := range []string{"smf1", "smf2", "upf"} {
			if _, ok := c.get(k, now); ok {
				left = append(left, k)
			}
		}
		if !reflect.DeepEqual(left, tt.left) {
			t.Errorf("invalidate(%q, %q) left %v, want %v", tt.nfType, tt.id, left, tt.left)
		}
	}
	// A search that started before an invalidation does not store its answer.
	c := fill()
	gen := c.generation()
	c.invalidate("UPF", "")
	c.put(gen, "upf", "UPF", res("u1"), now.Add(time.Minute))
	if _, ok := c.get("upf", now); ok {
		t.Error("stale answer stored after an invalidation")
	}
	if _, ok := c.get("smf1", now.Add(time.Minute)); ok {
		t.Error("expired entry served")
	}
}

// fakeNRF records requests and answers from a script.
type fakeNRF struct {
	mu     sync.Mutex
	calls  []string
	answer func(r *http.Request, body []byte) (int, any)
}

func (f *fakeNRF) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body json.RawMessage
	if r.ContentLength != 0 && r.Method != http.MethodGet && r.Method != http.MethodDelete {
		if err := sbi.ReadJSON(w, r, &body); err != nil {
			return
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
	f.mu.Unlock()
	code, v := f.answer(r, body)
	if p, ok := v.(models.ProblemDetails); ok {
		p.Status = int32(code)
		sbi.WriteProblemDetails(w, p)
		return
	}
	sbi.WriteJSON(w, code, v)
}

func (f *fakeNRF) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func startFake(t *testing.T, f *fakeNRF) *Client {
	t.Helper()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, f) }()
	t.Cleanup(func() { cancel(); <-done })
	nfkittest.Eventually(t, 5*time.Second, "fake NRF listening", func() bool { return srv.Addr() != nil })
	s, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.CloseIdleConnections)
	c, err := New(s, srv.URL(), WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHeartbeatAfterNRFForgot(t *testing.T) {
	var known atomic.Bool
	f := &fakeNRF{answer: func(r *http.Request, body []byte) (int, any) {
		switch r.Method {
		case http.MethodPut:
			known.Store(true)
			return 201, map[string]any{"nfInstanceId": "a", "nfType": "AMF", "nfStatus": "REGISTERED", "heartBeatTimer": 7}
		case http.MethodPatch:
			if !known.Load() {
				return 404, models.ProblemDetails{Detail: "who?"}
			}
			return 204, nil
		}
		return 500, nil
	}}
	c := startFake(t, f)
	ctx := context.Background()
	if err := c.Heartbeat(ctx); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("heartbeat before registering = %v", err)
	}
	if _, err := c.Register(ctx, models.Nrf_NFMgmt_NFProfile{NfInstanceId: "a", NfType: "AMF"}); err != nil {
		t.Fatal(err)
	}
	if c.HeartbeatInterval() != 7*time.Second {
		t.Errorf("interval %v, want the NRF's 7s", c.HeartbeatInterval())
	}
	known.Store(false) // the NRF restarted
	if err := c.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PUT /nnrf-nfm/v1/nf-instances/a application/json",
		"PATCH /nnrf-nfm/v1/nf-instances/a application/json-patch+json",
		"PUT /nnrf-nfm/v1/nf-instances/a application/json",
	}
	if got := f.log(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSubscribeNeedsID(t *testing.T) {
	c := startFake(t, &fakeNRF{answer: func(*http.Request, []byte) (int, any) {
		return 201, map[string]any{"nfStatusNotificationUri": "http://x/n"}
	}})
	ctx := context.Background()
	if _, err := c.Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData{}); err == nil {
		t.Error("subscription without a callback URI accepted")
	}
	if _, err := c.Subscribe(ctx, models.Nrf_NFMgmt_SubscriptionData{NfStatusNotificationUri: "http://x/n"}); err == nil {
		t.Error("reply without subscriptionId accepted")
	}
}

func TestNotificationHandler(t *testing.T) {
	c, err := New(nil, "http://nrf:8000", WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	c.cache.put(0, "k", "SMF", models.Nrf_NFDisc_SearchResult{}, time.Now().Add(time.Hour))
	var got []models.Nrf_NFMgmt_NotificationData
	h := c.NotificationHandler(func(_ context.Context, n models.Nrf_NFMgmt_NotificationData) { got = append(got, n) })
	tests := []struct {
		method, body string
		code         int
	}{
		{"GET", "", 405},
		{"POST", "{", 400},
		{"POST", `{"event":"NF_EXPLODED","nfInstanceUri":"http://nrf/nnrf-nfm/v1/nf-instances/a"}`, 400},
		{"POST", `{"event":"NF_DEREGISTERED"}`, 400},
		{"POST", `{"event":"NF_DEREGISTERED","nfInstanceUri":"http://nrf/"}`, 400},
		{"POST", `{"event":"NF_REGISTERED","nfInstanceUri":"http://nrf/nnrf-nfm/v1/nf-instances/a","nfProfile":{"nfInstanceId":"a","nfType":"SMF"}}`, 204},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, "/notify", strings.NewReader(tt.body)))
		if rec.Code != tt.code {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.body, rec.Code, tt.code)
		}
	}
	if len(got) != 1 || got[0].NfProfile.NfInstanceId != "a" {
		t.Errorf("callback got %+v", got)
	}
	if c.CachedQueries() != 0 {
		t.Error("an SMF registering left SMF searches cached")
	}
}
