package nrfc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Query is a Nnrf_NFDiscovery search (TS 29.510 §6.2.3.2.3.1): the query
// parameters of GET /nnrf-disc/v1/nf-instances that corebox uses.
type Query struct {
	TargetNfType          models.Nrf_NFMgmt_NFType // target-nf-type (required)
	RequesterNfType       models.Nrf_NFMgmt_NFType // requester-nf-type (required)
	RequesterNfInstanceID string                   // requester-nf-instance-id
	TargetNfInstanceID    string                   // target-nf-instance-id
	ServiceNames          []string                 // service-names (any of them)
	Snssais               []models.Snssai          // snssais (any of them)
	Dnn                   string                   // dnn
	Limit                 int                      // limit (0: no limit)
}

// Query parameter names.
const (
	ParamTargetNfType          = "target-nf-type"
	ParamRequesterNfType       = "requester-nf-type"
	ParamRequesterNfInstanceID = "requester-nf-instance-id"
	ParamTargetNfInstanceID    = "target-nf-instance-id"
	ParamServiceNames          = "service-names"
	ParamSnssais               = "snssais"
	ParamDnn                   = "dnn"
	ParamLimit                 = "limit"
)

// nfTypeRe accepts the NFType enumeration's spelling (AMF, 5G_EIR, SMS_GMSC).
var nfTypeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{1,19}$`)

// Values encodes q; Encode of the result is canonical (sorted keys), so it
// doubles as the discovery cache key.
func (q Query) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set(ParamTargetNfType, string(q.TargetNfType))
	set(ParamRequesterNfType, string(q.RequesterNfType))
	set(ParamRequesterNfInstanceID, q.RequesterNfInstanceID)
	set(ParamTargetNfInstanceID, q.TargetNfInstanceID)
	set(ParamServiceNames, strings.Join(q.ServiceNames, ","))
	if len(q.Snssais) > 0 {
		b, _ := json.Marshal(q.Snssais) // []Snssai always marshals
		v.Set(ParamSnssais, string(b))
	}
	set(ParamDnn, q.Dnn)
	if q.Limit > 0 {
		v.Set(ParamLimit, strconv.Itoa(q.Limit))
	}
	return v
}

// Encode is the query string of q.
func (q Query) Encode() string { return q.Values().Encode() }

// ParseQuery decodes a discovery query as the NRF receives it. Errors are
// *sbi.ProblemError: 400 MANDATORY_QUERY_PARAM_MISSING or
// INVALID_QUERY_PARAM, naming the parameter in invalidParams.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	var err error
	if q.TargetNfType, err = nfTypeParam(v, ParamTargetNfType); err != nil {
		return Query{}, err
	}
	if q.RequesterNfType, err = nfTypeParam(v, ParamRequesterNfType); err != nil {
		return Query{}, err
	}
	q.RequesterNfInstanceID = v.Get(ParamRequesterNfInstanceID)
	q.TargetNfInstanceID = v.Get(ParamTargetNfInstanceID)
	q.Dnn = v.Get(ParamDnn)
	for _, s := range v[ParamServiceNames] {
		for name := range strings.SplitSeq(s, ",") {
			if name != "" {
				q.ServiceNames = append(q.ServiceNames, name)
			}
		}
	}
	if s := v.Get(ParamSnssais); s != "" {
		if q.Snssais, err = parseSnssais(s); err != nil {
			return Query{}, err
		}
	}
	if s := v.Get(ParamLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return Query{}, badParam(ParamLimit, "want an integer >= 1")
		}
		q.Limit = n
	}
	return q, nil
}

func nfTypeParam(v url.Values, name string) (models.Nrf_NFMgmt_NFType, error) {
	s := v.Get(name)
	if s == "" {
		pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryQueryParamMissing, name+" is required")
		pe.Problem.InvalidParams = []models.InvalidParam{{Param: name, Reason: "missing"}}
		return "", pe
	}
	if !nfTypeRe.MatchString(s) {
		return "", badParam(name, fmt.Sprintf("%q is not an NF type", s))
	}
	return models.Nrf_NFMgmt_NFType(s), nil
}

// parseSnssais takes the JSON array form: [{"sst":1,"sd":"010203"}].
func parseSnssais(s string) ([]models.Snssai, error) {
	var out []models.Snssai
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, badParam(ParamSnssais, "want a JSON array of {sst, sd}: "+err.Error())
	}
	for _, sn := range out {
		if sn.Sst < 0 || sn.Sst > 255 {
			return nil, badParam(ParamSnssais, fmt.Sprintf("sst %d out of 0..255", sn.Sst))
		}
		if sn.Sd != "" && !isSd(sn.Sd) {
			return nil, badParam(ParamSnssais, fmt.Sprintf("sd %q is not 6 hex digits", sn.Sd))
		}
	}
	return out, nil
}

func isSd(s string) bool {
	if len(s) != 6 {
		return false
	}
	return !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F')
	})
}

func badParam(name, reason string) *sbi.ProblemError {
	pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseInvalidQueryParam, name+": "+reason)
	pe.Problem.InvalidParams = []models.InvalidParam{{Param: name, Reason: reason}}
	return pe
}
