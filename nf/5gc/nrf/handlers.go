package nrf

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// routes is the SBI API: Nnrf_NFManagement and Nnrf_NFDiscovery.
func (n *NF) routes() http.Handler {
	nfm := http.NewServeMux()
	nfm.HandleFunc("PUT "+nrfc.PathNFInstances+"/{id}", n.putInstance)
	nfm.HandleFunc("GET "+nrfc.PathNFInstances+"/{id}", n.getInstance)
	nfm.HandleFunc("PATCH "+nrfc.PathNFInstances+"/{id}", n.patchInstance)
	nfm.HandleFunc("DELETE "+nrfc.PathNFInstances+"/{id}", n.deleteInstance)
	nfm.HandleFunc("GET "+nrfc.PathNFInstances, n.listInstances)
	nfm.HandleFunc("POST "+nrfc.PathSubscriptions, n.postSubscription)
	nfm.HandleFunc("DELETE "+nrfc.PathSubscriptions+"/{id}", n.deleteSubscription)
	nfm.HandleFunc("/", unknownResource)
	disc := http.NewServeMux()
	disc.HandleFunc("GET "+nrfc.PathDiscovery, n.discover)
	disc.HandleFunc("/", unknownResource)

	mux := http.NewServeMux()
	mux.Handle("/nnrf-nfm/", n.metrics.Wrap("nnrf-nfm", nfm))
	mux.Handle("/nnrf-disc/", n.metrics.Wrap("nnrf-disc", disc))
	mux.Handle("/", n.metrics.Wrap("other", http.HandlerFunc(unknownResource)))
	return mux
}

func unknownResource(w http.ResponseWriter, r *http.Request) {
	sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure,
		r.Method+" "+r.URL.Path+" is not an NRF resource")
}

func (n *NF) putInstance(w http.ResponseWriter, r *http.Request) {
	var p models.Nrf_NFMgmt_NFProfile
	if err := sbi.ReadJSON(w, r, &p); err != nil {
		return
	}
	id := r.PathValue("id")
	stored, created, err := n.register(id, p)
	if err != nil {
		n.reject(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", n.apiRoot()+nrfc.PathNFInstances+"/"+url.PathEscape(id))
	}
	sbi.WriteJSON(w, status, stored)
}

func (n *NF) getInstance(w http.ResponseWriter, r *http.Request) {
	p, ok := n.reg.get(r.PathValue("id"))
	if !ok {
		sbi.WriteError(w, notFound(r.PathValue("id")))
		return
	}
	sbi.WriteJSON(w, http.StatusOK, p)
}

// patchInstance answers 204 when nothing changed (a heartbeat), else 200
// with the new profile.
func (n *NF) patchInstance(w http.ResponseWriter, r *http.Request) {
	var items []models.PatchItem
	if err := sbi.ReadJSON(w, r, &items); err != nil {
		return
	}
	p, changed, err := n.update(r.PathValue("id"), items)
	if err != nil {
		n.reject(w, r, err)
		return
	}
	if !changed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	sbi.WriteJSON(w, http.StatusOK, p)
}

func (n *NF) deleteInstance(w http.ResponseWriter, r *http.Request) {
	if err := n.deregister(r.PathValue("id")); err != nil {
		n.reject(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// uriList is TS 29.510's UriList: links to the instances.
type uriList struct {
	Links          map[string]any `json:"_links"`
	TotalItemCount int            `json:"totalItemCount"`
}

// listInstances answers GET nf-instances[?nf-type=X][&limit=N].
func (n *NF) listInstances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	nfType := q.Get("nf-type")
	if nfType != "" && !nfTypeRe.MatchString(nfType) {
		n.reject(w, r, badQuery("nf-type", nfType+" is not an NF type"))
		return
	}
	ids := n.reg.ids(models.Nrf_NFMgmt_NFType(nfType))
	total := len(ids)
	if s := q.Get("limit"); s != "" {
		lim, err := strconv.Atoi(s)
		if err != nil || lim < 1 {
			n.reject(w, r, badQuery("limit", "want an integer >= 1"))
			return
		}
		ids = ids[:min(lim, len(ids))]
	}
	items := make([]models.Link, len(ids))
	for i, id := range ids {
		items[i] = models.Link{Href: n.apiRoot() + nrfc.PathNFInstances + "/" + url.PathEscape(id)}
	}
	self := models.Link{Href: n.apiRoot() + r.URL.RequestURI()}
	sbi.WriteJSON(w, http.StatusOK, uriList{Links: map[string]any{"self": self, "item": items}, TotalItemCount: total})
}

func (n *NF) postSubscription(w http.ResponseWriter, r *http.Request) {
	var sub models.Nrf_NFMgmt_SubscriptionData
	if err := sbi.ReadJSON(w, r, &sub); err != nil {
		return
	}
	if err := checkSubscription(sub); err != nil {
		n.reject(w, r, err)
		return
	}
	sub, ok := n.subs.add(sub, n.cfg.MaxSubscriptions)
	if !ok {
		sbi.WriteProblem(w, http.StatusInternalServerError, "INSUFFICIENT_RESOURCES", "too many subscriptions")
		return
	}
	n.log.Info("status subscription", "subscription_id", sub.SubscriptionId, "uri", sub.NfStatusNotificationUri)
	w.Header().Set("Location", n.apiRoot()+nrfc.PathSubscriptions+"/"+sub.SubscriptionId)
	sbi.WriteJSON(w, http.StatusCreated, sub)
}

func (n *NF) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	if !n.subs.remove(r.PathValue("id")) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseSubscriptionNotFound, "no subscription "+r.PathValue("id"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// searchResult is SearchResult with the profiles already encoded.
type searchResult struct {
	ValidityPeriod int32             `json:"validityPeriod"`
	NfInstances    []json.RawMessage `json:"nfInstances"`
}

func (n *NF) discover(w http.ResponseWriter, r *http.Request) {
	q, err := nrfc.ParseQuery(r.URL.Query())
	if err != nil {
		n.reject(w, r, err)
		return
	}
	sbi.WriteJSON(w, http.StatusOK, searchResult{
		ValidityPeriod: int32(n.cfg.ValidityPeriod.Seconds()),
		NfInstances:    n.reg.search(newSearch(q)),
	})
}

// reject answers err; 400s are malformed requests, counted and logged.
func (n *NF) reject(w http.ResponseWriter, r *http.Request, err error) {
	if sbi.StatusOf(err) == http.StatusBadRequest {
		sbi.Malformed(r, err)
	}
	sbi.WriteError(w, err)
}

func badQuery(name, reason string) *sbi.ProblemError {
	pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseInvalidQueryParam, name+": "+reason)
	pe.Problem.InvalidParams = []models.InvalidParam{{Param: name, Reason: reason}}
	return pe
}
