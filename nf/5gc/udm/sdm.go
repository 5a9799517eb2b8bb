package udm

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Nudm-SDM (v2) and Nudm-UECM (v1) resources served.
const (
	pathAMData    = "/nudm-sdm/v2/{supi}/am-data"
	pathSMFSelect = "/nudm-sdm/v2/{supi}/smf-select-data"
	pathSMData    = "/nudm-sdm/v2/{supi}/sm-data"
	pathAMF3GPP   = "/nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access"
)

// servingPLMN is the plmn-id query ({"mcc":"001","mnc":"01"}) as MCC||MNC,
// the home PLMN when absent.
func (n *NF) servingPLMN(w http.ResponseWriter, r *http.Request) (string, bool) {
	q := r.URL.Query().Get("plmn-id")
	if q == "" {
		return n.cfg.HomePLMN.ID(), true
	}
	var p models.PlmnId
	if err := json.Unmarshal([]byte(q), &p); err != nil || !plmnOK(p.Mcc, p.Mnc) {
		bad(w, r, sbi.NewProblem(http.StatusBadRequest, sbi.CauseInvalidQueryParam,
			fmt.Sprintf("plmn-id %q: want {\"mcc\":\"001\",\"mnc\":\"01\"}", q)))
		return "", false
	}
	return p.Mcc + p.Mnc, true
}

func bad(w http.ResponseWriter, r *http.Request, err error) {
	sbi.Malformed(r, err)
	sbi.WriteError(w, err)
}

func (n *NF) getAMData(w http.ResponseWriter, r *http.Request) {
	plmn, ok := n.servingPLMN(w, r)
	if !ok {
		return
	}
	am, err := n.udr.AMData(r.Context(), r.PathValue("supi"), plmn)
	if err != nil {
		sbi.WriteError(w, upstream(err))
		return
	}
	sbi.WriteJSON(w, http.StatusOK, models.Udm_SDM_AccessAndMobilitySubscriptionData(am))
}

func (n *NF) getSMFSelect(w http.ResponseWriter, r *http.Request) {
	plmn, ok := n.servingPLMN(w, r)
	if !ok {
		return
	}
	sel, err := n.udr.SMFSelectionData(r.Context(), r.PathValue("supi"), plmn)
	if err != nil {
		sbi.WriteError(w, upstream(err))
		return
	}
	sbi.WriteJSON(w, http.StatusOK, models.Udm_SDM_SmfSelectionSubscriptionData(sel))
}

func (n *NF) getSMData(w http.ResponseWriter, r *http.Request) {
	plmn, ok := n.servingPLMN(w, r)
	if !ok {
		return
	}
	slice, err := udr.SliceQuery(r.URL.Query().Get("single-nssai"))
	if err != nil {
		bad(w, r, err)
		return
	}
	sm, err := n.udr.SMData(r.Context(), r.PathValue("supi"), plmn, slice, r.URL.Query().Get("dnn"))
	if err != nil {
		sbi.WriteError(w, upstream(err))
		return
	}
	sbi.WriteJSON(w, http.StatusOK, sm)
}

// CheckAMFRegistration checks the mandatory members of TS 29.503
// Amf3GppAccessRegistration.
func CheckAMFRegistration(reg models.Udm_UECM_Amf3GppAccessRegistration) error {
	var missing []string
	if reg.AmfInstanceId == "" {
		missing = append(missing, "amfInstanceId")
	}
	if reg.DeregCallbackUri == "" {
		missing = append(missing, "deregCallbackUri")
	}
	if reg.Guami == nil {
		missing = append(missing, "guami")
	}
	if reg.RatType == "" {
		missing = append(missing, "ratType")
	}
	if len(missing) == 0 {
		return nil
	}
	p := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, fmt.Sprintf("missing %v", missing))
	for _, m := range missing {
		p.Problem.InvalidParams = append(p.Problem.InvalidParams, models.InvalidParam{Param: "/" + m, Reason: "mandatory"})
	}
	return p
}

func (n *NF) putAMF3GPP(w http.ResponseWriter, r *http.Request) {
	var reg models.Udm_UECM_Amf3GppAccessRegistration
	if err := sbi.ReadJSON(w, r, &reg); err != nil {
		return
	}
	if err := CheckAMFRegistration(reg); err != nil {
		bad(w, r, err)
		return
	}
	created, err := n.udr.PutAMF3GPP(r.Context(), r.PathValue("ueId"), models.Udr_DR_Amf3GppAccessRegistration(reg))
	if err != nil {
		sbi.WriteError(w, upstream(err))
		return
	}
	if created {
		w.Header().Set("Location", r.URL.Path)
		sbi.WriteJSON(w, http.StatusCreated, reg)
		return
	}
	sbi.WriteJSON(w, http.StatusOK, reg)
}

func (n *NF) getAMF3GPP(w http.ResponseWriter, r *http.Request) {
	reg, err := n.udr.AMF3GPP(r.Context(), r.PathValue("ueId"))
	if err != nil {
		sbi.WriteError(w, upstream(err))
		return
	}
	sbi.WriteJSON(w, http.StatusOK, models.Udm_UECM_Amf3GppAccessRegistration(reg))
}
