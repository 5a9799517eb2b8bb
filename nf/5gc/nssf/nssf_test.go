package nssf_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi"
)

func TestSelectionForRegistration(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := start(t, labConfig())
	tests := []struct {
		name       string
		requested  []models.Snssai
		subscribed []models.Nssf_NSSel_SubscribedSnssai
		allowed    []models.Snssai
		rejected   []models.Snssai
		result     string
	}{
		{"match", []models.Snssai{sn(1, "")}, nil, []models.Snssai{sn(1, "")}, nil, "allowed"},
		{"SD in any case, FFFFFF is no SD", []models.Snssai{sn(1, "0102AB"), sn(1, "FFFFFF")}, nil,
			[]models.Snssai{sn(1, "0102ab"), sn(1, "")}, nil, "allowed"},
		{"partial match", []models.Snssai{sn(1, ""), sn(3, ""), sn(2, "000001")}, nil,
			[]models.Snssai{sn(1, ""), sn(2, "000001")}, []models.Snssai{sn(3, "")}, "partial"},
		{"no match", []models.Snssai{sn(3, ""), sn(1, "999999")}, nil,
			nil, []models.Snssai{sn(3, ""), sn(1, "999999")}, "rejected"},
		{"listed twice counts once", []models.Snssai{sn(1, ""), sn(1, "")}, nil, []models.Snssai{sn(1, "")}, nil, "allowed"},
		{"none requested: default subscribed", nil,
			[]models.Nssf_NSSel_SubscribedSnssai{sub(sn(2, "000001"), false), sub(sn(1, ""), true)},
			[]models.Snssai{sn(1, "")}, nil, "allowed"},
		{"none requested, default not supported", nil,
			[]models.Nssf_NSSel_SubscribedSnssai{sub(sn(3, ""), true)}, nil, nil, "rejected"},
		{"requested but not subscribed: dropped", []models.Snssai{sn(1, ""), sn(2, "000001")},
			[]models.Nssf_NSSel_SubscribedSnssai{sub(sn(1, ""), true)}, []models.Snssai{sn(1, "")}, nil, "allowed"},
		{"none of the requested allowed: default subscribed instead", []models.Snssai{sn(3, "")},
			[]models.Nssf_NSSel_SubscribedSnssai{sub(sn(3, ""), false), sub(sn(1, "0102ab"), true)},
			[]models.Snssai{sn(1, "0102ab")}, []models.Snssai{sn(3, "")}, "partial"},
	}
	want := map[string]float64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := e.c.ForRegistration(bg, e.url, amf, models.Nssf_NSSel_SliceInfoForRegistration{
				RequestedNssai: tt.requested, SubscribedNssai: tt.subscribed})
			if err != nil {
				t.Fatal(err)
			}
			if got := allowed(t, info); !slices.Equal(got, tt.allowed) {
				t.Errorf("allowed %v, want %v", got, tt.allowed)
			}
			if !slices.Equal(info.RejectedNssaiInPlmn, tt.rejected) {
				t.Errorf("rejected %v, want %v", info.RejectedNssaiInPlmn, tt.rejected)
			}
		})
		want[tt.result]++
	}
	for result, n := range want {
		if got := counter(t, e.nssf.Counter("registration", result)); got != n {
			t.Errorf("registration %s = %v, want %v", result, got, n)
		}
	}
}

func TestAllowedCarriesNSI(t *testing.T) {
	e := start(t, labConfig())
	info, err := e.c.ForRegistration(bg, e.url, amf, models.Nssf_NSSel_SliceInfoForRegistration{
		RequestedNssai: []models.Snssai{sn(1, "0102ab"), sn(1, "")}})
	if err != nil {
		t.Fatal(err)
	}
	list := info.AllowedNssaiList[0].AllowedSnssaiList
	want := models.Nssf_NSSel_NsiInformation{NrfId: "http://10.0.0.9:8000/nnrf-disc/v1",
		NrfNfMgtUri: "http://10.0.0.9:8000/nnrf-nfm/v1", NsiId: "nsi-embb-1"}
	if len(list) != 2 || len(list[0].NsiInformationList) != 1 || list[0].NsiInformationList[0].NsiId != want.NsiId ||
		list[0].NsiInformationList[0].NrfId != want.NrfId || list[0].NsiInformationList[0].NrfNfMgtUri != want.NrfNfMgtUri {
		t.Errorf("allowed %+v, want the first with %+v", list, want)
	}
	if len(list) == 2 && list[1].NsiInformationList != nil {
		t.Errorf("slice without NSI or NRF has %+v", list[1].NsiInformationList)
	}
}

