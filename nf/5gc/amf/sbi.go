package amf

import (
	"io"
	"net/http"
	"strconv"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// Callback resources the AMF serves.
const (
	pathDeregCallback = "/namf-callback/v1/deregistration"
	serviceComm       = "namf-comm"
	serviceCallback   = "namf-callback"
)

// self is our SBI apiRoot for callbacks.
func (n *NF) self() string {
	if p := n.selfURI.Load(); p != nil {
		return *p
	}
	return ""
}

func (n *NF) sbiHandler() http.Handler {
	mux := http.NewServeMux()
	route := func(service, pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, n.m.sbi.Wrap(service, f))
	}
	route(serviceComm, "POST "+smcontext.PathUEContexts+"/{ueContextId}/n1-n2-messages", n.postN1N2)
	route(serviceCallback, "POST "+smContextStatusPath+"/{supi}/{psi}", n.postSMContextStatus)
	route(serviceCallback, "POST "+pathDeregCallback+"/{supi}", n.postDeregNotification)
	mux.Handle("/", n.m.sbi.Wrap("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, "no resource "+r.URL.Path)
	})))
	return mux
}

// readBody reads a request body of at most MaxBodyBytes, answering 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, smcontext.MaxBodyBytes))
	if err != nil {
		sbi.WriteProblem(w, http.StatusRequestEntityTooLarge, sbi.CauseInvalidMsgFormat, err.Error())
		return nil, false
	}
	return b, true
}

// postN1N2 is Namf_Communication N1N2MessageTransfer: delivered at once
// to a CM-CONNECTED UE (200), or held while an idle UE is paged (202).
func (n *NF) postN1N2(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := smcontext.ParseN1N2Request(r.Header.Get("Content-Type"), body)
	if err != nil {
		sbi.Malformed(r, err)
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseInvalidMsgFormat, err.Error())
		return
	}
	if len(req.N1) == 0 && len(req.N2) == 0 {
		sbi.WriteProblem(w, http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "neither N1 nor N2 information")
		return
	}
	v, found := n.ues.bySUPI.Load(r.PathValue("ueContextId"))
	if !found {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "no UE context "+r.PathValue("ueContextId"))
		return
	}
	status, cause, perr := v.(*ue).transferN1N2(req)
	if perr != nil {
		sbi.WriteError(w, perr)
		return
	}
	sbi.WriteJSON(w, status, models.Amf_Comm_N1N2MessageTransferRspData{Cause: cause})
}

// postSMContextStatus takes an SMF's SM context status notification: a
// released context is forgotten.
func (n *NF) postSMContextStatus(w http.ResponseWriter, r *http.Request) {
	var note models.Smf_PDUSess_SmContextStatusNotification
	if err := sbi.ReadJSON(w, r, &note); err != nil {
		return
	}
	psi, err := strconv.ParseUint(r.PathValue("psi"), 10, 8)
	v, found := n.ues.bySUPI.Load(r.PathValue("supi"))
	if err != nil || !found {
		sbi.WriteProblem(w, http.StatusNotFound, "CONTEXT_NOT_FOUND", "no such UE or PDU session")
		return
	}
	if si := note.StatusInfo; si != nil && si.ResourceStatus == models.Smf_PDUSess_ResourceStatus_RELEASED {
		u := v.(*ue)
		u.mu.Lock()
		delete(u.sessions, uint8(psi))
		delete(u.pending, uint8(psi))
		u.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// postDeregNotification takes the UDM's deregistration notification; the
// AMF keeps serving the UE until it deregisters itself.
func (n *NF) postDeregNotification(w http.ResponseWriter, r *http.Request) {
	n.log.Info("UDM deregistration notification", "supi", r.PathValue("supi"))
	w.WriteHeader(http.StatusNoContent)
}
