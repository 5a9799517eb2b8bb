package smcontext

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// CreateResult is what CreateSMContext answered: Created on 201 (with the
// Location and its last segment, the smContextRef), Error otherwise.
type CreateResult struct {
	Status   int
	Location string
	Ref      string
	Created  *CreateResponse
	Error    *CreateError
}

// UpdateResult is what UpdateSMContext answered: Updated on 200, neither
// on 204, Error on a failure status.
type UpdateResult struct {
	Status  int
	Updated *UpdateResponse
	Error   *UpdateError
}

// N1N2Result is what N1N2MessageTransfer answered (200 or 202).
type N1N2Result struct {
	Status int
	Data   models.Amf_Comm_N1N2MessageTransferRspData
}

// send posts m to url. A failure status returns the response and a
// *sbi.ProblemError; no response at all returns only the error.
func send(ctx context.Context, c *sbi.Client, url string, m Encoder) (*sbi.Response, error) {
	body, ctype, err := m.Encode()
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, sbi.Request{Method: http.MethodPost, URL: url, Body: body, ContentType: ctype}, nil)
}

// failed fills the cause of a failure from the parsed error document, when
// the body was not a ProblemDetails.
func failed(err error, ext *models.Smf_PDUSess_ExtProblemDetails) error {
	var pe *sbi.ProblemError
	if errors.As(err, &pe) && ext != nil && pe.Problem.Cause == "" {
		pe.Problem.Cause, pe.Problem.Detail = ext.Cause, ext.Detail
	}
	return err
}

// Create sends CreateSMContext to the SMF at smfRoot.
func Create(ctx context.Context, c *sbi.Client, smfRoot string, req *CreateRequest) (*CreateResult, error) {
	resp, err := send(ctx, c, strings.TrimSuffix(smfRoot, "/")+PathSMContexts, req)
	if resp == nil {
		return nil, fmt.Errorf("create sm context: %w", err)
	}
	res := &CreateResult{Status: resp.Status}
	ctype := resp.Header.Get("Content-Type")
	if err != nil {
		if e, perr := ParseCreateError(ctype, resp.Body); perr == nil {
			res.Error = e
			return res, fmt.Errorf("create sm context: %w", failed(err, e.Data.Error))
		}
		return res, fmt.Errorf("create sm context: %w", err)
	}
	if resp.Status != http.StatusCreated {
		return res, fmt.Errorf("create sm context: status %d, want 201", resp.Status)
	}
	if res.Created, err = ParseCreateResponse(ctype, resp.Body); err != nil {
		return res, fmt.Errorf("create sm context: %w", err)
	}
	res.Location = resp.Header.Get("Location")
	if res.Location == "" {
		return res, errors.New("create sm context: 201 without Location")
	}
	res.Ref = path.Base(strings.TrimSuffix(res.Location, "/"))
	return res, nil
}

// Update sends UpdateSMContext for smContextRef to the SMF at smfRoot.
func Update(ctx context.Context, c *sbi.Client, smfRoot, ref string, req *UpdateRequest) (*UpdateResult, error) {
	resp, err := send(ctx, c, strings.TrimSuffix(smfRoot, "/")+ModifyPath(ref), req)
	if resp == nil {
		return nil, fmt.Errorf("update sm context %s: %w", ref, err)
	}
	res := &UpdateResult{Status: resp.Status}
	ctype := resp.Header.Get("Content-Type")
	if err != nil {
		if e, perr := ParseUpdateError(ctype, resp.Body); perr == nil {
			res.Error = e
			return res, fmt.Errorf("update sm context %s: %w", ref, failed(err, e.Data.Error))
		}
		return res, fmt.Errorf("update sm context %s: %w", ref, err)
	}
	switch resp.Status {
	case http.StatusNoContent:
		return res, nil
	case http.StatusOK:
		if res.Updated, err = ParseUpdateResponse(ctype, resp.Body); err != nil {
			return res, fmt.Errorf("update sm context %s: %w", ref, err)
		}
		return res, nil
	}
	return res, fmt.Errorf("update sm context %s: status %d, want 200 or 204", ref, resp.Status)
}

// Release sends ReleaseSMContext for smContextRef; it returns the status
// (204, or 200 with SmContextReleasedData, which is not parsed).
func Release(ctx context.Context, c *sbi.Client, smfRoot, ref string, req *ReleaseRequest) (int, error) {
	if req == nil {
		req = &ReleaseRequest{}
	}
	resp, err := send(ctx, c, strings.TrimSuffix(smfRoot, "/")+ReleasePath(ref), req)
	if err != nil {
		if resp != nil {
			return resp.Status, fmt.Errorf("release sm context %s: %w", ref, err)
		}
		return 0, fmt.Errorf("release sm context %s: %w", ref, err)
	}
	return resp.Status, nil
}

// TransferN1N2 sends N1N2MessageTransfer for ueContextID to the AMF at
// amfRoot. 200 and 202 carry N1N2MessageTransferRspData.
func TransferN1N2(ctx context.Context, c *sbi.Client, amfRoot, ueContextID string, req *N1N2Request) (*N1N2Result, error) {
	var res N1N2Result
	resp, err := send(ctx, c, strings.TrimSuffix(amfRoot, "/")+N1N2Path(ueContextID), req)
	if resp != nil {
		res.Status = resp.Status
	}
	if err != nil {
		return &res, fmt.Errorf("n1n2 transfer to %s: %w", ueContextID, err)
	}
	if pe := sbi.ParseJSON(resp.Body, &res.Data); pe != nil {
		return &res, fmt.Errorf("n1n2 transfer to %s: %w", ueContextID, pe)
	}
	return &res, nil
}

// Write answers with a typed message (a server-side helper).
func Write(w http.ResponseWriter, status int, m Encoder) {
	body, ctype, err := m.Encode()
	if err != nil {
		sbi.WriteProblem(w, http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the peer left: nobody to tell
}
