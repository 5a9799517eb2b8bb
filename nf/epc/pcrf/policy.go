package pcrf

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// rxRulePrefix starts the names of the rules made from Rx media, which
// configured rules may therefore not use.
const rxRulePrefix = "rx-"

// gbrQCIs are the standardized GBR QCIs (TS 23.203 Table 6.1.7-A): a
// default bearer is non-GBR, and a GBR rule needs a GBR.
var gbrQCIs = []uint32{1, 2, 3, 4, 65, 66, 67, 71, 72, 73, 74, 75, 76, 82, 83, 84, 85}

func isGBR(qci uint32) bool { return slices.Contains(gbrQCIs, qci) }

// apnNameRe is an APN network identifier: dot-separated labels of
// letters, digits and hyphens (TS 23.003 9.1).
var apnNameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$`)

// apnPolicy is what a CCA-Initial for one APN carries.
type apnPolicy struct {
	name   string
	bearer diameter.BearerQoS
	ambrUL uint32 // bps
	ambrDL uint32
	rules  []diameter.ChargingRule
}

// mediaPolicy is the QoS of one kind of Rx media.
type mediaPolicy struct {
	qci       uint32
	bandwidth uint32 // bps, when the AF asks for none
}

// policy is the configuration, checked and in Diameter terms.
type policy struct {
	byAPN      map[string]apnPolicy // lower-case APN
	unknown    *apnPolicy           // for unlisted APNs; nil refuses them
	rxAPNs     []string             // lower-case; empty: any
	arp        diameter.ARP         // of dedicated bearers
	precedence uint32
	audio      mediaPolicy
	video      mediaPolicy
	other      mediaPolicy
}

// newPolicy checks c's policy sections and compiles them.
func newPolicy(c Config) (*policy, error) {
	var errs []error
	p := &policy{byAPN: map[string]apnPolicy{}}
	if len(c.APNs) == 0 {
		errs = append(errs, errors.New("apns: list at least one APN"))
	}
	for i, a := range c.APNs {
		key := fmt.Sprintf("apns[%d]", i)
		ap, err := compileAPN(key, a)
		errs = append(errs, err...)
		lower := strings.ToLower(a.Name)
		if _, dup := p.byAPN[lower]; dup {
			errs = append(errs, fmt.Errorf("%s: APN %q listed twice (APNs are case-insensitive)", key, a.Name))
		}
		p.byAPN[lower] = ap
	}
	if c.UnknownAPN != "" {
		ap, ok := p.byAPN[strings.ToLower(c.UnknownAPN)]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown_apn %q: not one of apns", c.UnknownAPN))
		}
		p.unknown = &ap
	}
	errs = append(errs, p.compileDedicated(c.Dedicated)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func compileAPN(key string, a APNConfig) (apnPolicy, []error) {
	var errs []error
	if !apnNameRe.MatchString(a.Name) || len(a.Name) > 100 {
		errs = append(errs, fmt.Errorf("%s.name %q: want an APN (labels of letters, digits, '-')", key, a.Name))
	}
	if a.QCI < 1 || a.QCI > 255 || isGBR(a.QCI) {
		errs = append(errs, fmt.Errorf("%s.qci %d: want a non-GBR QCI (5..9, 69, 70, 79, 80 ...)", key, a.QCI))
	}
	arp, err := compileARP(key, a.ARPConfig)
	errs = appendErr(errs, err)
	ul, err := bitRate(key+".ambr_ul", a.AMBRUL, true)
	errs = appendErr(errs, err)
	dl, err := bitRate(key+".ambr_dl", a.AMBRDL, true)
	errs = appendErr(errs, err)
	ap := apnPolicy{name: a.Name, bearer: diameter.BearerQoS{QCI: a.QCI, ARP: arp}, ambrUL: ul, ambrDL: dl}
	names := map[string]bool{}
	for j, rc := range a.Rules {
		rkey := fmt.Sprintf("%s.rules[%d]", key, j)
		if names[rc.Name] {
			errs = append(errs, fmt.Errorf("%s.name %q: listed twice", rkey, rc.Name))
		}
		names[rc.Name] = true
		r, rerrs := compileRule(rkey, rc)
		errs = append(errs, rerrs...)
		ap.rules = append(ap.rules, r)
	}
	return ap, errs
}

func compileRule(key string, rc RuleConfig) (diameter.ChargingRule, []error) {
	var errs []error
	if rc.Name == "" || strings.HasPrefix(rc.Name, rxRulePrefix) {
		errs = append(errs, fmt.Errorf("%s.name %q: want a name not starting with %q (kept for Rx rules)", key, rc.Name, rxRulePrefix))
	}
	if rc.Precedence > 255 {
		errs = append(errs, fmt.Errorf("%s.precedence %d: want 0..255", key, rc.Precedence))
	}
	if rc.QCI < 1 || rc.QCI > 255 {
		errs = append(errs, fmt.Errorf("%s.qci %d: want 1..255", key, rc.QCI))
	}
	arp, err := compileARP(key, rc.ARPConfig)
	errs = appendErr(errs, err)
	q := &diameter.QoSInformation{QCI: rc.QCI, ARP: &arp}
	rates := []struct {
		key, v string
		into   *uint32
	}{{".mbr_ul", rc.MBRUL, &q.MaxReqBandwidthUL}, {".mbr_dl", rc.MBRDL, &q.MaxReqBandwidthDL},
		{".gbr_ul", rc.GBRUL, &q.GuaranteedBitrateUL}, {".gbr_dl", rc.GBRDL, &q.GuaranteedBitrateDL}}
	for _, r := range rates {
		v, err := bitRate(key+r.key, r.v, false)
		errs = appendErr(errs, err)
		*r.into = v
	}
	if isGBR(rc.QCI) && (q.GuaranteedBitrateUL == 0 || q.GuaranteedBitrateDL == 0) {
		errs = append(errs, fmt.Errorf("%s: QCI %d is GBR: set gbr_ul and gbr_dl", key, rc.QCI))
	}
	if len(rc.Flows) == 0 {
		errs = append(errs, fmt.Errorf("%s.flows: list at least one flow", key))
	}
	r := diameter.ChargingRule{Name: rc.Name, QoS: q, Precedence: rc.Precedence}
	for k, fc := range rc.Flows {
		f, err := compileFlow(fmt.Sprintf("%s.flows[%d]", key, k), fc)
		errs = appendErr(errs, err)
		r.Flows = append(r.Flows, f)
	}
	return r, errs
}

var flowDirections = map[string]uint32{
	"downlink":      diameter.FlowDirectionDownlink,
	"uplink":        diameter.FlowDirectionUplink,
	"bidirectional": diameter.FlowDirectionBidirectional,
}

func compileFlow(key string, fc FlowConfig) (diameter.Flow, error) {
	dir, ok := flowDirections[fc.Direction]
	if !ok {
		return diameter.Flow{}, fmt.Errorf("%s.direction %q: want downlink, uplink or bidirectional", key, fc.Direction)
	}
	r, err := parseIPFilter(fc.Description)
	if err != nil {
		return diameter.Flow{}, fmt.Errorf("%s.description: %w", key, err)
	}
	if r.dir != "out" {
		return diameter.Flow{}, fmt.Errorf("%s.description %q: Gx rules use direction \"out\" (TS 29.212 5.4.2)", key, fc.Description)
	}
	return diameter.Flow{Description: r.String(), Direction: dir}, nil
}

func (p *policy) compileDedicated(d DedicatedConfig) []error {
	var errs []error
	for i, apn := range d.APNs {
		if !apnNameRe.MatchString(apn) {
			errs = append(errs, fmt.Errorf("dedicated.apns[%d] %q: want an APN", i, apn))
		}
		p.rxAPNs = append(p.rxAPNs, strings.ToLower(apn))
	}
	arp, err := compileARP("dedicated", d.ARPConfig)
	p.arp = arp
	errs = appendErr(errs, err)
	if d.Precedence < 1 || d.Precedence > 255 {
		errs = append(errs, fmt.Errorf("dedicated.precedence %d: want 1..255", d.Precedence))
	}
	p.precedence = d.Precedence
	for _, m := range []struct {
		key  string
		c    MediaConfig
		into *mediaPolicy
	}{{"dedicated.audio", d.Audio, &p.audio}, {"dedicated.video", d.Video, &p.video}, {"dedicated.other", d.Other, &p.other}} {
		if m.c.QCI < 1 || m.c.QCI > 255 {
			errs = append(errs, fmt.Errorf("%s.qci %d: want 1..255", m.key, m.c.QCI))
		}
		bw, err := bitRate(m.key+".bandwidth", m.c.Bandwidth, true)
		errs = appendErr(errs, err)
		*m.into = mediaPolicy{qci: m.c.QCI, bandwidth: bw}
	}
	return errs
}

func compileARP(key string, a ARPConfig) (diameter.ARP, error) {
	arp := diameter.ARP{PriorityLevel: a.Priority, PreemptionCapability: diameter.PreemptionCapabilityDisabled,
		PreemptionVulnerability: diameter.PreemptionVulnerabilityEnabled}
	if a.MayPreempt {
		arp.PreemptionCapability = diameter.PreemptionCapabilityEnabled
	}
	if a.NotPreemptable {
		arp.PreemptionVulnerability = diameter.PreemptionVulnerabilityDisabled
	}
	if a.Priority < 1 || a.Priority > 15 {
		return arp, fmt.Errorf("%s.arp %d: want 1..15", key, a.Priority)
	}
	return arp, nil
}

// bitRate reads a TS 29.571 BitRate ("100 Mbps") as the bps of a Gx
// Unsigned32; "" is 0 unless required.
func bitRate(key, s string, required bool) (uint32, error) {
	if s == "" && !required {
		return 0, nil
	}
	bps, err := pcf.ParseBitRate(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	r := math.Round(bps)
	switch {
	case r > math.MaxUint32:
		return 0, fmt.Errorf("%s %q: above 4294967295 bps, the most Gx carries", key, s)
	case r < 1:
		return 0, fmt.Errorf("%s %q: below 1 bps", key, s)
	}
	return uint32(r), nil
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// forAPN is the policy of apn; ok is false when it is refused.
func (p *policy) forAPN(apn string) (apnPolicy, bool) {
	if ap, ok := p.byAPN[strings.ToLower(apn)]; ok {
		return ap, true
	}
	if p.unknown != nil {
		return *p.unknown, true
	}
	return apnPolicy{}, false
}

// rxMayBind reports whether an AAR may bind to a Gx session of apn.
func (p *policy) rxMayBind(apn string) bool {
	return len(p.rxAPNs) == 0 || slices.Contains(p.rxAPNs, strings.ToLower(apn))
}

// media is the QoS of Media-Type t.
func (p *policy) media(t uint32) mediaPolicy {
	switch t {
	case diameter.MediaTypeAudio:
		return p.audio
	case diameter.MediaTypeVideo:
		return p.video
	}
	return p.other
}
