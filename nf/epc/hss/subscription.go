package hss

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// errNoEPSSubscription: the subscriber has no DNN to offer as an APN.
var errNoEPSSubscription = errors.New("no APN subscribed")

// subscription reads a subscriber's data from the UDR and maps it to S6a
// Subscription-Data.
func (h *HSS) subscription(ctx context.Context, supi string) (*diameter.SubscriptionData, error) {
	plmn := h.cfg.HomePLMN.ID()
	am, err := h.udr.AMData(ctx, supi, plmn)
	if err != nil {
		return nil, err
	}
	sm, err := h.udr.SMData(ctx, supi, plmn, nil, "")
	if err != nil {
		return nil, err
	}
	sel, err := h.udr.SMFSelectionData(ctx, supi, plmn)
	if err != nil {
		return nil, err
	}
	sd, notes, err := SubscriptionData(am, sm, sel)
	for _, n := range notes {
		h.log.Warn("subscription mapped with a fallback", "supi", supi, "note", n)
	}
	return sd, err
}

// SubscriptionData maps 5G subscription data of the UDR to S6a
// Subscription-Data (TS 29.272 7.3.2):
//
//   - MSISDN: the first "msisdn-" GPSI of am-data;
//   - AMBR: the subscribed UE-AMBR of am-data;
//   - APN-Configuration-Profile: one APN-Configuration per DNN of sm-data
//     (a DNN in several slices once), context ids 1.. in order of the
//     slices and, within one, of the DNN names; the default APN is the
//     default DNN of the first default slice (smf-selection data), else
//     the first; PDN type IPv4v6 when the DNN allows IPv4v6, else its
//     default type; QCI from the 5QI; ARP as is; APN-AMBR from the
//     session AMBR.
//
// notes tell what was mapped by a fallback (a 5QI that is no QCI). An
// error matching errNoEPSSubscription means no DNN at all.
func SubscriptionData(am models.Udr_DR_AccessAndMobilitySubscriptionData,
	sm []models.Udm_SDM_SessionManagementSubscriptionData, sel models.Udr_DR_SmfSelectionSubscriptionData) (
	*diameter.SubscriptionData, []string, error) {
	sd := &diameter.SubscriptionData{SubscriberStatus: diameter.SubscriberServiceGranted}
	var notes []string
	for _, g := range am.Gpsis {
		if d, ok := strings.CutPrefix(g, "msisdn-"); ok {
			if !isMSISDN(d) {
				notes = append(notes, fmt.Sprintf("GPSI %q is no MSISDN; none sent", g))
				break
			}
			sd.MSISDN = d
			break
		}
	}
	var err error
	if am.SubscribedUeAmbr != nil {
		if sd.AMBR, err = ambr(am.SubscribedUeAmbr.Uplink, am.SubscribedUeAmbr.Downlink); err != nil {
			return nil, nil, fmt.Errorf("%w: UE-AMBR: %w", errCorrupt, err)
		}
	}
	profile := &diameter.APNConfigurationProfile{AllIncluded: true}
	for _, s := range sm {
		for _, dnn := range slices.Sorted(maps.Keys(s.DnnConfigurations)) {
			if dnn == "" {
				notes = append(notes, "an empty DNN skipped")
				continue
			}
			if slices.ContainsFunc(profile.APNs, func(c diameter.APNConfiguration) bool { return c.APN == dnn }) {
				continue
			}
			c, note, err := apnConfiguration(uint32(len(profile.APNs)+1), dnn, s.DnnConfigurations[dnn])
			if err != nil {
				return nil, nil, fmt.Errorf("%w: dnn %s: %w", errCorrupt, dnn, err)
			}
			if note != "" {
				notes = append(notes, note)
			}
			profile.APNs = append(profile.APNs, c)
		}
	}
	if len(profile.APNs) == 0 {
		return nil, notes, errNoEPSSubscription
	}
	profile.DefaultContextID = profile.APNs[0].ContextID
	if d := defaultDNN(am, sel); d != "" {
		if i := slices.IndexFunc(profile.APNs, func(c diameter.APNConfiguration) bool { return c.APN == d }); i >= 0 {
			profile.DefaultContextID = profile.APNs[i].ContextID
		}
	}
	sd.APNProfile = profile
	return sd, notes, nil
}

