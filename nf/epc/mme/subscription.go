package mme

import (
	"strings"

	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// subscription is what the HSS told us in the ULA.
type subscription struct {
	msisdn     string
	ueAMBR     s1ap.AMBR // bit/s
	apns       []apnConfig
	defaultAPN string
}

// apnConfig is one subscribed APN.
type apnConfig struct {
	name    string
	pdnType uint32 // diameter.PDNType...
	qci     uint8
	arp     s1ap.ARP
	ambr    s1ap.AMBR // APN-AMBR, bit/s
}

// Defaults for an APN configuration that leaves out its QoS (TS 23.401
// leaves them to the operator; QCI 9 is the usual default bearer).
const (
	defaultQCI      = 9
	defaultPriority = 8
)

// defaultAPNAMBR is the APN-AMBR of an APN configuration without one.
var defaultAPNAMBR = s1ap.AMBR{UL: 100_000_000, DL: 100_000_000}

// subscriptionOf maps S6a Subscription-Data; ueAMBR is used when the HSS
// sends none.
func subscriptionOf(sd *diameter.SubscriptionData, ueAMBR s1ap.AMBR) *subscription {
	s := &subscription{msisdn: sd.MSISDN, ueAMBR: ueAMBR}
	if a := sd.AMBR; a != nil && a.Uplink > 0 && a.Downlink > 0 {
		s.ueAMBR = s1ap.AMBR{UL: a.Uplink, DL: a.Downlink}
	}
	for _, c := range sd.APNProfile.APNs {
		ac := apnConfig{name: c.APN, pdnType: c.PDNType, qci: defaultQCI, ambr: defaultAPNAMBR,
			arp: s1ap.ARP{PriorityLevel: defaultPriority, Preemptable: true}}
		if q := c.QoS; q != nil {
			ac.qci = uint8(q.QCI)
			ac.arp = s1ap.ARP{PriorityLevel: uint8(q.ARP.PriorityLevel),
				MayTriggerPreemption: q.ARP.PreemptionCapability == diameter.PreemptionCapabilityEnabled,
				Preemptable:          q.ARP.PreemptionVulnerability == diameter.PreemptionVulnerabilityEnabled}
		}
		if a := c.AMBR; a != nil && a.Uplink > 0 && a.Downlink > 0 {
			ac.ambr = s1ap.AMBR{UL: a.Uplink, DL: a.Downlink}
		}
		s.apns = append(s.apns, ac)
		if c.ContextID == sd.APNProfile.DefaultContextID {
			s.defaultAPN = c.APN
		}
	}
	if s.defaultAPN == "" && len(s.apns) > 0 {
		s.defaultAPN = s.apns[0].name
	}
	return s
}

// apn finds the subscribed APN a UE asks for ("" for the default). APN
// names compare without case (TS 23.003 9.1); a requested name may carry
// the operator identifier, which is not part of the subscription.
func (s *subscription) apn(requested string) (apnConfig, bool) {
	if requested == "" {
		requested = s.defaultAPN
	}
	ni := strings.ToLower(requested)
	if i := strings.Index(ni, ".mnc"); i > 0 && strings.HasSuffix(ni, ".gprs") {
		ni = ni[:i]
	}
	for _, a := range s.apns {
		if strings.ToLower(a.name) == ni {
			return a, true
		}
	}
	return apnConfig{}, false
}
