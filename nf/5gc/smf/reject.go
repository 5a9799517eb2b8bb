package smf

import (
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// 5GSM causes (TS 24.501 §9.11.4.2) nas5g does not name.
const (
	smCauseUserAuthFailed  uint8 = 29 // user authentication or authorization failed
	smCauseNotSubscribed   uint8 = 33 // requested service option not subscribed
	smCauseIPv4OnlyAllowed uint8 = 50 // PDU session type IPv4 only allowed
)

// rejection is why a CreateSMContext fails: the HTTP status, the TS 29.502
// application error, and the 5GSM cause of the PDU Session Establishment
// Reject sent to the UE (0: the request itself was malformed, no reject).
type rejection struct {
	status int
	cause  string
	sm     uint8
	result string // corebox_smf_session_establishments_total{result}
	detail string
}

func (r *rejection) Error() string {
	return fmt.Sprintf("%d %s (5GSM cause #%d): %s", r.status, r.cause, r.sm, r.detail)
}

func reject(status int, cause string, sm uint8, result, format string, a ...any) *rejection {
	return &rejection{status: status, cause: cause, sm: sm, result: result, detail: fmt.Sprintf(format, a...)}
}

// The rejections, with the 5GSM cause each gives and why that one:
//
//   - DNN unknown to this SMF: #27 missing or unknown DNN.
//   - DNN known, not in the requested slice: #70 missing or unknown DNN
//     in a slice (TS 24.501 names exactly this case).
//   - DNN not in the subscriber's sm-data: #27, which TS 24.501 Annex B
//     gives for a DNN the subscription does not allow.
//   - Subscriber unknown to the UDM, or PCF refusing the session: #29
//     user authentication or authorization failed (not authorized).
//   - Subscription allows no IPv4 session on the DNN: #33 requested
//     service option not subscribed.
//   - IPv6-only request: #50 PDU session type IPv4 only allowed; Ethernet
//     or Unstructured: #28 unknown PDU session type. SSC mode 2 or 3: #68.
//   - No address left, or no UPF to anchor the session: #26 insufficient
//     resources (the UE may retry later or elsewhere).
//   - UDM or UPF failing or silent: #38 network failure.
func rejUnknownDNN(dnn string) *rejection {
	return reject(http.StatusForbidden, "DNN_NOT_SUPPORTED", nas5g.SMCauseMissingOrUnknownDNN, "unknown_dnn",
		"DNN %q is not served by this SMF", dnn)
}

func rejDNNNotInSlice(dnn string, s models.Snssai) *rejection {
	return reject(http.StatusForbidden, "DNN_NOT_SUPPORTED", nas5g.SMCauseMissingOrUnknownDNNInSlice, "unknown_dnn",
		"DNN %q is not served in slice sst %d sd %q", dnn, s.Sst, s.Sd)
}

func rejNotSubscribed(supi, dnn string) *rejection {
	return reject(http.StatusForbidden, "DNN_DENIED", nas5g.SMCauseMissingOrUnknownDNN, "not_subscribed",
		"%s has no subscription to DNN %q in this slice", supi, dnn)
}

func rejUnknownSubscriber(supi string, err error) *rejection {
	return reject(http.StatusForbidden, "SUBSCRIPTION_DENIED", smCauseUserAuthFailed, "unknown_subscriber",
		"%s: %v", supi, err)
}

func rejPolicyDenied(err error) *rejection {
	return reject(http.StatusForbidden, "SUBSCRIPTION_DENIED", smCauseUserAuthFailed, "policy_denied",
		"the PCF refused the session: %v", err)
}

func rejTypeNotSubscribed(dnn string) *rejection {
	return reject(http.StatusForbidden, "PDUTYPE_DENIED", smCauseNotSubscribed, "not_subscribed",
		"the subscription allows no IPv4 session on DNN %q", dnn)
}

func rejPDUType(t uint8) *rejection {
	if t == nas5g.SessionIPv6 {
		return reject(http.StatusForbidden, "PDUTYPE_NOT_SUPPORTED", smCauseIPv4OnlyAllowed, "pdu_type",
			"PDU session type IPv6: only IPv4 is supported")
	}
	return reject(http.StatusForbidden, "PDUTYPE_NOT_SUPPORTED", nas5g.SMCauseUnknownPDUSessionType, "pdu_type",
		"PDU session type %d: only IPv4 is supported", t)
}

func rejSSC(mode uint8) *rejection {
	return reject(http.StatusForbidden, "SSC_NOT_SUPPORTED", nas5g.SMCauseNotSupportedSSCMode, "ssc_mode",
		"SSC mode %d: only SSC mode 1 is supported", mode)
}

func rejPoolExhausted(err error) *rejection {
	return reject(http.StatusInternalServerError, "INSUFFICIENT_RESOURCES_SLICE_DNN", nas5g.SMCauseInsufficientResources,
		"pool_exhausted", "%v", err)
}

func rejNoUPF(detail string) *rejection {
	return reject(http.StatusInternalServerError, "INSUFFICIENT_UP_RESOURCES", nas5g.SMCauseInsufficientResources,
		"no_upf", "%s", detail)
}

func rejUDM(err error) *rejection {
	return reject(http.StatusGatewayTimeout, "NETWORK_FAILURE", nas5g.SMCauseNetworkFailure, "udm_failure",
		"subscription check: %v", err)
}

func rejUPF(status int, cause string, err error) *rejection {
	return reject(status, cause, nas5g.SMCauseNetworkFailure, "upf_failure", "PFCP session establishment: %v", err)
}

func rejBadRequest(cause, format string, a ...any) *rejection {
	return reject(http.StatusBadRequest, cause, 0, "bad_request", format, a...)
}

// writeCreateError answers a failed CreateSMContext: an SmContextCreateError
// with the PDU Session Establishment Reject when the UE is to get one.
func (n *NF) writeCreateError(w http.ResponseWriter, r *http.Request, rej *rejection, psi, pti uint8) {
	n.metrics.establishments.WithLabelValues(rej.result).Inc()
	if rej.status == http.StatusBadRequest {
		sbi.Malformed(r, rej)
	} else {
		n.log.Info("PDU session rejected", "status", rej.status, "cause", rej.cause, "5gsm_cause", rej.sm, "detail", rej.detail)
	}
	e := &smcontext.CreateError{Data: models.Smf_PDUSess_SmContextCreateError{Error: &models.Smf_PDUSess_ExtProblemDetails{
		Title: http.StatusText(rej.status), Status: int32(rej.status), Cause: rej.cause, Detail: rej.detail}}}
	if rej.sm != 0 && psi != 0 {
		n1, err := establishmentReject(psi, pti, rej.sm)
		if err != nil {
			n.log.Error("PDU session reject not encoded; answering without it", "err", err)
		}
		e.N1SM = n1
	}
	smcontext.Write(w, rej.status, e)
}
