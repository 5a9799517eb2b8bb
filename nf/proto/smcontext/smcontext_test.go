package smcontext

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"reflect"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"
)

var (
	slice    = &models.Snssai{Sst: 1, Sd: "010203"}
	estReq   = []byte{0x2e, 0x01, 0x01, 0xc1, 0xff, 0xff, 0x91, 0xa1}
	setupReq = []byte{0x00, 0x00, 0x04, 0x00, 0x82, 0x00, 0x0a, 0x0c, 0x3b, 0x9a, 0xca, 0x00}
	// Binary parts may hold anything, including CRLF and dashes at their ends.
	tricky = []byte("\r\n--\r\n\x00\xff--\r\n")
)

func roundTrip[T any](t *testing.T, name string, in *T, enc func(*T) ([]byte, string, error),
	parse func(string, []byte) (*T, error)) {
	t.Helper()
	body, ctype, err := enc(in)
	if err != nil {
		t.Fatalf("%s: encode: %v", name, err)
	}
	out, err := parse(ctype, body)
	if err != nil {
		t.Fatalf("%s: parse: %v\n%s", name, err, body)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("%s: round trip\n got %+v\nwant %+v", name, out, in)
	}
}

func TestRoundTrip(t *testing.T) {
	create := &CreateRequest{Data: models.Smf_PDUSess_SmContextCreateData{
		Supi: "imsi-001010000000001", PduSessionId: 1, Dnn: "internet", SNssai: slice,
		ServingNfId: "7f0c3c8e-0000-4000-8000-000000000001", AnType: models.AccessType_3_GPP_ACCESS,
		Guami:              &models.Guami{PlmnId: &models.PlmnIdNid{Mcc: "001", Mnc: "01"}, AmfId: "cafe00"},
		ServingNetwork:     &models.PlmnIdNid{Mcc: "001", Mnc: "01"},
		SmContextStatusUri: "http://127.0.0.1:8000/namf-callback/v1/smContextStatus/imsi-001010000000001/1"},
		N1SM: estReq}
	roundTrip(t, "create", create, (*CreateRequest).Encode, ParseCreateRequest)
	if create.Data.N1SmMsg == nil || create.Data.N1SmMsg.ContentId != IDN1SM {
		t.Errorf("create: n1SmMsg reference = %+v", create.Data.N1SmMsg)
	}
	roundTrip(t, "created", &CreateResponse{Data: models.Smf_PDUSess_SmContextCreatedData{PduSessionId: 1, SNssai: slice}},
		(*CreateResponse).Encode, ParseCreateResponse)
	roundTrip(t, "create error", &CreateError{Data: models.Smf_PDUSess_SmContextCreateError{
		Error: &models.Smf_PDUSess_ExtProblemDetails{Status: 403, Cause: "DNN_DENIED"}}, N1SM: tricky},
		(*CreateError).Encode, ParseCreateError)
	roundTrip(t, "update n2", &UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_RSP}, N2SM: setupReq},
		(*UpdateRequest).Encode, ParseUpdateRequest)
	roundTrip(t, "update n1+n2", &UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		UpCnxState: models.Smf_PDUSess_UpCnxState_ACTIVATING}, N1SM: tricky, N2SM: setupReq},
		(*UpdateRequest).Encode, ParseUpdateRequest)
	roundTrip(t, "update json only", &UpdateRequest{Data: models.Smf_PDUSess_SmContextUpdateData{
		UpCnxState: models.Smf_PDUSess_UpCnxState_DEACTIVATED}}, (*UpdateRequest).Encode, ParseUpdateRequest)
	roundTrip(t, "updated", &UpdateResponse{Data: models.Smf_PDUSess_SmContextUpdatedData{
		UpCnxState: models.Smf_PDUSess_UpCnxState_ACTIVATING, N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_REQ},
		N2SM: setupReq}, (*UpdateResponse).Encode, ParseUpdateResponse)
	roundTrip(t, "update error", &UpdateError{Data: models.Smf_PDUSess_SmContextUpdateError{
		Error: &models.Smf_PDUSess_ExtProblemDetails{Status: 404}}}, (*UpdateError).Encode, ParseUpdateError)
	roundTrip(t, "release", &ReleaseRequest{Data: models.Smf_PDUSess_SmContextReleaseData{
		N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_REL_RSP}, N2SM: setupReq},
		(*ReleaseRequest).Encode, ParseReleaseRequest)
	n1n2 := NewN1N2Request(5, slice, estReq, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, setupReq)
	roundTrip(t, "n1n2", n1n2, (*N1N2Request).Encode, ParseN1N2Request)
	if n1n2.SessionID() != 5 || n1n2.NgapIEType() != models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ ||
		!reflect.DeepEqual(n1n2.SNSSAI(), slice) {
		t.Errorf("n1n2 accessors: %d %s %+v", n1n2.SessionID(), n1n2.NgapIEType(), n1n2.SNSSAI())
	}
	roundTrip(t, "n1n2 n1 only", NewN1N2Request(2, nil, tricky, "", nil), (*N1N2Request).Encode, ParseN1N2Request)
	roundTrip(t, "n1n2 n2 only", NewN1N2Request(3, slice, nil, models.Amf_Comm_NgapIeType_PDU_RES_REL_CMD, setupReq),
		(*N1N2Request).Encode, ParseN1N2Request)
}

