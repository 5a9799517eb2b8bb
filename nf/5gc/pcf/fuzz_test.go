package pcf_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// FuzzDecodeContext: any body is either a context the PCF can use, which
// re-encodes to one that decodes the same, or a 400 with a cause.
func FuzzDecodeContext(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, pe := pcf.DecodeContext(data)
		if pe != nil {
			if pe.Status != http.StatusBadRequest || pe.Problem.Cause == "" {
				t.Fatalf("rejection %d %q", pe.Status, pe.Problem.Cause)
			}
			return
		}
		if c.Supi == "" || c.Dnn == "" || c.SliceInfo == nil || c.PduSessionId < 1 || c.PduSessionId > 255 {
			t.Fatalf("accepted an incomplete context %+v", c)
		}
		once, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, pe := pcf.DecodeContext(once)
		if pe != nil {
			t.Fatalf("re-encoded context rejected: %v", pe)
		}
		twice, err := json.Marshal(again)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the context:\n%s\n%s (%v)", once, twice, err)
		}
	})
}

// FuzzCreatePolicy feeds bodies to the create handler: every answer is a
// 201 with a decision and a Location, or a 4xx ProblemDetails with a cause.
func FuzzCreatePolicy(f *testing.F) {
	cfg := labConfig()
	cfg.Policies.UnknownDNN = pcf.UnknownDNNReject
	n, err := pcf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		f.Fatal(err)
	}
	h := n.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", pcf.PathPolicies, bytes.NewReader(body))
		req.Header.Set("Content-Type", sbi.ContentJSON)
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusCreated:
			var d models.Pcf_SMPolCtrl_SmPolicyDecision
			loc := rec.Header().Get("Location")
			if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.SessRules[pcf.SessRuleID] == nil ||
				!strings.Contains(loc, pcf.PathPolicies+"/") {
				t.Fatalf("201 %s Location %q: %v", rec.Body, loc, err)
			}
			del := httptest.NewRecorder()
			h.ServeHTTP(del, httptest.NewRequest("POST", loc[strings.Index(loc, pcf.PathPolicies):]+"/delete", nil))
			if del.Code != http.StatusNoContent {
				t.Fatalf("delete after create: %d %s", del.Code, del.Body)
			}
		case rec.Code >= 400 && rec.Code < 500:
			var p models.ProblemDetails
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Cause == "" || int(p.Status) != rec.Code {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if n.Policies() != 0 {
			t.Fatalf("%d policies left", n.Policies())
		}
	})
}
