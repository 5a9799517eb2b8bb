package smcontext

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to every parser: errors only, never a
// panic, and whatever Decode accepts re-encodes into a body it accepts again.
func FuzzDecode(f *testing.F) {
	body, ctype, err := NewN1N2Request(1, slice, estReq, "PDU_RES_SETUP_REQ", setupReq).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ctype, body)
	f.Add(MediaJSON, []byte(`{"n1SmMsg":{"contentId":"a"}}`))
	f.Add("multipart/related; boundary=b", []byte("--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		_, _ = ParseCreateRequest(ctype, body)
		_, _ = ParseCreateResponse(ctype, body)
		_, _ = ParseCreateError(ctype, body)
		_, _ = ParseUpdateRequest(ctype, body)
		_, _ = ParseUpdateResponse(ctype, body)
		_, _ = ParseUpdateError(ctype, body)
		_, _ = ParseReleaseRequest(ctype, body)
		_, _ = ParseN1N2Request(ctype, body)
		b, err := Decode(ctype, body)
		if err != nil {
			return
		}
		again, ct2, err := Encode(b.JSON, b.Parts...)
		if err != nil {
			return // e.g. a part with an empty type: Encode insists on one
		}
		b2, err := Decode(ct2, again)
		if err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		if !bytes.Equal(b2.JSON, b.JSON) || len(b2.Parts) != len(b.Parts) {
			t.Fatalf("re-encode changed the body: %+v vs %+v", b2, b)
		}
	})
}