// A bare struct gets the containers its parts need.
func TestN1N2ContainersFilledIn(t *testing.T) {
	m := &N1N2Request{Data: models.Amf_Comm_N1N2MessageTransferReqData{PduSessionId: 4}, N1: estReq, N2: setupReq}
	body, ctype, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseN1N2Request(ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.N1, estReq) || !bytes.Equal(got.N2, setupReq) || got.SessionID() != 4 ||
		got.Data.N1MessageContainer.N1MessageClass != models.Amf_Comm_N1MessageClass_SM {
		t.Errorf("got %+v", got)
	}
}

func TestEncodeShape(t *testing.T) {
	body, ctype, err := (&CreateRequest{N1SM: estReq}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != MediaMultipart || params["boundary"] == "" || params["type"] != MediaJSON {
		t.Fatalf("content type %q", ctype)
	}
	s := string(body)
	for _, want := range []string{"Content-Type: application/json\r\n", "Content-Id: n1SmMsg\r\n",
		"Content-Type: application/vnd.3gpp.5gnas\r\n", `"n1SmMsg":{"contentId":"n1SmMsg"}`} {
		if !strings.Contains(s, want) {
			t.Errorf("body lacks %q:\n%s", want, s)
		}
	}
	if i, j := strings.Index(s, "application/json"), strings.Index(s, MediaNAS); i < 0 || j < i {
		t.Error("the JSON part is not first")
	}
	// No binary part: plain JSON.
	body, ctype, err = (&UpdateRequest{}).Encode()
	if err != nil || ctype != MediaJSON || string(body) != "{}" {
		t.Errorf("json only: %q %q %v", ctype, body, err)
	}
}

func TestDecodeAccepts(t *testing.T) {
	// Angle-bracketed Content-IDs, a problem+json error without parts, and
	// a JSON root that is not the first part.
	body := "--b\r\nContent-Type: application/vnd.3gpp.5gnas\r\nContent-ID: <n1>\r\n\r\n\x2e\x01\r\n" +
		"--b\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{\"n1SmMsg\":{\"contentId\":\"<n1>\"}}\r\n--b--\r\n"
	m, err := ParseCreateError("multipart/related; boundary=b", []byte(body))
	if err != nil || !bytes.Equal(m.N1SM, []byte{0x2e, 0x01}) {
		t.Fatalf("bracketed ids: %+v %v", m, err)
	}
	e, err := ParseCreateError(MediaProblem, []byte(`{"error":{"status":404,"cause":"CONTEXT_NOT_FOUND"}}`))
	if err != nil || e.Data.Error.Cause != "CONTEXT_NOT_FOUND" {
		t.Fatalf("problem json: %+v %v", e, err)
	}
	r, err := ParseReleaseRequest("", nil)
	if err != nil || r.N2SM != nil {
		t.Fatalf("empty release: %+v %v", r, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	part := func(h, data string) string { return "--b\r\n" + h + "\r\n\r\n" + data + "\r\n" }
	jsonPart := part("Content-Type: application/json", `{"n1SmMsg":{"contentId":"x"}}`)
	tests := []struct{ name, ctype, body string }{
		{"bad content type", "text/plain", "{}"},
		{"unparsable content type", "multipart/related; boundary", "{}"},
		{"no boundary", "multipart/related", "{}"},
		{"no json part", "multipart/related; boundary=b", part("Content-Type: application/vnd.3gpp.5gnas\r\nContent-Id: x", "a") + "--b--\r\n"},
		{"missing referenced part", "multipart/related; boundary=b", jsonPart + "--b--\r\n"},
		{"part without id", "multipart/related; boundary=b", jsonPart + part("Content-Type: application/vnd.3gpp.5gnas", "a") + "--b--\r\n"},
		{"duplicate id", "multipart/related; boundary=b", jsonPart + part("Content-Type: a/b\r\nContent-Id: x", "a") +
			part("Content-Type: a/b\r\nContent-Id: x", "b") + "--b--\r\n"},
		{"truncated", "multipart/related; boundary=b", jsonPart[:20]},
		{"bad json", MediaJSON, `{"n1SmMsg":`},
		{"wrong json type", MediaJSON, `{"n1SmMsg":{"contentId":7}}`},
		{"too many parts", "multipart/related; boundary=b", jsonPart + manyParts(MaxParts) + "--b--\r\n"},
	}
	for _, tt := range tests {
		if _, err := ParseCreateRequest(tt.ctype, []byte(tt.body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tt.name, err)
		}
	}
	if _, err := Decode(MediaJSON, make([]byte, MaxBodyBytes+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized body: %v", err)
	}
	if _, _, err := Encode([]byte("{}"), Part{ID: "a", Type: MediaNAS}, Part{ID: "<a>", Type: MediaNAS}); err == nil {
		t.Error("duplicate ids encoded")
	}
}

// manyParts is n binary parts with distinct Content-IDs.
func manyParts(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "--b\r\nContent-Type: a/b\r\nContent-Id: p%d\r\n\r\n\r\n", i)
	}
	return b.String()
}