func TestSelectionForUEConfigurationUpdate(t *testing.T) {
	e := start(t, labConfig())
	q := url.Values{nssf.ParamNfType: {"AMF"}, nssf.ParamNfID: {amf.NfID},
		nssf.ParamForUEConfigUpd: {`{"requestedNssai":[{"sst":2,"sd":"000001"},{"sst":4}]}`}}
	var info models.Nssf_NSSel_AuthorizedNetworkSliceInfo
	if _, err := e.sbi.Do(bg, "GET", e.url+nssf.PathSliceInformation+"?"+q.Encode(), nil, &info); err != nil {
		t.Fatal(err)
	}
	if got := allowed(t, info); !slices.Equal(got, []models.Snssai{sn(2, "000001")}) ||
		!slices.Equal(info.RejectedNssaiInPlmn, []models.Snssai{sn(4, "")}) {
		t.Errorf("answer %+v", info)
	}
}

func TestSelectionForPDUSession(t *testing.T) {
	e := start(t, labConfig())
	tests := []struct {
		name  string
		slice models.Snssai
		want  *models.Nssf_NSSel_NsiInformation // nil with ok: supported, no NSI
		ok    bool
	}{
		{"slice with NSI and NRF", sn(1, "0102AB"), &models.Nssf_NSSel_NsiInformation{NsiId: "nsi-embb-1",
			NrfId: "http://10.0.0.9:8000/nnrf-disc/v1", NrfNfMgtUri: "http://10.0.0.9:8000/nnrf-nfm/v1"}, true},
		{"slice with NSI only", sn(2, "000001"), &models.Nssf_NSSel_NsiInformation{NsiId: "nsi-urllc"}, true},
		{"slice with neither", sn(1, ""), nil, true},
		{"unsupported SST", sn(3, ""), nil, false},
		{"unsupported SD", sn(2, "000002"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.slice
			info, err := e.c.ForPDUSession(bg, e.url, nssf.Requester{NfType: models.Nrf_NFMgmt_NFType_SMF, NfID: amf.NfID},
				models.Nssf_NSSel_SliceInfoForPDUSession{SNssai: &s, RoamingIndication: models.Nssf_NSSel_RoamingIndication_NON_ROAMING})
			if !tt.ok {
				if sbi.StatusOf(err) != 403 || sbi.CauseOf(err) != nssf.CauseSnssaiNotSupported {
					t.Fatalf("got %+v, %v; want 403 %s", info, err, nssf.CauseSnssaiNotSupported)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (info.NsiInformation == nil) != (tt.want == nil) ||
				(tt.want != nil && (info.NsiInformation.NsiId != tt.want.NsiId || info.NsiInformation.NrfId != tt.want.NrfId ||
					info.NsiInformation.NrfNfMgtUri != tt.want.NrfNfMgtUri)) {
				t.Errorf("nsiInformation %+v, want %+v", info.NsiInformation, tt.want)
			}
		})
	}
	if got := counter(t, e.nssf.Counter("pdu_session", "supported")); got != 3 {
		t.Errorf("pdu_session supported = %v, want 3", got)
	}
	if got := counter(t, e.nssf.Counter("pdu_session", "not_supported")); got != 2 {
		t.Errorf("pdu_session not_supported = %v, want 2", got)
	}
}

func TestMalformedQueries(t *testing.T) {
	e := start(t, labConfig())
	const reg = nssf.ParamForRegistration
	const pdu = nssf.ParamForPDUSession
	base := func(extra ...string) string {
		v := url.Values{nssf.ParamNfType: {"AMF"}, nssf.ParamNfID: {amf.NfID}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Add(extra[i], extra[i+1])
		}
		return v.Encode()
	}
	tests := []struct {
		name, query, cause, param string
	}{
		{"no nf-type", url.Values{nssf.ParamNfID: {amf.NfID}, reg: {`{}`}}.Encode(), sbi.CauseMandatoryQueryParamMissing, nssf.ParamNfType},
		{"bad nf-type", url.Values{nssf.ParamNfType: {"amf"}, nssf.ParamNfID: {amf.NfID}, reg: {`{}`}}.Encode(), sbi.CauseInvalidQueryParam, nssf.ParamNfType},
		{"bad nf-id", url.Values{nssf.ParamNfType: {"AMF"}, nssf.ParamNfID: {"amf-1"}, reg: {`{}`}}.Encode(), sbi.CauseInvalidQueryParam, nssf.ParamNfID},
		{"no slice info", base(), sbi.CauseMandatoryQueryParamMissing, ""},
		{"two slice infos", base(reg, `{}`, pdu, `{}`), sbi.CauseInvalidQueryParam, pdu},
		{"given twice", base(reg, `{}`, reg, `{}`), sbi.CauseInvalidQueryParam, reg},
		{"broken JSON", base(reg, `{"requestedNssai":[{"sst":1}`), sbi.CauseInvalidQueryParam, reg},
		{"wrong JSON type", base(reg, `{"requestedNssai":"eMBB"}`), sbi.CauseInvalidQueryParam, reg},
		{"SST out of range", base(reg, `{"requestedNssai":[{"sst":256}]}`), sbi.CauseInvalidQueryParam, reg},
		{"bad SD", base(reg, `{"requestedNssai":[{"sst":1,"sd":"01-203"}]}`), sbi.CauseInvalidQueryParam, reg},
		{"subscribed without S-NSSAI", base(reg, `{"subscribedNssai":[{"defaultIndication":true}]}`), sbi.CauseInvalidQueryParam, reg},
		{"no sNssai", base(pdu, `{"roamingIndication":"NON_ROAMING"}`), sbi.CauseInvalidQueryParam, pdu},
		{"bad roaming indication", base(pdu, `{"sNssai":{"sst":1},"roamingIndication":"ROAMING"}`), sbi.CauseInvalidQueryParam, pdu},
		{"bad home-plmn-id", base(reg, `{}`, nssf.ParamHomePlmnID, `{"mcc":"1","mnc":"01"}`), sbi.CauseInvalidQueryParam, nssf.ParamHomePlmnID},
		{"tai not JSON", base(reg, `{}`, nssf.ParamTai, `tac=1`), sbi.CauseInvalidQueryParam, nssf.ParamTai},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.sbi.Do(bg, "GET", e.url+nssf.PathSliceInformation+"?"+tt.query, nil, nil)
			if sbi.StatusOf(err) != 400 || sbi.CauseOf(err) != tt.cause {
				t.Fatalf("got %v, want 400 %s", err, tt.cause)
			}
			pe := err.(*sbi.ProblemError)
			if len(pe.Problem.InvalidParams) != 1 || (tt.param != "" && pe.Problem.InvalidParams[0].Param != tt.param) {
				t.Errorf("invalidParams %+v, want %q", pe.Problem.InvalidParams, tt.param)
			}
		})
	}
	total := 0.0
	for _, kind := range []string{"registration", "pdu_session", "unknown"} {
		total += counter(t, e.nssf.Counter(kind, "bad_request"))
	}
	if n := float64(len(tests)); total != n || counter(t, e.nssf.SBIMetrics().MalformedCounter(nssf.ServiceName)) != n {
		t.Errorf("bad_request %v, malformed %v; want %v", total, counter(t, e.nssf.SBIMetrics().MalformedCounter(nssf.ServiceName)), n)
	}
}

