package nssf

import (
	"slices"

	"github.com/free5gc/openapi/models"
)

// Results, the "result" label of corebox_nssf_selections_total.
const (
	resultAllowed      = "allowed"       // every S-NSSAI asked for is allowed
	resultPartial      = "partial"       // some allowed, some rejected
	resultRejected     = "rejected"      // none allowed
	resultSupported    = "supported"     // PDU session slice supported
	resultNotSupported = "not_supported" // PDU session slice not supported
	resultBadRequest   = "bad_request"
	resultRefused      = "refused" // draining
)

// forRegistration selects the allowed NSSAI for 3GPP access (TS 23.501
// §5.15.5.2.1): the requested S-NSSAIs, or the default subscribed ones
// when none were requested, that are subscribed (when the subscription is
// given) and supported here. If none of the requested ones is allowed,
// the default subscribed S-NSSAIs are tried instead. Requested S-NSSAIs
// that are subscribed but not supported are rejected in the PLMN.
func (s *supported) forRegistration(r nssaiRequest) (models.Nssf_NSSel_AuthorizedNetworkSliceInfo, string) {
	subscribed := map[key]bool{}
	var defaults []key
	for _, sub := range r.subscribed {
		k := keyOf(*sub.SubscribedSnssai)
		subscribed[k] = true
		if sub.DefaultIndication {
			defaults = append(defaults, k)
		}
	}
	permitted := func(k key) bool { return len(r.subscribed) == 0 || subscribed[k] }

	var allowed, rejected []key
	for _, sn := range r.requested {
		k := keyOf(sn)
		switch {
		case !permitted(k) || slices.Contains(allowed, k) || slices.Contains(rejected, k):
		case s.has(k):
			allowed = append(allowed, k)
		default:
			rejected = append(rejected, k)
		}
	}
	if len(allowed) == 0 {
		for _, k := range defaults {
			if s.has(k) && !slices.Contains(allowed, k) {
				allowed = append(allowed, k)
			}
		}
	}
	return s.authorized(allowed, rejected), outcome(len(allowed), len(rejected))
}

func outcome(allowed, rejected int) string {
	switch {
	case allowed == 0:
		return resultRejected
	case rejected > 0:
		return resultPartial
	}
	return resultAllowed
}

func (s *supported) authorized(allowed, rejected []key) models.Nssf_NSSel_AuthorizedNetworkSliceInfo {
	var info models.Nssf_NSSel_AuthorizedNetworkSliceInfo
	if len(allowed) > 0 {
		list := make([]models.Nssf_NSSel_AllowedSnssai, 0, len(allowed))
		for _, k := range allowed {
			sn := k.snssai()
			a := models.Nssf_NSSel_AllowedSnssai{AllowedSnssai: &sn}
			if nsi := s.nsi[k]; nsi != nil {
				a.NsiInformationList = []models.Nssf_NSSel_NsiInformation{*nsi}
			}
			list = append(list, a)
		}
		info.AllowedNssaiList = []models.Nssf_NSSel_AllowedNssai{{
			AllowedSnssaiList: list, AccessType: models.AccessType_3_GPP_ACCESS}}
	}
	for _, k := range rejected {
		info.RejectedNssaiInPlmn = append(info.RejectedNssaiInPlmn, k.snssai())
	}
	return info
}

// forPDUSession is the NSI of a supported S-NSSAI; ok is false when the
// S-NSSAI is not supported here.
func (s *supported) forPDUSession(p models.Nssf_NSSel_SliceInfoForPDUSession) (models.Nssf_NSSel_AuthorizedNetworkSliceInfo, bool) {
	k := keyOf(*p.SNssai)
	if !s.has(k) {
		return models.Nssf_NSSel_AuthorizedNetworkSliceInfo{}, false
	}
	return models.Nssf_NSSel_AuthorizedNetworkSliceInfo{NsiInformation: s.nsi[k]}, true
}
