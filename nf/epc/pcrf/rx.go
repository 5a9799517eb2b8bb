package pcrf

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// serveAAR serves an Rx AA-Request: it binds a new AF session to the Gx
// session of the UE's address, or updates a known one, and installs a
// PCC rule per media component through a Gx RAR; the AAA waits for the
// RAA.
func (n *PCRF) serveAAR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	aar, err := diameter.ParseAAR(m)
	if err != nil {
		return nil, err
	}
	rx, created, res, err := n.rxSessionFor(aar)
	if err != nil || rx == nil {
		return n.aaa(aar.SessionID, res, err)
	}
	defer rx.mu.Unlock()
	if !n.store.rxAlive(rx) { // ended (STR, CCR-T) while we waited for it
		return n.aaa(aar.SessionID, diameter.Result{Code: resultUnknownSessionID}, nil)
	}
	fail := func(res diameter.Result) (*diam.Message, error) {
		if created && n.store.removeRx(rx) {
			n.log.Debug("Rx session refused", "rx_session", rx.id, "result", res)
		}
		return n.aaa(aar.SessionID, res, nil)
	}
	rules, err := n.mediaRules(rx, aar.Media)
	if err != nil {
		n.log.Info("AAR with unusable service information", "rx_session", rx.id, "err", err)
		if errors.Is(err, errFilter) {
			return fail(diameter.Experimental(expFilterRestrictions))
		}
		return fail(diameter.Experimental(diameter.ExpErrorInvalidServiceInformationRx))
	}
	if len(rules) == 0 { // signalling only, or no media yet: the binding is all
		return n.aaa(aar.SessionID, diameter.Success, nil)
	}
	switch n.reAuth(ctx, rx.gx, rarInstall, diameter.PolicyUpdate{Install: rules}) {
	case rarOK:
	case rarUnknownSession, rarNoPeer:
		return fail(diameter.Experimental(expIPCANSessionNotAvailable))
	default:
		return fail(diameter.Experimental(expRequestedServiceNotAuthorized))
	}
	if !n.store.rxAlive(rx) { // the Gx session ended (CCR-T) during the RAR
		return n.aaa(aar.SessionID, diameter.Experimental(expIPCANSessionNotAvailable), nil)
	}
	names := make([]string, 0, len(rules))
	for _, mc := range aar.Media {
		name := ruleName(rx, mc.Number)
		if slices.ContainsFunc(rules, func(r diameter.ChargingRule) bool { return r.Name == name }) {
			rx.rules[mc.Number] = name
			names = append(names, name)
		}
	}
	n.store.setRules(rx.gx, names, ruleActive)
	n.log.Debug("media authorized", "rx_session", rx.id, "gx_session", rx.gx.id, "rules", names)
	return n.aaa(aar.SessionID, diameter.Success, nil)
}

// rxSessionFor finds the AAR's Rx session, or binds a new one, and
// returns it locked. With rx nil, res (or err) is the answer.
func (n *PCRF) rxSessionFor(aar *diameter.AAR) (rx *rxSession, created bool, res diameter.Result, err error) {
	if rx = n.store.rxByID(aar.SessionID); rx != nil {
		rx.mu.Lock()
		return rx, false, diameter.Result{}, nil
	}
	if n.draining.Load() {
		return nil, false, diameter.Result{}, tooBusy
	}
	if !aar.FramedIP.IsValid() {
		return nil, false, diameter.Result{}, &diameter.MissingAVPError{Command: "AAR", AVP: "Framed-IP-Address"}
	}
	g := n.store.bind(aar.FramedIP, n.policy.rxMayBind)
	if g == nil {
		n.log.Info("AAR for an address without a Gx session", "ue", aar.FramedIP, "rx_session", aar.SessionID)
		return nil, false, diameter.Experimental(expIPCANSessionNotAvailable), nil
	}
	fresh := &rxSession{id: aar.SessionID, seq: n.rxSeq.Add(1), gx: g, afHost: aar.OriginHost,
		afRealm: aar.OriginRealm, rules: map[uint32]string{}}
	fresh.mu.Lock()
	got, ok, err := n.store.addRx(fresh)
	switch {
	case errors.Is(err, errFull):
		fresh.mu.Unlock()
		n.log.Warn("Rx session refused: max_sessions reached", "max", n.cfg.MaxSessions)
		return nil, false, diameter.Result{}, &diameter.ResultError{Result: diameter.Result{Code: diameter.ResultTooBusy},
			Msg: "session table full"}
	case !ok: // the Gx session ended in between
		fresh.mu.Unlock()
		return nil, false, diameter.Experimental(expIPCANSessionNotAvailable), nil
	case got != fresh: // a concurrent AAR of the same session won
		fresh.mu.Unlock()
		got.mu.Lock()
		return got, false, diameter.Result{}, nil
	}
	return fresh, true, diameter.Result{}, nil
}

