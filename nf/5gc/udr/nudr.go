package udr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Nudr-DR (TS 29.504) resources served.
const (
	APIRoot       = "/nudr-dr/v2"
	subsData      = APIRoot + "/subscription-data/{ueId}"
	pathAuthSubs  = subsData + "/authentication-data/authentication-subscription"
	pathAMData    = subsData + "/{servingPlmnId}/provisioned-data/am-data"
	pathSMFSel    = subsData + "/{servingPlmnId}/provisioned-data/smf-selection-subscription-data"
	pathSMData    = subsData + "/{servingPlmnId}/provisioned-data/sm-data"
	pathAMF3GPP   = subsData + "/context-data/amf-3gpp-access"
	serviceNudrDR = "nudr-dr"
)

// Application error causes of TS 29.504/29.503 the UDR answers.
const (
	CauseUserNotFound    = "USER_NOT_FOUND"
	CauseContextNotFound = "CONTEXT_NOT_FOUND"
)

var (
	supiRe = regexp.MustCompile(`^imsi-([0-9]{15})$`)
	plmnRe = regexp.MustCompile(`^[0-9]{5,6}$`)
)

func (n *NF) sbiHandler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, n.metrics.Wrap(serviceNudrDR, n.gate.Wrap(f)))
	}
	route("GET "+pathAuthSubs, n.getAuthSubs)
	route("PATCH "+pathAuthSubs, n.patchAuthSubs)
	route("GET "+pathAMData, n.getAMData)
	route("GET "+pathSMFSel, n.getSMFSel)
	route("GET "+pathSMData, n.getSMData)
	route("PUT "+pathAMF3GPP, n.putAMF3GPP)
	route("GET "+pathAMF3GPP, n.getAMF3GPP)
	mux.Handle("/", n.metrics.Wrap(serviceNudrDR, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, "no resource "+r.URL.Path)
	})))
	return mux
}

// subscriber looks up the ueId of r, answering 404/503 itself on failure.
func (n *NF) subscriber(w http.ResponseWriter, r *http.Request) (Subscriber, *Store, bool) {
	st := n.store.Load()
	if st == nil {
		sbi.WriteProblem(w, http.StatusServiceUnavailable, sbi.CauseSystemFailure, "database not open")
		return Subscriber{}, nil, false
	}
	m := supiRe.FindStringSubmatch(r.PathValue("ueId"))
	if m == nil {
		// Only imsi-<15 digits> SUPIs are stored: anything else is unknown.
		sbi.WriteProblem(w, http.StatusNotFound, CauseUserNotFound, fmt.Sprintf("no subscriber %q", r.PathValue("ueId")))
		return Subscriber{}, nil, false
	}
	sub, err := st.Get(m[1])
	if err != nil {
		n.storeProblem(w, err)
		return Subscriber{}, nil, false
	}
	return sub, st, true
}

func (n *NF) storeProblem(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		sbi.WriteProblem(w, http.StatusNotFound, CauseUserNotFound, "no such subscriber")
	case errors.Is(err, ErrNoContext):
		sbi.WriteProblem(w, http.StatusNotFound, CauseContextNotFound, "no such context data")
	case errors.Is(err, ErrSQNTestFailed):
		n.sqnConflicts.Inc()
		sbi.WriteProblem(w, http.StatusConflict, sbi.CauseModificationNotAllowed, err.Error())
	default:
		n.log.Error("udr store", "err", err)
		sbi.WriteProblem(w, http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
	}
}

func (n *NF) getAuthSubs(w http.ResponseWriter, r *http.Request) {
	if sub, _, ok := n.subscriber(w, r); ok {
		sbi.WriteJSON(w, http.StatusOK, AuthSubscription(sub))
	}
}

