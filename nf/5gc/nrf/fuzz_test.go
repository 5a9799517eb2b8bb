package nrf

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Each target feeds one decoder entry point of the NRF through its HTTP
// handler: any input is answered with a success or a 4xx ProblemDetails,
// never a 5xx or a panic, and leaves the registry consistent.

func FuzzRegister(f *testing.F) {
	f.Add([]byte(`{"nfType":"AMF","nfStatus":"REGISTERED"}`))
	n := newNF(f, newClock())
	h := n.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		code, p, rec := call(h, "PUT", nrfc.PathNFInstances+"/"+idA, sbi.ContentJSON, string(body))
		switch code {
		case 200, 201:
			var got models.Nrf_NFMgmt_NFProfile
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.NfInstanceId != idA {
				t.Fatalf("reply %s: %v", rec.Body, err)
			}
			if stored, ok := n.reg.get(idA); !ok || validateProfile(stored) != nil {
				t.Fatalf("stored profile invalid: %+v", stored)
			}
		case 400, 413, 415:
			if p.Cause == "" {
				t.Fatalf("%d without a cause: %s", code, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", code, rec.Body)
		}
	})
}

func FuzzPatch(f *testing.F) {
	f.Add([]byte(`[{"op":"replace","path":"/nfStatus","value":"REGISTERED"}]`))
	n := newNF(f, newClock())
	h := n.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, _, err := n.register(idA, smf(idA, "010203", "internet")); err != nil {
			t.Fatal(err)
		}
		code, p, rec := call(h, "PATCH", nrfc.PathNFInstances+"/"+idA, sbi.ContentPatch, string(body))
		switch code {
		case 200, 204:
		case 400, 403, 413:
			if code != 403 && p.Cause == "" {
				t.Fatalf("%d without a cause: %s", code, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", code, rec.Body)
		}
		stored, ok := n.reg.get(idA)
		if !ok || stored.NfType != "SMF" || validateProfile(stored) != nil {
			t.Fatalf("after PATCH: %+v", stored)
		}
	})
}

func FuzzDiscoveryQuery(f *testing.F) {
	f.Add("target-nf-type=SMF&requester-nf-type=AMF")
	n := newNF(f, newClock())
	if _, _, err := n.register(idA, smf(idA, "010203", "internet")); err != nil {
		f.Fatal(err)
	}
	h := n.Handler()
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", nrfc.PathDiscovery, nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var res models.Nrf_NFDisc_SearchResult
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.NfInstances) > 1 {
				t.Fatalf("result %s: %v", rec.Body, err)
			}
		case http.StatusBadRequest:
			if !strings.Contains(rec.Body.String(), `"cause"`) {
				t.Fatalf("400 without a cause: %s", rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
