package nrf

import (
	"slices"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// sliceDnns is one S-NSSAI an NF serves and the DNNs it serves there
// (nil: no DNN information, so any).
type sliceDnns struct {
	snssai models.ExtSnssai
	dnns   []string
}

// servedSlices gathers what p says it serves: sNssais and perPlmnSnssaiList
// (slices, no DNNs) and the sNssai items of smfInfo/upfInfo and their lists
// (slices with DNNs).
func servedSlices(p models.Nrf_NFMgmt_NFProfile) []sliceDnns {
	var out []sliceDnns
	for _, s := range p.SNssais {
		out = append(out, sliceDnns{snssai: s})
	}
	for _, pl := range p.PerPlmnSnssaiList {
		for _, s := range pl.SNssaiList {
			out = append(out, sliceDnns{snssai: s})
		}
	}
	smf := func(info *models.Nrf_NFMgmt_SmfInfo) {
		for _, it := range info.SNssaiSmfInfoList {
			d := sliceDnns{dnns: []string{}}
			if it.SNssai != nil {
				d.snssai = *it.SNssai
			}
			for _, dn := range it.DnnSmfInfoList {
				d.dnns = append(d.dnns, strings.ToLower(dn.Dnn))
			}
			out = append(out, d)
		}
	}
	upf := func(info *models.Nrf_NFMgmt_UpfInfo) {
		for _, it := range info.SNssaiUpfInfoList {
			d := sliceDnns{dnns: []string{}}
			if it.SNssai != nil {
				d.snssai = *it.SNssai
			}
			for _, dn := range it.DnnUpfInfoList {
				d.dnns = append(d.dnns, strings.ToLower(dn.Dnn))
			}
			out = append(out, d)
		}
	}
	if p.SmfInfo != nil {
		smf(p.SmfInfo)
	}
	for _, info := range p.SmfInfoList {
		smf(&info)
	}
	if p.UpfInfo != nil {
		upf(p.UpfInfo)
	}
	for _, info := range p.UpfInfoList {
		upf(&info)
	}
	return out
}

// search is a discovery query prepared for matching.
type search struct {
	q        nrfc.Query
	dnn      string // lower-cased
	services map[string]bool
	limit    int
}

func newSearch(q nrfc.Query) search {
	s := search{q: q, dnn: strings.ToLower(q.Dnn), limit: q.Limit}
	if len(q.ServiceNames) > 0 {
		s.services = map[string]bool{}
		for _, n := range q.ServiceNames {
			s.services[n] = true
		}
	}
	return s
}

// matches: the right type, REGISTERED, open to the requester, and serving
// one of the S-NSSAIs (and the DNN) asked for. An NF that declares no
// slices serves all of them (TS 29.510: sNssais absent means any).
func (s search) matches(in *instance) bool {
	p := &in.profile
	if p.NfType != s.q.TargetNfType || p.NfStatus != models.Nrf_NFMgmt_NFStatus_REGISTERED {
		return false
	}
	if s.q.TargetNfInstanceID != "" && p.NfInstanceId != s.q.TargetNfInstanceID {
		return false
	}
	if len(p.AllowedNfTypes) > 0 && !slices.Contains(p.AllowedNfTypes, s.q.RequesterNfType) {
		return false
	}
	if s.services != nil && !slices.ContainsFunc(p.NfServices, func(svc models.Nrf_NFMgmt_NFService) bool {
		return s.services[string(svc.ServiceName)]
	}) {
		return false
	}
	return s.slicesMatch(in.slices)
}

func (s search) slicesMatch(served []sliceDnns) bool {
	if len(s.q.Snssais) == 0 && s.dnn == "" {
		return true
	}
	if len(served) == 0 {
		return true
	}
	// When the NF lists DNNs (smfInfo, upfInfo), a DNN search looks only
	// there: its plain sNssais say nothing about DNNs.
	dnnInfo := s.dnn != "" && slices.ContainsFunc(served, func(d sliceDnns) bool { return d.dnns != nil })
	return slices.ContainsFunc(served, func(d sliceDnns) bool {
		if dnnInfo && d.dnns == nil {
			return false
		}
		if len(s.q.Snssais) > 0 && !slices.ContainsFunc(s.q.Snssais, func(want models.Snssai) bool {
			return snssaiMatches(d.snssai, want)
		}) {
			return false
		}
		return s.dnn == "" || d.dnns == nil || slices.Contains(d.dnns, s.dnn) || slices.Contains(d.dnns, "*")
	})
}

// snssaiMatches: same SST, and an SD equal to the served one, inside its
// ranges, or under a wildcard. SD "FFFFFF" means no SD (TS 23.003 §28.4.2).
func snssaiMatches(served models.ExtSnssai, want models.Snssai) bool {
	if served.Sst != want.Sst {
		return false
	}
	sd := normSd(want.Sd)
	if served.WildcardSd {
		return true
	}
	if len(served.SdRanges) > 0 {
		return sd != "" && slices.ContainsFunc(served.SdRanges, func(r models.SdRange) bool {
			return len(r.Start) == 6 && len(r.End) == 6 && normSd(r.Start) <= sd && sd <= normSd(r.End)
		})
	}
	return normSd(served.Sd) == sd
}

func normSd(sd string) string {
	sd = strings.ToLower(sd)
	if sd == "ffffff" {
		return ""
	}
	return sd
}