func (n *NF) patchAuthSubs(w http.ResponseWriter, r *http.Request) {
	var items []models.PatchItem
	if err := sbi.ReadJSON(w, r, &items); err != nil {
		return
	}
	ops, pe := ParseSQNPatch(items)
	if pe != nil {
		sbi.Malformed(r, pe)
		sbi.WriteError(w, pe)
		return
	}
	sub, st, ok := n.subscriber(w, r)
	if !ok {
		return
	}
	if err := st.PatchSQN(sub.IMSI, ops); err != nil {
		n.storeProblem(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// plmnOK checks {servingPlmnId} (MCC || MNC); the data do not depend on it.
func plmnOK(w http.ResponseWriter, r *http.Request) bool {
	if p := r.PathValue("servingPlmnId"); !plmnRe.MatchString(p) {
		err := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect,
			fmt.Sprintf("servingPlmnId %q: want MCC||MNC, 5 or 6 digits", p))
		sbi.Malformed(r, err)
		sbi.WriteError(w, err)
		return false
	}
	return true
}

func (n *NF) getAMData(w http.ResponseWriter, r *http.Request) {
	if !plmnOK(w, r) {
		return
	}
	if sub, _, ok := n.subscriber(w, r); ok {
		sbi.WriteJSON(w, http.StatusOK, AMData(sub))
	}
}

func (n *NF) getSMFSel(w http.ResponseWriter, r *http.Request) {
	if !plmnOK(w, r) {
		return
	}
	if sub, _, ok := n.subscriber(w, r); ok {
		sbi.WriteJSON(w, http.StatusOK, SMFSelectionData(sub))
	}
}

func (n *NF) getSMData(w http.ResponseWriter, r *http.Request) {
	if !plmnOK(w, r) {
		return
	}
	slice, err := SliceQuery(r.URL.Query().Get("single-nssai"))
	if err != nil {
		sbi.Malformed(r, err)
		sbi.WriteError(w, err)
		return
	}
	if sub, _, ok := n.subscriber(w, r); ok {
		sbi.WriteJSON(w, http.StatusOK, SMData(sub, n.cfg.Session, slice, r.URL.Query().Get("dnn")))
	}
}

// SliceQuery parses a single-nssai query parameter (JSON Snssai); "" is nil.
func SliceQuery(q string) (*models.Snssai, error) {
	if q == "" {
		return nil, nil
	}
	var s models.Snssai
	if err := json.Unmarshal([]byte(q), &s); err != nil || s.Sst < 0 || s.Sst > 255 {
		p := sbi.NewProblem(http.StatusBadRequest, sbi.CauseInvalidQueryParam,
			fmt.Sprintf("single-nssai %q: want {\"sst\":1,\"sd\":\"010203\"}", q))
		p.Problem.InvalidParams = []models.InvalidParam{{Param: "single-nssai", Reason: "not an Snssai"}}
		return nil, p
	}
	return &s, nil
}

func (n *NF) putAMF3GPP(w http.ResponseWriter, r *http.Request) {
	var reg models.Udr_DR_Amf3GppAccessRegistration
	if err := sbi.ReadJSON(w, r, &reg); err != nil {
		return
	}
	if reg.AmfInstanceId == "" {
		err := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "amfInstanceId is missing")
		sbi.Malformed(r, err)
		sbi.WriteError(w, err)
		return
	}
	sub, st, ok := n.subscriber(w, r)
	if !ok {
		return
	}
	data, err := json.Marshal(reg)
	if err != nil {
		sbi.WriteProblem(w, http.StatusInternalServerError, sbi.CauseSystemFailure, err.Error())
		return
	}
	created, err := st.PutAMF3GPP(sub.IMSI, data)
	if err != nil {
		n.storeProblem(w, err)
		return
	}
	if created {
		w.Header().Set("Location", r.URL.Path)
		sbi.WriteJSON(w, http.StatusCreated, reg)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (n *NF) getAMF3GPP(w http.ResponseWriter, r *http.Request) {
	sub, st, ok := n.subscriber(w, r)
	if !ok {
		return
	}
	data, err := st.GetAMF3GPP(sub.IMSI)
	if err != nil {
		n.storeProblem(w, err)
		return
	}
	w.Header().Set("Content-Type", sbi.ContentJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data) // the client left: no one to tell
}
