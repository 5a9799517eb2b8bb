package pcf

import (
	"net/http"
	"regexp"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Causes of TS 29.512 §5.7.3 and TS 29.500 that the PCF answers with.
const (
	CausePolicyContextDenied = "POLICY_CONTEXT_DENIED" // 403: no policy for the DNN
	CauseContextNotFound     = "CONTEXT_NOT_FOUND"     // 404: no such association
)

// supiRe is a TS 29.571 Supi: imsi-<5..15 digits>, or nai-/gci-/gli-<...>.
var supiRe = regexp.MustCompile(`^(imsi-[0-9]{5,15}|nai-.+|gci-.+|gli-.+)$`)

var sdRe = regexp.MustCompile(`^[A-Fa-f0-9]{6}$`)

// DecodeContext decodes an SmPolicyContextData body and checks what the
// PCF relies on: supi, pduSessionId, dnn and sliceInfo. Errors are 400
// ProblemDetails naming the offending fields.
func DecodeContext(data []byte) (models.Pcf_SMPolCtrl_SmPolicyContextData, *sbi.ProblemError) {
	var c models.Pcf_SMPolCtrl_SmPolicyContextData
	if pe := sbi.ParseJSON(data, &c); pe != nil {
		return c, pe
	}
	return c, checkContext(c)
}

// checkContext reports every missing or malformed mandatory IE at once.
func checkContext(c models.Pcf_SMPolCtrl_SmPolicyContextData) *sbi.ProblemError {
	var missing, wrong []models.InvalidParam
	need := func(absent bool, param string) bool {
		if absent {
			missing = append(missing, models.InvalidParam{Param: param, Reason: "mandatory"})
		}
		return !absent
	}
	bad := func(isBad bool, param, reason string) {
		if isBad {
			wrong = append(wrong, models.InvalidParam{Param: param, Reason: reason})
		}
	}
	if need(c.Supi == "", "/supi") {
		bad(!supiRe.MatchString(c.Supi), "/supi", "want imsi-<digits> or nai-/gci-/gli-<id>")
	}
	if need(c.PduSessionId == 0, "/pduSessionId") {
		bad(c.PduSessionId < 1 || c.PduSessionId > 255, "/pduSessionId", "want 1..255")
	}
	if need(c.Dnn == "", "/dnn") {
		bad(!validDNN(c.Dnn), "/dnn", "want labels of letters, digits and '-'")
	}
	if need(c.SliceInfo == nil, "/sliceInfo") {
		bad(c.SliceInfo.Sst < 0 || c.SliceInfo.Sst > 255, "/sliceInfo/sst", "want 0..255")
		bad(c.SliceInfo.Sd != "" && !sdRe.MatchString(c.SliceInfo.Sd), "/sliceInfo/sd", "want 6 hex digits")
	}
	switch {
	case len(missing) > 0:
		pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "SmPolicyContextData lacks mandatory attributes")
		pe.Problem.InvalidParams = append(missing, wrong...)
		return pe
	case len(wrong) > 0:
		pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, "SmPolicyContextData has malformed attributes")
		pe.Problem.InvalidParams = wrong
		return pe
	}
	return nil
}

// applyUpdate folds what an update reports about the session into its
// context; the rest of an update (rule reports, usage) is not kept.
func applyUpdate(c models.Pcf_SMPolCtrl_SmPolicyContextData, u models.Pcf_SMPolCtrl_SmPolicyUpdateContextData) models.Pcf_SMPolCtrl_SmPolicyContextData {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set((*string)(&c.AccessType), string(u.AccessType))
	set((*string)(&c.RatType), string(u.RatType))
	set(&c.UeTimeZone, u.UeTimeZone)
	set(&c.IpDomain, u.IpDomain)
	set(&c.AuthProfIndex, u.AuthProfIndex)
	if u.RelIpv4Address != "" && u.RelIpv4Address == c.Ipv4Address {
		c.Ipv4Address = ""
	}
	set(&c.Ipv4Address, u.Ipv4Address)
	if u.RelIpv6AddressPrefix != "" && u.RelIpv6AddressPrefix == c.Ipv6AddressPrefix {
		c.Ipv6AddressPrefix = ""
	}
	set(&c.Ipv6AddressPrefix, u.Ipv6AddressPrefix)
	if u.ServingNetwork != nil {
		c.ServingNetwork = u.ServingNetwork
	}
	if u.UserLocationInfo != nil {
		c.UserLocationInfo = u.UserLocationInfo
	}
	if u.SubsSessAmbr != nil {
		c.SubsSessAmbr = u.SubsSessAmbr
	}
	if u.SubsDefQos != nil {
		c.SubsDefQos = u.SubsDefQos
	}
	return c
}
