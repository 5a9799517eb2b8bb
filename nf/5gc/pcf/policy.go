package pcf

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/free5gc/openapi/models"
)

// What policies.unknown_dnn may say.
const (
	UnknownDNNDefault = "default" // use policies.default
	UnknownDNNReject  = "reject"  // refuse the association (403 POLICY_CONTEXT_DENIED)
)

// PolicyConfig is the "policies:" section: the QoS each DNN gets.
type PolicyConfig struct {
	// Default applies to DNNs not in DNNs (with unknown_dnn "default"),
	// and fills in what a DNN entry leaves unset.
	Default QoSConfig `yaml:"default"`
	// DNNs are per-DNN policies by DNN (matched case-insensitively).
	DNNs map[string]QoSConfig `yaml:"dnns"`
	// UnknownDNN is what a DNN without an entry gets: "default" or "reject".
	UnknownDNN string `yaml:"unknown_dnn"`
	// MaxPolicies bounds the associations held (memory).
	MaxPolicies int `yaml:"max_policies"`
}

// QoSConfig is the session policy of a DNN.
type QoSConfig struct {
	FiveQI int        `yaml:"five_qi"`
	ARP    ARPConfig  `yaml:"arp"`
	AMBR   AMBRConfig `yaml:"ambr"`
}

// ARPConfig is an allocation and retention priority (TS 23.501 §5.7.2.2).
type ARPConfig struct {
	Priority    int    `yaml:"priority"`     // 1 (highest) .. 15
	PreemptCap  string `yaml:"preempt_cap"`  // NOT_PREEMPT or MAY_PREEMPT
	PreemptVuln string `yaml:"preempt_vuln"` // NOT_PREEMPTABLE or PREEMPTABLE
}

// AMBRConfig is a session AMBR in TS 29.571 BitRate form ("100 Mbps").
type AMBRConfig struct {
	Uplink   string `yaml:"uplink"`
	Downlink string `yaml:"downlink"`
}

// gbr5QIs are the standardized GBR and delay-critical GBR 5QIs (TS 23.501
// Table 5.7.4-1): a default QoS flow is non-GBR, so none of these.
var gbr5QIs = []int{1, 2, 3, 4, 65, 66, 67, 71, 72, 73, 74, 75, 76, 82, 83, 84, 85, 86, 87, 88, 89, 90}

// dnnRe is a DNN: dot-separated labels of letters, digits and hyphens
// (TS 23.003 §9.1), at most 100 characters.
var dnnRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

func validDNN(s string) bool { return len(s) <= 100 && dnnRe.MatchString(s) }

// Validate checks the default and every DNN entry as it will be applied.
func (c PolicyConfig) Validate() error {
	var errs []error
	errs = append(errs, c.Default.validate("policies.default")...)
	seen := map[string]string{}
	for _, dnn := range slices.Sorted(maps.Keys(c.DNNs)) {
		key := "policies.dnns." + dnn
		if !validDNN(dnn) {
			errs = append(errs, fmt.Errorf("%s: %q is not a DNN (labels of letters, digits, '-')", key, dnn))
		}
		if other, dup := seen[strings.ToLower(dnn)]; dup {
			errs = append(errs, fmt.Errorf("%s: same DNN as %q (DNNs are case-insensitive)", key, other))
		}
		seen[strings.ToLower(dnn)] = dnn
		errs = append(errs, c.DNNs[dnn].over(c.Default).validate(key)...)
	}
	if c.UnknownDNN != UnknownDNNDefault && c.UnknownDNN != UnknownDNNReject {
		errs = append(errs, fmt.Errorf("policies.unknown_dnn %q: want %q or %q", c.UnknownDNN, UnknownDNNDefault, UnknownDNNReject))
	}
	if c.MaxPolicies < 1 {
		errs = append(errs, fmt.Errorf("policies.max_policies %d must be at least 1", c.MaxPolicies))
	}
	return errors.Join(errs...)
}

func (q QoSConfig) validate(key string) []error {
	var errs []error
	add := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(key+"."+format, args...))
		}
	}
	add(q.FiveQI < 1 || q.FiveQI > 255, "five_qi %d: want 1..255", q.FiveQI)
	add(slices.Contains(gbr5QIs, q.FiveQI), "five_qi %d is a GBR 5QI; a default QoS flow is non-GBR", q.FiveQI)
	add(q.ARP.Priority < 1 || q.ARP.Priority > 15, "arp.priority %d: want 1..15", q.ARP.Priority)
	add(q.ARP.PreemptCap != string(models.PreemptionCapability_NOT_PREEMPT) &&
		q.ARP.PreemptCap != string(models.PreemptionCapability_MAY_PREEMPT),
		"arp.preempt_cap %q: want NOT_PREEMPT or MAY_PREEMPT", q.ARP.PreemptCap)
	add(q.ARP.PreemptVuln != string(models.PreemptionVulnerability_NOT_PREEMPTABLE) &&
		q.ARP.PreemptVuln != string(models.PreemptionVulnerability_PREEMPTABLE),
		"arp.preempt_vuln %q: want NOT_PREEMPTABLE or PREEMPTABLE", q.ARP.PreemptVuln)
	if _, err := ParseBitRate(q.AMBR.Uplink); err != nil {
		errs = append(errs, fmt.Errorf("%s.ambr.uplink: %w", key, err))
	}
	if _, err := ParseBitRate(q.AMBR.Downlink); err != nil {
		errs = append(errs, fmt.Errorf("%s.ambr.downlink: %w", key, err))
	}
	return errs
}