func (n *PCRF) aaa(sessionID string, res diameter.Result, err error) (*diam.Message, error) {
	if err != nil {
		return nil, err
	}
	a := &diameter.AAA{AnswerHeader: n.answer(sessionID, res)}
	return a.Build()
}

// ruleName names the rule of one media component of rx: an AAR that
// modifies the component reinstalls the same rule.
func ruleName(rx *rxSession, media uint32) string {
	return fmt.Sprintf("%s%d-%d", rxRulePrefix, rx.seq, media)
}

// mediaRules makes a PCC rule of each media component that has media
// flows (AF signalling flows stay on the default bearer).
func (n *PCRF) mediaRules(rx *rxSession, media []diameter.MediaComponent) ([]diameter.ChargingRule, error) {
	var rules []diameter.ChargingRule
	seen := map[uint32]bool{}
	for _, mc := range media {
		if seen[mc.Number] {
			return nil, fmt.Errorf("Media-Component-Number %d given twice", mc.Number)
		}
		seen[mc.Number] = true
		flows, err := mediaFlows(mc, rx.gx.ue)
		if err != nil {
			return nil, fmt.Errorf("media component %d: %w", mc.Number, err)
		}
		if len(flows) == 0 {
			continue
		}
		mp := n.policy.media(mc.MediaType)
		q := &diameter.QoSInformation{QCI: mp.qci, MaxReqBandwidthUL: orDefault(mc.MaxReqBandwidthUL, mp.bandwidth),
			MaxReqBandwidthDL: orDefault(mc.MaxReqBandwidthDL, mp.bandwidth)}
		if isGBR(mp.qci) {
			q.GuaranteedBitrateUL, q.GuaranteedBitrateDL = q.MaxReqBandwidthUL, q.MaxReqBandwidthDL
		}
		arp := n.policy.arp
		q.ARP = &arp
		rules = append(rules, diameter.ChargingRule{Name: ruleName(rx, mc.Number), Flows: flows, QoS: q,
			Precedence: n.policy.precedence})
	}
	return rules, nil
}

// mediaFlows converts the flows of a media component's sub-components.
func mediaFlows(mc diameter.MediaComponent, ue netip.Addr) ([]diameter.Flow, error) {
	var flows []diameter.Flow
	for _, sub := range mc.Subs {
		if sub.Usage == diameter.FlowUsageAFSignalling {
			continue
		}
		for _, d := range sub.Descriptions {
			f, err := rxToGx(d, ue)
			if err != nil {
				return nil, fmt.Errorf("flow %d: %w", sub.FlowNumber, err)
			}
			flows = append(flows, f)
		}
	}
	return flows, nil
}

func orDefault(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}

// serveSTR ends an Rx session and removes its rules from the PGW. The
// STA is a success whatever the RAA says: the AF session is over.
func (n *PCRF) serveSTR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	str, err := diameter.ParseSTR(m)
	if err != nil {
		return nil, err
	}
	rx := n.store.rxByID(str.SessionID)
	if rx == nil {
		return n.sta(str.SessionID, diameter.Result{Code: resultUnknownSessionID})
	}
	rx.mu.Lock()
	defer rx.mu.Unlock()
	n.store.removeRx(rx)
	names := slices.Sorted(maps.Values(rx.rules))
	if len(names) > 0 && n.store.alive(rx.gx) {
		n.reAuth(ctx, rx.gx, rarRemove, diameter.PolicyUpdate{Remove: names})
		n.store.setRules(rx.gx, names, ruleRemoved)
	}
	n.log.Debug("Rx session ended", "rx_session", rx.id, "rules", names)
	return n.sta(str.SessionID, diameter.Success)
}

func (n *PCRF) sta(sessionID string, res diameter.Result) (*diam.Message, error) {
	a := &diameter.STA{AnswerHeader: n.answer(sessionID, res)}
	return a.Build()
}
