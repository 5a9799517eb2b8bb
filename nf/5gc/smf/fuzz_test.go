package smf

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/corebox/corebox/nf/proto/smcontext"
)

// FuzzCreateSMContext sends CreateSMContext two ways: a raw body with an
// arbitrary Content-Type, and a well-formed multipart body around an
// arbitrary JSON document and N1 payload. Whatever arrives, the SMF must
// not panic and must answer 4xx (the stub UDM subscribes nobody, so even
// a perfect request ends in 403).
func FuzzCreateSMContext(f *testing.F) {
	n := fuzzSMF(f)
	valid := []byte(`{"supi":"imsi-001010000000001","pduSessionId":1,"dnn":"internet","sNssai":{"sst":1},` +
		`"servingNfId":"x","anType":"3GPP_ACCESS","n1SmMsg":{"contentId":"n1SmMsg"}}`)
	n1 := estRequest(f, 1, 1)
	body, ctype, err := smcontext.Encode(valid, smcontext.Part{ID: smcontext.IDN1SM, Type: smcontext.MediaNAS, Data: n1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ctype, body, valid, n1)
	f.Add("application/json", valid, []byte(`{}`), []byte{})
	f.Add(`multipart/related; boundary="b"`, []byte("--b\r\n\r\n--b--"), valid, []byte{0x2e, 0x01, 0x01, 0xc1})
	f.Fuzz(func(t *testing.T, contentType string, body, doc, n1 []byte) {
		post(t, n, contentType, body)
		if b, ct, err := smcontext.Encode(doc, smcontext.Part{ID: smcontext.IDN1SM, Type: smcontext.MediaNAS, Data: n1}); err == nil {
			post(t, n, ct, b)
		}
	})
}

func post(t *testing.T, n *NF, contentType string, body []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, smcontext.PathSMContexts, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, req)
	if w.Code < 400 || w.Code > 499 {
		t.Fatalf("status %d for %q %q: %s", w.Code, contentType, body, w.Body.Bytes())
	}
}

// fuzzSMF is an SMF that is built but not run (no sockets of its own),
// asking a UDM stub that subscribes nobody.
func fuzzSMF(tb testing.TB) *NF {
	tb.Helper()
	cfg := testConfig()
	cfg.Peers.UDM = serveSBI(tb, stubUDM())
	n := newSMF(tb, cfg)
	tb.Cleanup(n.client.CloseIdleConnections) // before the UDM stub stops
	return n
}

// TestFuzzHarnessReachesTheUDM: a well-formed request gets past decoding
// to the subscription check (403 with a reject), so the fuzzer explores
// the whole request path.
func TestFuzzHarnessReachesTheUDM(t *testing.T) {
	n := fuzzSMF(t)
	e := &env{amf: &stubAMF{url: "http://127.0.0.1:1"}}
	body, ctype, err := e.createRequest(t, testSUPI, 1, testDNN).Encode()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, smcontext.PathSMContexts, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, req)
	ce, err := smcontext.ParseCreateError(w.Header().Get("Content-Type"), w.Body.Bytes())
	if w.Code != http.StatusForbidden || err != nil || len(ce.N1SM) == 0 {
		t.Fatalf("status %d, error body %+v (%v)", w.Code, ce, err)
	}
}