// isMSISDN accepts 1 to 15 digits (E.164).
func isMSISDN(s string) bool {
	if len(s) == 0 || len(s) > 15 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// defaultDNN is the DNN flagged default in the first default S-NSSAI.
func defaultDNN(am models.Udr_DR_AccessAndMobilitySubscriptionData, sel models.Udr_DR_SmfSelectionSubscriptionData) string {
	if am.Nssai == nil {
		return ""
	}
	for _, sn := range am.Nssai.DefaultSingleNssais {
		info, ok := sel.SubscribedSnssaiInfos[udr.SnssaiKey(sn)]
		if !ok {
			continue
		}
		for _, d := range info.DnnInfos {
			if d.DefaultDnnIndicator {
				return d.Dnn
			}
		}
	}
	return ""
}

func apnConfiguration(id uint32, dnn string, c models.Udm_SDM_DnnConfiguration) (diameter.APNConfiguration, string, error) {
	apn := diameter.APNConfiguration{ContextID: id, APN: dnn, PDNType: pdnType(c.PduSessionTypes)}
	var note string
	if q := c.Var5gQosProfile; q != nil {
		qci, ok := qciOf(q.Var5qi)
		if !ok {
			note = fmt.Sprintf("dnn %s: 5QI %d has no EPS QCI; QCI 9 sent", dnn, q.Var5qi)
		}
		apn.QoS = &diameter.BearerQoS{QCI: qci, ARP: arpOf(q.Arp, q.PriorityLevel)}
	}
	if a := c.SessionAmbr; a != nil {
		var err error
		if apn.AMBR, err = ambr(a.Uplink, a.Downlink); err != nil {
			return apn, "", fmt.Errorf("session AMBR: %w", err)
		}
	}
	return apn, note, nil
}

// pdnType: IPv4v6 when allowed (the UE then picks), else the default.
func pdnType(t *models.Udm_SDM_PduSessionTypes) uint32 {
	if t == nil {
		return diameter.PDNTypeIPv4
	}
	if t.DefaultSessionType == models.PduSessionType_IPV4_V6 || slices.Contains(t.AllowedSessionTypes, models.PduSessionType_IPV4_V6) {
		return diameter.PDNTypeIPv4v6
	}
	if t.DefaultSessionType == models.PduSessionType_IPV6 {
		return diameter.PDNTypeIPv6
	}
	return diameter.PDNTypeIPv4
}

// standardQCIs are the QCIs of TS 23.203 Table 6.1.7; the 5QIs of TS
// 23.501 with those numbers have the same characteristics.
var standardQCIs = []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 65, 66, 67, 69, 70, 71, 72, 73, 74, 75, 76, 79, 80, 82, 83, 84, 85}

// qciOf maps a 5QI to its QCI; a 5QI without one gives 9 (best effort).
func qciOf(fiveQI int32) (uint32, bool) {
	if slices.Contains(standardQCIs, fiveQI) {
		return uint32(fiveQI), true
	}
	return 9, false
}

func arpOf(a *models.Arp, level int32) diameter.ARP {
	out := diameter.ARP{PriorityLevel: uint32(max(min(level, 15), 1)),
		PreemptionCapability: diameter.PreemptionCapabilityDisabled, PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}
	if a == nil {
		return out
	}
	out.PriorityLevel = uint32(max(min(a.PriorityLevel, 15), 1))
	if a.PreemptCap == models.PreemptionCapability_MAY_PREEMPT {
		out.PreemptionCapability = diameter.PreemptionCapabilityEnabled
	}
	if a.PreemptVuln == models.PreemptionVulnerability_NOT_PREEMPTABLE {
		out.PreemptionVulnerability = diameter.PreemptionVulnerabilityDisabled
	}
	return out
}

// ambr parses two TS 29.571 BitRate strings into bits per second.
func ambr(ul, dl string) (*diameter.AMBR, error) {
	u, err := bps(ul)
	if err != nil {
		return nil, err
	}
	d, err := bps(dl)
	if err != nil {
		return nil, err
	}
	return &diameter.AMBR{Uplink: u, Downlink: d}, nil
}

func bps(s string) (uint64, error) {
	v, err := pcf.ParseBitRate(s)
	if err != nil {
		return 0, err
	}
	if v >= math.MaxUint64 {
		return 0, fmt.Errorf("bit rate %q too large", s)
	}
	return uint64(math.Round(v)), nil
}
