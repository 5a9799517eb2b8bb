package nrfc

import (
	"context"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// FuzzParseQuery: a query either fails with a 400 problem or survives an
// encode/parse round trip unchanged.
func FuzzParseQuery(f *testing.F) {
	f.Add("target-nf-type=SMF&requester-nf-type=AMF")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return // the HTTP server rejects these before us
		}
		q, err := ParseQuery(v)
		if err != nil {
			if sbi.StatusOf(err) != 400 || sbi.CauseOf(err) == "" {
				t.Fatalf("error %v is not a 400 problem", err)
			}
			return
		}
		back, err := ParseQuery(q.Values())
		if err != nil {
			t.Fatalf("own encoding %q rejected: %v", q.Encode(), err)
		}
		if !reflect.DeepEqual(back, q) && !(len(q.Snssais) == 0 && len(back.Snssais) == 0) {
			t.Fatalf("round trip:\n%+v\n%+v", q, back)
		}
	})
}

// FuzzNotification: any notification body is answered 204 or 400.
func FuzzNotification(f *testing.F) {
	f.Add([]byte(`{"event":"NF_DEREGISTERED","nfInstanceUri":"http://nrf/nnrf-nfm/v1/nf-instances/a"}`))
	c, err := New(nil, "http://nrf:8000", WithLogger(nfkittest.Quiet()))
	if err != nil {
		f.Fatal(err)
	}
	h := c.NotificationHandler(func(_ context.Context, n models.Nrf_NFMgmt_NotificationData) {})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/notify", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", sbi.ContentJSON)
		h.ServeHTTP(rec, req)
		if rec.Code != 204 && rec.Code != 400 && rec.Code != 413 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
