package smcontext

import "net/url"

// Resource paths (below an NF's apiRoot).
const (
	// PathSMContexts is the Nsmf_PDUSession SM contexts collection.
	PathSMContexts = "/nsmf-pdusession/v1/sm-contexts"
	// PathUEContexts is the Namf_Communication UE contexts collection.
	PathUEContexts = "/namf-comm/v1/ue-contexts"
)

// ModifyPath is the UpdateSMContext operation of an SM context.
func ModifyPath(smContextRef string) string {
	return PathSMContexts + "/" + url.PathEscape(smContextRef) + "/modify"
}

// ReleasePath is the ReleaseSMContext operation of an SM context.
func ReleasePath(smContextRef string) string {
	return PathSMContexts + "/" + url.PathEscape(smContextRef) + "/release"
}

// N1N2Path is the N1N2MessageTransfer operation of a UE context (the
// ueContextId is the SUPI, e.g. imsi-001010000000001).
func N1N2Path(ueContextID string) string {
	return PathUEContexts + "/" + url.PathEscape(ueContextID) + "/n1-n2-messages"
}
