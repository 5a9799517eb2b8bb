package smcontext

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// serve runs h as an SBI server (h2c) on loopback for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func client(t *testing.T) *sbi.Client {
	t.Helper()
	c, err := sbi.NewClient(sbi.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// fakeSMF answers like an SMF: dnn "internet" is accepted, others get a
// 403 with a reject as N1SM; modify echoes the N2 part back.
func fakeSMF(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathSMContexts, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ParseCreateRequest(r.Header.Get("Content-Type"), body)
		if err != nil {
			sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
			return
		}
		if req.Data.Dnn != "internet" {
			Write(w, http.StatusForbidden, &CreateError{Data: models.Smf_PDUSess_SmContextCreateError{
				Error: &models.Smf_PDUSess_ExtProblemDetails{Status: 403, Cause: "DNN_DENIED"}}, N1SM: req.N1SM})
			return
		}
		w.Header().Set("Location", "http://"+r.Host+PathSMContexts+"/ctx-1")
		Write(w, http.StatusCreated, &CreateResponse{Data: models.Smf_PDUSess_SmContextCreatedData{PduSessionId: req.Data.PduSessionId}})
	})
	mux.HandleFunc("POST "+PathSMContexts+"/{ref}/modify", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ParseUpdateRequest(r.Header.Get("Content-Type"), body)
		switch {
		case err != nil:
			sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		case r.PathValue("ref") != "ctx-1":
			Write(w, http.StatusNotFound, &UpdateError{Data: models.Smf_PDUSess_SmContextUpdateError{
				Error: &models.Smf_PDUSess_ExtProblemDetails{Status: 404, Cause: "CONTEXT_NOT_FOUND"}}})
		case len(req.N2SM) == 0:
			w.WriteHeader(http.StatusNoContent)
		default:
			Write(w, http.StatusOK, &UpdateResponse{Data: models.Smf_PDUSess_SmContextUpdatedData{
				N2SmInfoType: models.Smf_PDUSess_N2SmInfoType_PDU_RES_SETUP_REQ}, N2SM: req.N2SM})
		}
	})
	mux.HandleFunc("POST "+PathSMContexts+"/{ref}/release", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func TestClientAgainstSMF(t *testing.T) {
	root := serve(t, fakeSMF(t))
	c := client(t)
	ctx := context.Background()
	req := &CreateRequest{Data: models.Smf_PDUSess_SmContextCreateData{Supi: "imsi-001010000000001", PduSessionId: 1,
		Dnn: "internet", SNssai: slice}, N1SM: estReq}
	res, err := Create(ctx, c, root, req)
	if err != nil || res.Status != 201 || res.Ref != "ctx-1" || res.Created.Data.PduSessionId != 1 {
		t.Fatalf("create: %+v %v", res, err)
	}
	req.Data.Dnn = "ims"
	res, err = Create(ctx, c, root, req)
	if sbi.StatusOf(err) != 403 || sbi.CauseOf(err) != "DNN_DENIED" || res.Error == nil || !bytes.Equal(res.Error.N1SM, estReq) {
		t.Fatalf("rejected create: %+v %v", res, err)
	}
	up, err := Update(ctx, c, root, "ctx-1", &UpdateRequest{N2SM: setupReq})
	if err != nil || up.Status != 200 || !bytes.Equal(up.Updated.N2SM, setupReq) {
		t.Fatalf("update: %+v %v", up, err)
	}
	up, err = Update(ctx, c, root, "ctx-1", &UpdateRequest{})
	if err != nil || up.Status != 204 || up.Updated != nil {
		t.Fatalf("update 204: %+v %v", up, err)
	}
	up, err = Update(ctx, c, root, "nope", &UpdateRequest{})
	if sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != "CONTEXT_NOT_FOUND" || up.Error == nil {
		t.Fatalf("update unknown: %+v %v", up, err)
	}
	if st, err := Release(ctx, c, root, "ctx-1", nil); err != nil || st != 204 {
		t.Fatalf("release: %d %v", st, err)
	}
	if _, err := Create(ctx, c, "http://127.0.0.1:1", req); err == nil || sbi.StatusOf(err) != 0 {
		t.Fatalf("unreachable SMF: %v", err)
	}
}

func TestTransferN1N2(t *testing.T) {
	var got *N1N2Request
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathUEContexts+"/{id}/n1-n2-messages", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m, err := ParseN1N2Request(r.Header.Get("Content-Type"), body)
		if err != nil || r.PathValue("id") != "imsi-001010000000001" {
			sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, "bad transfer")
			return
		}
		got = m
		sbi.WriteJSON(w, http.StatusAccepted, models.Amf_Comm_N1N2MessageTransferRspData{
			Cause: models.Amf_Comm_N1N2MessageTransferCause_ATTEMPTING_TO_REACH_UE})
	})
	root := serve(t, mux)
	res, err := TransferN1N2(context.Background(), client(t), root, "imsi-001010000000001",
		NewN1N2Request(1, slice, estReq, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, setupReq))
	if err != nil || res.Status != 202 || res.Data.Cause != models.Amf_Comm_N1N2MessageTransferCause_ATTEMPTING_TO_REACH_UE {
		t.Fatalf("transfer: %+v %v", res, err)
	}
	if got == nil || !bytes.Equal(got.N1, estReq) || !bytes.Equal(got.N2, setupReq) || got.SessionID() != 1 {
		t.Fatalf("AMF got %+v", got)
	}
	_, err = TransferN1N2(context.Background(), client(t), root, "imsi-2", NewN1N2Request(1, nil, estReq, "", nil))
	var pe *sbi.ProblemError
	if !errors.As(err, &pe) || pe.Status != 400 {
		t.Fatalf("bad transfer: %v", err)
	}
}
