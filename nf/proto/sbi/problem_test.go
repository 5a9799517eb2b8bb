package sbi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func TestReadJSON(t *testing.T) {
	m := sbi.NewMetrics("corebox_test", nfkittest.Quiet())
	var got models.Nrf_NFMgmt_NFProfile
	h := m.Wrap("nnrf-nfm", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = models.Nrf_NFMgmt_NFProfile{}
		if err := sbi.ReadJSON(w, r, &got); err != nil {
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tests := []struct {
		name, ctype, body string
		status            int
		cause, param      string
	}{
		{"ok", sbi.ContentJSON, `{"nfInstanceId":"a","nfType":"AMF"}`, 204, "", ""},
		{"unknown fields ignored", sbi.ContentJSON, `{"nfInstanceId":"a","futureIE":[1]}`, 204, "", ""},
		{"no content type", "", `{"nfInstanceId":"a"}`, 204, "", ""},
		{"problem+json accepted", "application/problem+json; charset=utf-8", `{}`, 204, "", ""},
		{"syntax", sbi.ContentJSON, `{"nfInstanceId":`, 400, sbi.CauseInvalidMsgFormat, ""},
		{"empty", sbi.ContentJSON, ``, 400, sbi.CauseInvalidMsgFormat, ""},
		{"trailing", sbi.ContentJSON, `{} {}`, 400, sbi.CauseInvalidMsgFormat, ""},
		{"not an object", sbi.ContentJSON, `[1,2]`, 400, sbi.CauseMandatoryIEIncorrect, ""},
		{"wrong type", sbi.ContentJSON, `{"heartBeatTimer":"soon"}`, 400, sbi.CauseMandatoryIEIncorrect, "/heartBeatTimer"},
		{"overflow", sbi.ContentJSON, `{"load":99999999999}`, 400, sbi.CauseMandatoryIEIncorrect, "/load"},
		{"nested wrong type", sbi.ContentJSON, `{"smfInfo":{"sNssaiSmfInfoList":[{"sNssai":{"sst":"x"}}]}}`,
			400, sbi.CauseMandatoryIEIncorrect, "/smfInfo/sNssaiSmfInfoList/sNssai/sst"},
		{"not JSON media", "text/plain", `{}`, 415, sbi.CauseUnsupportedMediaType, ""},
		{"too large", sbi.ContentJSON, `{"fqdn":"` + strings.Repeat("a", sbi.MaxBodyBytes) + `"}`, 413, sbi.CauseInvalidMsgFormat, ""},
	}
	bad := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPut, "/x", strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			if tt.status < 400 {
				return
			}
			bad++
			if ct := rec.Header().Get("Content-Type"); ct != sbi.ContentProblem {
				t.Errorf("content type %q", ct)
			}
			var p models.ProblemDetails
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Cause != tt.cause || int(p.Status) != tt.status {
				t.Errorf("problem %+v, want cause %s status %d", p, tt.cause, tt.status)
			}
			if tt.param != "" && (len(p.InvalidParams) != 1 || p.InvalidParams[0].Param != tt.param) {
				t.Errorf("invalidParams %+v, want %s", p.InvalidParams, tt.param)
			}
		})
	}
	if n := value(t, m.MalformedCounter("nnrf-nfm")); n != float64(bad) {
		t.Errorf("malformed counter %v, want %d", n, bad)
	}
	if n := value(t, m.RequestCounter("nnrf-nfm", "PUT", "4xx")); n != float64(bad) {
		t.Errorf("4xx requests %v, want %d", n, bad)
	}
	if n := value(t, m.RequestCounter("nnrf-nfm", "PUT", "2xx")); n != float64(len(tests)-bad) {
		t.Errorf("2xx requests %v, want %d", n, len(tests)-bad)
	}
}

func TestMetricsLabels(t *testing.T) {
	m := sbi.NewMetrics("corebox_test", nfkittest.Quiet())
	h := m.Wrap("svc", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/write" {
			_, _ = w.Write([]byte("implicit 200"))
		}
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/write", nil),
		httptest.NewRequest("GET", "/nothing", nil),
		httptest.NewRequest("BREW", "/teapot", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := value(t, m.RequestCounter("svc", "GET", "2xx")); n != 2 {
		t.Errorf("GET 2xx = %v, want 2", n)
	}
	if n := value(t, m.RequestCounter("svc", "OTHER", "4xx")); n != 1 {
		t.Errorf("OTHER 4xx = %v, want 1 (unknown methods fold into OTHER)", n)
	}
	if len(m.Collectors()) != 2 {
		t.Error("collectors")
	}
}

// ReadJSON outside Metrics.Wrap still answers; it just cannot count.
func TestReadJSONUnwrapped(t *testing.T) {
	rec := httptest.NewRecorder()
	var v map[string]any
	err := sbi.ReadJSON(rec, httptest.NewRequest("POST", "/", strings.NewReader("{")), &v)
	if err == nil || rec.Code != 400 || sbi.StatusOf(err) != 400 {
		t.Errorf("err %v, code %d", err, rec.Code)
	}
}

func TestParseJSONRoundTrip(t *testing.T) {
	profiles := []models.Nrf_NFMgmt_NFProfile{
		{NfInstanceId: "a", NfType: "AMF", NfStatus: "REGISTERED", HeartBeatTimer: 10},
		{NfInstanceId: "s", NfType: "SMF", Load: 40, SmfInfo: &models.Nrf_NFMgmt_SmfInfo{
			SNssaiSmfInfoList: []models.Nrf_NFMgmt_SnssaiSmfInfoItem{{
				SNssai:         &models.ExtSnssai{Sst: 1, Sd: "010203"},
				DnnSmfInfoList: []models.Nrf_NFMgmt_DnnSmfInfoItem{{Dnn: "internet"}}}}}},
	}
	for _, p := range profiles {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back models.Nrf_NFMgmt_NFProfile
		if pe := sbi.ParseJSON(data, &back); pe != nil {
			t.Fatal(pe)
		}
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(data) {
			t.Errorf("round trip:\n%s\n%s", data, again)
		}
	}
}
