package nssf_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// FuzzSelectionQuery sends any query to the handler: the answer is a 200
// AuthorizedNetworkSliceInfo, a 403 SNSSAI_NOT_SUPPORTED or a 400, each
// with a well-formed body; never a 5xx.
func FuzzSelectionQuery(f *testing.F) {
	n, err := nssf.New(labConfig(), nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		f.Fatal(err)
	}
	h := n.Handler()
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", nssf.PathSliceInformation, nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var info models.Nssf_NSSel_AuthorizedNetworkSliceInfo
			if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
				t.Fatalf("200 %s: %v", rec.Body, err)
			}
		case http.StatusBadRequest, http.StatusForbidden:
			var p models.ProblemDetails
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Cause == "" ||
				(rec.Code == http.StatusForbidden && p.Cause != nssf.CauseSnssaiNotSupported) {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
