package pcf

import (
	"errors"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// ServiceName is the SBI service the PCF serves.
const ServiceName = "npcf-smpolicycontrol"

// PathPolicies is the SM policies collection (TS 29.512 §5.3.2).
const PathPolicies = "/npcf-smpolicycontrol/v1/sm-policies"

func (n *NF) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h http.Handler) { mux.Handle(pattern, n.metrics.sbi.Wrap(ServiceName, h)) }
	route("POST "+PathPolicies, n.gate.WrapOnRefuse(http.HandlerFunc(n.create),
		func() { n.metrics.count(opCreate, resultRefused) }))
	// An association already held is served while draining: its session
	// still runs, and its SMF knows only this PCF.
	route("GET "+PathPolicies+"/{id}", n.gate.WrapAlways(http.HandlerFunc(n.get)))
	route("POST "+PathPolicies+"/{id}/update", n.gate.WrapAlways(http.HandlerFunc(n.update)))
	route("POST "+PathPolicies+"/{id}/delete", n.gate.WrapAlways(http.HandlerFunc(n.remove)))
	mux.Handle("/", n.metrics.sbi.Wrap("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, "no resource "+r.URL.Path)
	})))
	return mux
}

func (n *NF) create(w http.ResponseWriter, r *http.Request) {
	var c models.Pcf_SMPolCtrl_SmPolicyContextData
	if err := sbi.ReadJSON(w, r, &c); err != nil {
		n.metrics.count(opCreate, resultBadRequest)
		return
	}
	if pe := checkContext(c); pe != nil {
		n.malformed(w, r, opCreate, pe)
		return
	}
	q, ok := n.policies.lookup(c.Dnn)
	if !ok {
		n.metrics.count(opCreate, resultDenied)
		n.log.Info("sm policy denied: no policy for the DNN", "dnn", c.Dnn, "pdu_session_id", c.PduSessionId)
		sbi.WriteProblem(w, http.StatusForbidden, CausePolicyContextDenied, "no policy for DNN "+c.Dnn)
		return
	}
	a := &association{context: c, decision: decision(q)}
	replaced, err := n.store.add(a)
	if errors.Is(err, errFull) {
		n.metrics.count(opCreate, resultRefused)
		n.log.Warn("sm policy refused: max_policies reached", "max_policies", n.cfg.Policies.MaxPolicies)
		sbi.WriteProblem(w, http.StatusServiceUnavailable, sbi.CauseNFCongestion, "policy store full")
		return
	}
	if replaced != "" {
		n.log.Info("sm policy replaced: the PDU session had one", "old", replaced, "new", a.id)
	}
	n.metrics.count(opCreate, resultOK)
	n.log.Debug("sm policy created", "id", a.id, "dnn", c.Dnn, "pdu_session_id", c.PduSessionId, "five_qi", q.FiveQI)
	w.Header().Set("Location", nfsbi.RequestRoot(n.cfg.AdvertiseURI, n.cfg.SBI.Scheme(), r)+PathPolicies+"/"+a.id)
	sbi.WriteJSON(w, http.StatusCreated, a.decision)
}

func (n *NF) get(w http.ResponseWriter, r *http.Request) {
	a, ok := n.store.get(r.PathValue("id"))
	if !ok {
		n.notFound(w, r, opGet)
		return
	}
	n.metrics.count(opGet, resultOK)
	sbi.WriteJSON(w, http.StatusOK, models.Pcf_SMPolCtrl_SmPolicyControl{Context: &a.context, Policy: &a.decision})
}

func (n *NF) update(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := n.store.get(id); !ok {
		n.notFound(w, r, opUpdate)
		return
	}
	var u models.Pcf_SMPolCtrl_SmPolicyUpdateContextData
	if err := sbi.ReadJSON(w, r, &u); err != nil {
		n.metrics.count(opUpdate, resultBadRequest)
		return
	}
	a, ok := n.store.update(id, func(a association) association {
		a.context = applyUpdate(a.context, u)
		q, _ := n.policies.lookup(a.context.Dnn) // the DNN was accepted at create
		a.decision = decision(q)
		return a
	})
	if !ok { // deleted meanwhile
		n.notFound(w, r, opUpdate)
		return
	}
	n.metrics.count(opUpdate, resultOK)
	sbi.WriteJSON(w, http.StatusOK, a.decision)
}

func (n *NF) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// The body (SmPolicyDeleteData: final location, usage) is optional to
	// us, but one that is sent must be well formed.
	if r.ContentLength != 0 {
		var d models.Pcf_SMPolCtrl_SmPolicyDeleteData
		if err := sbi.ReadJSON(w, r, &d); err != nil {
			n.metrics.count(opDelete, resultBadRequest)
			return
		}
	}
	if !n.store.remove(id) {
		n.notFound(w, r, opDelete)
		return
	}
	n.metrics.count(opDelete, resultOK)
	n.log.Debug("sm policy deleted", "id", id)
	w.WriteHeader(http.StatusNoContent)
}

func (n *NF) notFound(w http.ResponseWriter, r *http.Request, op string) {
	n.metrics.count(op, resultNotFound)
	sbi.WriteProblem(w, http.StatusNotFound, CauseContextNotFound, "no SM policy association "+r.PathValue("id"))
}

// malformed answers a body that decoded but lacks what the PCF needs.
func (n *NF) malformed(w http.ResponseWriter, r *http.Request, op string, pe *sbi.ProblemError) {
	n.metrics.count(op, resultBadRequest)
	sbi.Malformed(r, pe)
	sbi.WriteProblemDetails(w, pe.Problem)
}
