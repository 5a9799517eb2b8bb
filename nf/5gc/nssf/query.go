package nssf

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Query parameters of GET network-slice-information (TS 29.531 §6.1.3.2.3.1).
const (
	ParamNfType          = "nf-type"
	ParamNfID            = "nf-id"
	ParamForRegistration = "slice-info-request-for-registration"
	ParamForPDUSession   = "slice-info-request-for-pdu-session"
	ParamForUEConfigUpd  = "slice-info-request-for-ue-cu"
	ParamHomePlmnID      = "home-plmn-id"
	ParamTai             = "tai"
)

// Request kinds, the "request" label of corebox_nssf_selections_total.
const (
	kindRegistration = "registration"
	kindPDUSession   = "pdu_session"
	kindUEConfigUpd  = "ue_config_update"
	kindUnknown      = "unknown"
)

var (
	nfTypeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{1,19}$`)
	uuidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	mccRe    = regexp.MustCompile(`^[0-9]{3}$`)
	mncRe    = regexp.MustCompile(`^[0-9]{2,3}$`)
)

// selection is a decoded, checked network-slice-information query.
type selection struct {
	kind   string
	nfType string
	nfID   string
	nssai  nssaiRequest                             // registration, ue_config_update
	pdu    models.Nssf_NSSel_SliceInfoForPDUSession // pdu_session
}

// nssaiRequest is what registration and UE configuration update share.
type nssaiRequest struct {
	requested  []models.Snssai
	subscribed []models.Nssf_NSSel_SubscribedSnssai
}

// sliceInfoParams are the three request kinds' parameters.
var sliceInfoParams = []string{ParamForRegistration, ParamForPDUSession, ParamForUEConfigUpd}

var kindOfParam = map[string]string{ParamForRegistration: kindRegistration,
	ParamForPDUSession: kindPDUSession, ParamForUEConfigUpd: kindUEConfigUpd}

// parseQuery decodes and checks a query. Errors are 400 ProblemDetails:
// MANDATORY_QUERY_PARAM_MISSING or INVALID_QUERY_PARAM naming the
// parameter; the selection's kind is set as far as it was learned.
func parseQuery(v url.Values) (selection, *sbi.ProblemError) {
	var present []string
	for _, p := range sliceInfoParams {
		if _, ok := v[p]; ok {
			present = append(present, p)
		}
	}
	s := selection{kind: kindUnknown}
	if len(present) == 1 {
		s.kind = kindOfParam[present[0]]
	}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if len(v[name]) > 1 {
			return s, invalid(name, "given more than once")
		}
	}
	var pe *sbi.ProblemError
	if s.nfType, pe = mandatory(v, ParamNfType, nfTypeRe, "want an NF type such as AMF"); pe != nil {
		return s, pe
	}
	if s.nfID, pe = mandatory(v, ParamNfID, uuidRe, "want a UUID"); pe != nil {
		return s, pe
	}
	switch len(present) {
	case 0:
		return s, missing(strings.Join(sliceInfoParams, " or "), "one slice-info-request parameter is mandatory")
	case 1:
	default:
		return s, invalid(present[1], "only one slice-info-request parameter may be given")
	}
	if pe := checkOptional(v); pe != nil {
		return s, pe
	}
	return s, s.decodeSliceInfo(v)
}

// decodeSliceInfo decodes and checks the slice-info-request of s.kind.
func (s *selection) decodeSliceInfo(v url.Values) *sbi.ProblemError {
	switch s.kind {
	case kindRegistration:
		var info models.Nssf_NSSel_SliceInfoForRegistration
		if pe := jsonParam(v, ParamForRegistration, &info); pe != nil {
			return pe
		}
		s.nssai = nssaiRequest{requested: info.RequestedNssai, subscribed: info.SubscribedNssai}
		return s.nssai.check(ParamForRegistration)
	case kindUEConfigUpd:
		var info models.Nssf_NSSel_SliceInfoForUEConfigurationUpdate
		if pe := jsonParam(v, ParamForUEConfigUpd, &info); pe != nil {
			return pe
		}
		s.nssai = nssaiRequest{requested: info.RequestedNssai, subscribed: info.SubscribedNssai}
		return s.nssai.check(ParamForUEConfigUpd)
	default:
		if pe := jsonParam(v, ParamForPDUSession, &s.pdu); pe != nil {
			return pe
		}
		return checkPDUSession(s.pdu)
	}
}

func (r nssaiRequest) check(param string) *sbi.ProblemError {
	for i, sn := range r.requested {
		if msg := checkSnssai(sn); msg != "" {
			return invalid(param, fmt.Sprintf("requestedNssai[%d]: %s", i, msg))
		}
	}
	for i, sub := range r.subscribed {
		if sub.SubscribedSnssai == nil {
			return invalid(param, fmt.Sprintf("subscribedNssai[%d]: subscribedSnssai is mandatory", i))
		}
		if msg := checkSnssai(*sub.SubscribedSnssai); msg != "" {
			return invalid(param, fmt.Sprintf("subscribedNssai[%d].subscribedSnssai: %s", i, msg))
		}
	}
	return nil
}

func checkPDUSession(p models.Nssf_NSSel_SliceInfoForPDUSession) *sbi.ProblemError {
	if p.SNssai == nil {
		return invalid(ParamForPDUSession, "sNssai is mandatory")
	}
	if msg := checkSnssai(*p.SNssai); msg != "" {
		return invalid(ParamForPDUSession, "sNssai: "+msg)
	}
	switch p.RoamingIndication {
	case models.Nssf_NSSel_RoamingIndication_NON_ROAMING, models.Nssf_NSSel_RoamingIndication_LOCAL_BREAKOUT,
		models.Nssf_NSSel_RoamingIndication_HOME_ROUTED_ROAMING:
	default:
		return invalid(ParamForPDUSession, fmt.Sprintf("roamingIndication %q: want NON_ROAMING, LOCAL_BREAKOUT or HOME_ROUTED_ROAMING", p.RoamingIndication))
	}
	if p.HomeSnssai != nil {
		if msg := checkSnssai(*p.HomeSnssai); msg != "" {
			return invalid(ParamForPDUSession, "homeSnssai: "+msg)
		}
	}
	return nil
}

// checkOptional checks the optional parameters we accept but do not use:
// one PLMN and no tracking-area specific slices.
func checkOptional(v url.Values) *sbi.ProblemError {
	if _, ok := v[ParamHomePlmnID]; ok {
		var p models.PlmnId
		if pe := jsonParam(v, ParamHomePlmnID, &p); pe != nil {
			return pe
		}
		if !mccRe.MatchString(p.Mcc) || !mncRe.MatchString(p.Mnc) {
			return invalid(ParamHomePlmnID, "want {\"mcc\": 3 digits, \"mnc\": 2 or 3 digits}")
		}
	}
	if _, ok := v[ParamTai]; ok {
		var t models.Tai
		if pe := jsonParam(v, ParamTai, &t); pe != nil {
			return pe
		}
	}
	return nil
}

func mandatory(v url.Values, name string, re *regexp.Regexp, want string) (string, *sbi.ProblemError) {
	s, ok := v[name]
	if !ok || len(s) == 0 || s[0] == "" {
		return "", missing(name, "mandatory")
	}
	if !re.MatchString(s[0]) {
		return "", invalid(name, want)
	}
	return s[0], nil
}

// jsonParam decodes the JSON object in parameter name into out.
func jsonParam(v url.Values, name string, out any) *sbi.ProblemError {
	if pe := sbi.ParseJSON([]byte(v.Get(name)), out); pe != nil {
		return invalid(name, pe.Problem.Detail)
	}
	return nil
}

func missing(name, reason string) *sbi.ProblemError {
	return queryProblem(sbi.CauseMandatoryQueryParamMissing, name, reason)
}

func invalid(name, reason string) *sbi.ProblemError {
	return queryProblem(sbi.CauseInvalidQueryParam, name, reason)
}

func queryProblem(cause, name, reason string) *sbi.ProblemError {
	pe := sbi.NewProblem(http.StatusBadRequest, cause, name+": "+reason)
	pe.Problem.InvalidParams = []models.InvalidParam{{Param: name, Reason: reason}}
	return pe
}