// over fills what q leaves unset from def.
func (q QoSConfig) over(def QoSConfig) QoSConfig {
	pick := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	if q.FiveQI == 0 {
		q.FiveQI = def.FiveQI
	}
	if q.ARP.Priority == 0 {
		q.ARP.Priority = def.ARP.Priority
	}
	q.ARP.PreemptCap = pick(q.ARP.PreemptCap, def.ARP.PreemptCap)
	q.ARP.PreemptVuln = pick(q.ARP.PreemptVuln, def.ARP.PreemptVuln)
	q.AMBR.Uplink = pick(q.AMBR.Uplink, def.AMBR.Uplink)
	q.AMBR.Downlink = pick(q.AMBR.Downlink, def.AMBR.Downlink)
	return q
}

// policies answers which QoS a DNN gets.
type policies struct {
	def    QoSConfig
	byDNN  map[string]QoSConfig // lower-cased DNN, merged over def
	reject bool
}

func newPolicies(c PolicyConfig) *policies {
	p := &policies{def: c.Default, byDNN: map[string]QoSConfig{}, reject: c.UnknownDNN == UnknownDNNReject}
	for dnn, q := range c.DNNs {
		p.byDNN[strings.ToLower(dnn)] = q.over(c.Default)
	}
	return p
}

// lookup is dnn's policy; ok is false for a DNN to refuse.
func (p *policies) lookup(dnn string) (q QoSConfig, ok bool) {
	if q, ok := p.byDNN[strings.ToLower(dnn)]; ok {
		return q, true
	}
	return p.def, !p.reject
}

// dnns are the configured DNNs, sorted.
func (p *policies) dnns() []string { return slices.Sorted(maps.Keys(p.byDNN)) }

// Identifiers of the rules and QoS data in every decision.
const (
	SessRuleID = "sessrule-default"
	PccRuleID  = "pccrule-default"
	QosID      = "qos-default"
)

// matchAll is the PCC rule's flow: all traffic of the session (TS 29.212
// §5.4.2 flow description; "assigned" is the UE's address).
const matchAll = "permit out ip from any to assigned"

// lowestPrecedence puts the default PCC rule after any more specific one.
const lowestPrecedence = 255

// decision is the SmPolicyDecision for a session with QoS q: a session
// rule authorizing the AMBR and default QoS, and one PCC rule matching all
// traffic, bound to the default QoS flow.
func decision(q QoSConfig) models.Pcf_SMPolCtrl_SmPolicyDecision {
	arp := func() *models.Arp {
		return &models.Arp{PriorityLevel: int32(q.ARP.Priority),
			PreemptCap:  models.PreemptionCapability(q.ARP.PreemptCap),
			PreemptVuln: models.PreemptionVulnerability(q.ARP.PreemptVuln)}
	}
	return models.Pcf_SMPolCtrl_SmPolicyDecision{
		SessRules: map[string]*models.Pcf_SMPolCtrl_SessionRule{SessRuleID: {
			SessRuleId:   SessRuleID,
			AuthSessAmbr: &models.Ambr{Uplink: q.AMBR.Uplink, Downlink: q.AMBR.Downlink},
			AuthDefQos:   &models.Pcf_SMPolCtrl_AuthorizedDefaultQos{Var5qi: int32(q.FiveQI), Arp: arp()},
		}},
		PccRules: map[string]*models.Pcf_SMPolCtrl_PccRule{PccRuleID: {
			PccRuleId:  PccRuleID,
			Precedence: lowestPrecedence,
			FlowInfos: []models.Pcf_SMPolCtrl_FlowInformation{{FlowDescription: matchAll,
				FlowDirection: models.Pcf_SMPolCtrl_FlowDirectionRm_BIDIRECTIONAL}},
			RefQosData: []string{QosID},
		}},
		QosDecs: map[string]*models.Pcf_SMPolCtrl_QosData{QosID: {
			QosId: QosID, Var5qi: int32(q.FiveQI), Arp: arp(), DefQosFlowIndication: true,
		}},
	}
}
