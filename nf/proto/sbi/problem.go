package sbi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/free5gc/openapi/models"
)

// Media types of SBI bodies.
const (
	ContentJSON    = "application/json"
	ContentProblem = "application/problem+json"
	ContentPatch   = "application/json-patch+json"
)

// MaxBodyBytes bounds request bodies ReadJSON accepts; an NF profile with
// every optional list filled stays well below it.
const MaxBodyBytes = 1 << 20

// Application error causes of TS 29.500 Table 5.2.7.2-1 that corebox NFs use.
const (
	CauseInvalidAPI                 = "INVALID_API"
	CauseInvalidMsgFormat           = "INVALID_MSG_FORMAT"
	CauseInvalidQueryParam          = "INVALID_QUERY_PARAM"
	CauseMandatoryQueryParamMissing = "MANDATORY_QUERY_PARAM_MISSING"
	CauseMandatoryIEIncorrect       = "MANDATORY_IE_INCORRECT"
	CauseMandatoryIEMissing         = "MANDATORY_IE_MISSING"
	CauseOptionalIEIncorrect        = "OPTIONAL_IE_INCORRECT"
	CauseUnspecifiedMsgFailure      = "UNSPECIFIED_MSG_FAILURE"
	CauseModificationNotAllowed     = "MODIFICATION_NOT_ALLOWED"
	CauseSubscriptionNotFound       = "SUBSCRIPTION_NOT_FOUND"
	CauseResourceURIStructure       = "RESOURCE_URI_STRUCTURE_NOT_FOUND"
	CauseUnsupportedMediaType       = "UNSUPPORTED_MEDIA_TYPE"
	CauseSystemFailure              = "SYSTEM_FAILURE"
	CauseNFCongestion               = "NF_CONGESTION"
	CauseTargetNFNotReachable       = "TARGET_NF_NOT_REACHABLE"
)

// ProblemError is an SBI request answered with an error status; Problem is
// the ProblemDetails body, or one built from the status when the peer sent
// none.
type ProblemError struct {
	Status  int
	Problem models.ProblemDetails
}

func (e *ProblemError) Error() string {
	msg := fmt.Sprintf("sbi: status %d", e.Status)
	if e.Problem.Cause != "" {
		msg += " " + e.Problem.Cause
	}
	if e.Problem.Detail != "" {
		msg += ": " + e.Problem.Detail
	} else if e.Problem.Title != "" {
		msg += ": " + e.Problem.Title
	}
	return msg
}

// NewProblem builds a ProblemError with Title from the status text.
func NewProblem(status int, cause, detail string) *ProblemError {
	return &ProblemError{Status: status, Problem: models.ProblemDetails{
		Title: http.StatusText(status), Status: int32(status), Cause: cause, Detail: detail}}
}

// StatusOf is the HTTP status of a *ProblemError in err's chain, else 0.
func StatusOf(err error) int {
	var pe *ProblemError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

// CauseOf is the ProblemDetails cause of a *ProblemError in err's chain.
func CauseOf(err error) string {
	var pe *ProblemError
	if errors.As(err, &pe) {
		return pe.Problem.Cause
	}
	return ""
}

// WriteJSON answers status with v as JSON; a nil v sends no body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, ContentJSON, v)
}

// WriteProblem answers status with a ProblemDetails of cause and detail.
func WriteProblem(w http.ResponseWriter, status int, cause, detail string) {
	WriteProblemDetails(w, NewProblem(status, cause, detail).Problem)
}

// WriteProblemDetails answers p.Status (500 if unset) with p.
func WriteProblemDetails(w http.ResponseWriter, p models.ProblemDetails) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	writeBody(w, int(p.Status), ContentProblem, p)
}

// WriteError answers err: a *ProblemError as itself, anything else as 500.
func WriteError(w http.ResponseWriter, err error) {
	var pe *ProblemError
	if errors.As(err, &pe) {
		p := pe.Problem
		p.Status = int32(pe.Status)
		WriteProblemDetails(w, p)
		return
	}
	WriteProblem(w, http.StatusInternalServerError, CauseSystemFailure, err.Error())
}

func writeBody(w http.ResponseWriter, status int, ctype string, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client left: no one to tell
}

// ParseJSON decodes one JSON value from data into v, as ReadJSON does: bad
// syntax, trailing data or an empty body are INVALID_MSG_FORMAT, a value of
// the wrong type is MANDATORY_IE_INCORRECT naming the field. Unknown fields
// are ignored (TS 29.501 §5.2.9: receivers ignore unknown attributes).
func ParseJSON(data []byte, v any) *ProblemError {
	if len(bytes.TrimSpace(data)) == 0 {
		return NewProblem(http.StatusBadRequest, CauseInvalidMsgFormat, "empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return NewProblem(http.StatusBadRequest, CauseInvalidMsgFormat, "trailing data after the JSON value")
	}
	return nil
}

func jsonProblem(err error) *ProblemError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := NewProblem(http.StatusBadRequest, CauseMandatoryIEIncorrect, err.Error())
		if te.Field != "" {
			p.Problem.InvalidParams = []models.InvalidParam{{
				Param: "/" + strings.ReplaceAll(te.Field, ".", "/"), Reason: "want " + te.Type.String()}}
		}
		return p
	}
	return NewProblem(http.StatusBadRequest, CauseInvalidMsgFormat, err.Error())
}

// ReadJSON reads r's body (at most MaxBodyBytes) into v. On failure it has
// already answered (400, 413 or 415 with ProblemDetails), counted and logged
// the request when running under Metrics.Wrap, and returns the error.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) error {
	pe := readJSON(w, r, v)
	if pe == nil {
		return nil
	}
	malformed(r, pe)
	WriteProblemDetails(w, pe.Problem)
	return pe
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) *ProblemError {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return NewProblem(http.StatusUnsupportedMediaType, CauseUnsupportedMediaType,
			fmt.Sprintf("content type %q is not JSON", ct))
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return NewProblem(http.StatusRequestEntityTooLarge, CauseInvalidMsgFormat,
				fmt.Sprintf("body over %d bytes", mbe.Limit))
		}
		return NewProblem(http.StatusBadRequest, CauseInvalidMsgFormat, "read body: "+err.Error())
	}
	return ParseJSON(data, v)
}

// isJSON accepts application/json and the application/*+json family
// (problem+json, json-patch+json, merge-patch+json).
func isJSON(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return false
	}
	return mt == ContentJSON || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
