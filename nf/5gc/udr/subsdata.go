package udr

import (
	"encoding/json"
	"slices"

	"github.com/free5gc/openapi/models"
)

// The subscription data sets of TS 29.505 built from a stored Subscriber.
// They do not depend on the serving PLMN: corebox has one home network.

// AuthSubscription is the authentication subscription (K and OPc travel
// in the clear here: corebox keeps no HSM, and the SBI is a lab network).
func AuthSubscription(s Subscriber) models.Udr_DR_AuthenticationSubscription {
	return models.Udr_DR_AuthenticationSubscription{
		AuthenticationMethod:          models.Udr_DR_AuthMethod_5_G_AKA,
		EncPermanentKey:               s.K,
		EncOpcKey:                     s.OPc,
		AuthenticationManagementField: s.AMF,
		AlgorithmId:                   "milenage",
		SequenceNumber: &models.Udr_DR_SequenceNumber{
			SqnScheme: models.Udr_DR_SqnScheme_NON_TIME_BASED, Sqn: s.SQN, IndLength: 5},
		Supi: s.SUPI(),
	}
}

// SnssaiOf is the S-NSSAI of a DNN entry.
func SnssaiOf(d DNN) models.Snssai { return models.Snssai{Sst: int32(d.SST), Sd: d.SD} }

// SnssaiKey is the key of an S-NSSAI in SBI maps: its JSON encoding, as
// free5gc and open5gs write it.
func SnssaiKey(s models.Snssai) string {
	b, _ := json.Marshal(s) // two scalar fields always marshal
	return string(b)
}

// slices of the subscriber, in order of first appearance.
func subscribedSlices(s Subscriber) []models.Snssai {
	var out []models.Snssai
	for _, d := range s.DNNs {
		if sn := SnssaiOf(d); !slices.Contains(out, sn) {
			out = append(out, sn)
		}
	}
	return out
}

// AMData is the access and mobility subscription data: every subscribed
// S-NSSAI is a default one.
func AMData(s Subscriber) models.Udr_DR_AccessAndMobilitySubscriptionData {
	am := models.Udr_DR_AccessAndMobilitySubscriptionData{
		SubscribedUeAmbr: &models.AmbrRm{Uplink: s.UEAMBR.Uplink, Downlink: s.UEAMBR.Downlink},
		Nssai:            &models.Udm_SDM_Nssai{DefaultSingleNssais: subscribedSlices(s)},
	}
	if s.MSISDN != "" {
		am.Gpsis = []string{"msisdn-" + s.MSISDN}
	}
	var dnns []any
	for _, d := range s.DNNs {
		if !slices.Contains(dnns, any(d.DNN)) {
			dnns = append(dnns, d.DNN)
		}
	}
	am.SubscribedDnnList = dnns
	return am
}

// SMFSelectionData lists the DNNs of each S-NSSAI with its default.
func SMFSelectionData(s Subscriber) models.Udr_DR_SmfSelectionSubscriptionData {
	infos := map[string]models.Udm_SDM_SnssaiInfo{}
	for _, d := range s.DNNs {
		k := SnssaiKey(SnssaiOf(d))
		info := infos[k]
		info.DnnInfos = append(info.DnnInfos, models.Udm_SDM_DnnInfo{Dnn: d.DNN, DefaultDnnIndicator: d.Default})
		infos[k] = info
	}
	return models.Udr_DR_SmfSelectionSubscriptionData{SubscribedSnssaiInfos: infos}
}

// SMData is the session management subscription data, one entry per
// S-NSSAI, optionally only for slice and/or dnn.
func SMData(s Subscriber, q SessionConfig, slice *models.Snssai, dnn string) []models.Udm_SDM_SessionManagementSubscriptionData {
	out := []models.Udm_SDM_SessionManagementSubscriptionData{}
	for _, sn := range subscribedSlices(s) {
		if slice != nil && *slice != sn {
			continue
		}
		confs := map[string]models.Udm_SDM_DnnConfiguration{}
		for _, d := range s.DNNs {
			if SnssaiOf(d) == sn && (dnn == "" || d.DNN == dnn) {
				confs[d.DNN] = dnnConfig(q)
			}
		}
		if len(confs) > 0 {
			out = append(out, models.Udm_SDM_SessionManagementSubscriptionData{SingleNssai: &sn, DnnConfigurations: confs})
		}
	}
	return out
}

func dnnConfig(q SessionConfig) models.Udm_SDM_DnnConfiguration {
	return models.Udm_SDM_DnnConfiguration{
		PduSessionTypes: &models.Udm_SDM_PduSessionTypes{DefaultSessionType: models.PduSessionType_IPV4,
			AllowedSessionTypes: []models.PduSessionType{models.PduSessionType_IPV4,
				models.PduSessionType_IPV6, models.PduSessionType_IPV4_V6}},
		SscModes: &models.Udm_SDM_SscModes{DefaultSscMode: models.SscMode_1,
			AllowedSscModes: []models.SscMode{models.SscMode_1, models.SscMode_2, models.SscMode_3}},
		Var5gQosProfile: &models.SubscribedDefaultQos{Var5qi: int32(q.FiveQI), PriorityLevel: int32(q.ARPPriority),
			Arp: &models.Arp{PriorityLevel: int32(q.ARPPriority),
				PreemptCap:  models.PreemptionCapability_NOT_PREEMPT,
				PreemptVuln: models.PreemptionVulnerability_NOT_PREEMPTABLE}},
		SessionAmbr: &models.Ambr{Uplink: q.AMBR.Uplink, Downlink: q.AMBR.Downlink},
	}
}