func TestUnknownPath(t *testing.T) {
	e := start(t, labConfig())
	_, err := e.sbi.Do(bg, "GET", e.url+"/nnssf-nsselection/v1/network-slice-information", nil, nil)
	if sbi.StatusOf(err) != 404 || sbi.CauseOf(err) != sbi.CauseResourceURIStructure {
		t.Errorf("v1 path: %v", err)
	}
}

func TestDrainRefuses(t *testing.T) {
	e := start(t, labConfig())
	ops := "http://" + e.nssf.Ops().Addr().String()
	if code, body := nfkittest.Do(t, "POST", ops+"/drain", ""); code != 202 || !strings.Contains(body, `"remaining":0`) {
		t.Fatalf("POST /drain = %d %s", code, body)
	}
	_, err := e.c.ForRegistration(bg, e.url, amf, models.Nssf_NSSel_SliceInfoForRegistration{RequestedNssai: []models.Snssai{sn(1, "")}})
	if sbi.StatusOf(err) != 503 || sbi.CauseOf(err) != "NF_SERVICE_FAILOVER" {
		t.Errorf("while draining: %v, want 503 NF_SERVICE_FAILOVER", err)
	}
	if got := counter(t, e.nssf.Counter("unknown", "refused")); got != 1 {
		t.Errorf("refused = %v, want 1", got)
	}
	if code, _ := nfkittest.Do(t, "GET", ops+"/readyz", ""); code != 503 {
		t.Errorf("readyz while draining = %d, want 503", code)
	}
}
