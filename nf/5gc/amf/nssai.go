package amf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/nas5g"
)

// pathSliceInformation is Nnssf_NSSelection's resource (TS 29.531).
const pathSliceInformation = "/nnssf-nsselection/v2/network-slice-information"

// allowedNSSAI asks the NSSF when there is one; otherwise (or when it
// fails) it is the configured slices of the serving PLMN intersected with
// the requested ones (and the subscribed ones, when known), falling back
// to the default subscribed slices when none of the requested is allowed.
func (n *NF) allowedNSSAI(ctx context.Context, supi string, requested []nas5g.SNSSAI, sub subscription) []nas5g.SNSSAI {
	if root := n.peers.nssf(ctx); root != "" {
		allowed, err := n.nssfAllowed(ctx, root, requested, sub)
		if err == nil {
			return allowed
		}
		n.log.Warn("NSSF selection failed; using the configured slices", "supi", supi, "err", err)
	}
	configured := n.servedSlices()
	keep := func(list []nas5g.SNSSAI) []nas5g.SNSSAI {
		var out []nas5g.SNSSAI
		for _, s := range list {
			if slices.Contains(configured, s) && (sub.slices == nil || slices.Contains(sub.slices, s)) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	if got := keep(requested); len(got) > 0 {
		return got
	}
	if sub.defaults != nil {
		return keep(sub.defaults)
	}
	if sub.slices != nil {
		return keep(sub.slices)
	}
	return configured
}

// servedSlices are the slices configured for the serving PLMN.
func (n *NF) servedSlices() []nas5g.SNSSAI {
	for _, p := range n.support {
		if p.PLMN == n.plmn {
			return p.Slices
		}
	}
	return nil
}

// nssfAllowed asks the NSSF which slices a registering UE is allowed.
func (n *NF) nssfAllowed(ctx context.Context, root string, requested []nas5g.SNSSAI, sub subscription) ([]nas5g.SNSSAI, error) {
	info := models.Nssf_NSSel_SliceInfoForRegistration{RequestedNssai: toModelSlices(requested)}
	for _, s := range sub.slices {
		ms := toModelSlice(s)
		info.SubscribedNssai = append(info.SubscribedNssai, models.Nssf_NSSel_SubscribedSnssai{
			SubscribedSnssai: &ms, DefaultIndication: slices.Contains(sub.defaults, s)})
	}
	b, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encode slice info: %w", err)
	}
	q := url.Values{"nf-type": {string(models.Nrf_NFMgmt_NFType_AMF)}, "nf-id": {n.id},
		"slice-info-request-for-registration": {string(b)}}
	var out models.Nssf_NSSel_AuthorizedNetworkSliceInfo
	if _, err := n.client.Do(ctx, http.MethodGet, root+pathSliceInformation+"?"+q.Encode(), nil, &out); err != nil {
		if unreachable(err) {
			n.peers.forget(models.Nrf_NFMgmt_NFType_NSSF)
		}
		return nil, err
	}
	var allowed []nas5g.SNSSAI
	for _, a := range out.AllowedNssaiList {
		if a.AccessType != "" && a.AccessType != models.AccessType_3_GPP_ACCESS {
			continue
		}
		for _, s := range a.AllowedSnssaiList {
			if s.AllowedSnssai != nil {
				if v, err := fromModelSlice(*s.AllowedSnssai); err == nil {
					allowed = append(allowed, v)
				}
			}
		}
	}
	return allowed, nil
}

func sdString(s nas5g.SNSSAI) string {
	if !s.HasSD {
		return ""
	}
	return fmt.Sprintf("%06x", s.SD)
}

func toModelSlice(s nas5g.SNSSAI) models.Snssai {
	return models.Snssai{Sst: int32(s.SST), Sd: sdString(s)}
}

func toModelSlices(list []nas5g.SNSSAI) []models.Snssai {
	var out []models.Snssai
	for _, s := range list {
		out = append(out, toModelSlice(s))
	}
	return out
}

func fromModelSlice(m models.Snssai) (nas5g.SNSSAI, error) {
	if m.Sst < 0 || m.Sst > 255 {
		return nas5g.SNSSAI{}, fmt.Errorf("sst %d", m.Sst)
	}
	s := nas5g.SNSSAI{SST: uint8(m.Sst)}
	if m.Sd != "" {
		v, err := strconv.ParseUint(m.Sd, 16, 32)
		if err != nil || len(m.Sd) != 6 {
			return nas5g.SNSSAI{}, fmt.Errorf("sd %q", m.Sd)
		}
		s.SD, s.HasSD = uint32(v), true
	}
	return s, nil
}

// fromModelSlices converts, skipping malformed entries; nil in, nil out
// (unknown), empty in, empty out.
func fromModelSlices(list []models.Snssai) []nas5g.SNSSAI {
	if list == nil {
		return nil
	}
	out := []nas5g.SNSSAI{}
	for _, m := range list {
		if s, err := fromModelSlice(m); err == nil {
			out = append(out, s)
		}
	}
	return out
}
