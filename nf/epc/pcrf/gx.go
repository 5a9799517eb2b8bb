package pcrf

import (
	"context"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// Result codes the typed Diameter layer does not name.
const (
	resultUnknownSessionID uint32 = 5002 // RFC 6733 7.1.5
	// Rx Experimental-Result-Codes (TS 29.214 5.5.3).
	expFilterRestrictions            uint32 = 5062
	expRequestedServiceNotAuthorized uint32 = 5063
	expIPCANSessionNotAvailable      uint32 = 5065
)

var tooBusy = &diameter.ResultError{Result: diameter.Result{Code: diameter.ResultTooBusy}, Msg: "draining"}

// serveCCR serves a Gx Credit-Control-Request.
func (n *PCRF) serveCCR(_ context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	ccr, err := diameter.ParseCCR(m)
	if err != nil {
		return nil, err
	}
	switch ccr.RequestType {
	case diameter.CCRequestInitial:
		return n.ccrInitial(ccr)
	case diameter.CCRequestUpdate:
		return n.ccrUpdate(ccr, m)
	case diameter.CCRequestTermination:
		return n.ccrTerminate(ccr)
	}
	return nil, &diameter.InvalidAVPError{Command: "CCR", AVP: "CC-Request-Type",
		Reason: "EVENT_REQUEST is not used on Gx"}
}

func (n *PCRF) cca(ccr *diameter.CCR, res diameter.Result, u diameter.PolicyUpdate) (*diam.Message, error) {
	a := &diameter.CCA{AnswerHeader: n.answer(ccr.SessionID, res), RequestType: ccr.RequestType,
		RequestNumber: ccr.RequestNumber, PolicyUpdate: u}
	return a.Build()
}

// ccrInitial opens an IP-CAN session with the APN's policy.
func (n *PCRF) ccrInitial(ccr *diameter.CCR) (*diam.Message, error) {
	if n.draining.Load() {
		return nil, tooBusy
	}
	ap, ok := n.policy.forAPN(ccr.APN)
	if !ok {
		n.log.Info("CCR-Initial for an APN without policy", "apn", ccr.APN, "session", ccr.SessionID)
		return n.cca(ccr, diameter.Experimental(diameter.ExpErrorInitialParameters), diameter.PolicyUpdate{})
	}
	g := &gxSession{id: ccr.SessionID, ue: ccr.FramedIP.Unmap(), apn: ccr.APN, pgwHost: ccr.OriginHost,
		pgwRealm: ccr.OriginRealm, created: time.Now()}
	for _, s := range ccr.Subscriptions {
		switch s.Type {
		case diameter.SubscriptionIDIMSI:
			g.imsi = s.Data
		case diameter.SubscriptionIDE164:
			g.msisdn = s.Data
		}
	}
	old, detached, err := n.store.addGx(g)
	if err != nil { // errFull
		n.log.Warn("Gx session refused", "err", err, "max_sessions", n.cfg.MaxSessions)
		return nil, &diameter.ResultError{Result: diameter.Result{Code: diameter.ResultTooBusy}, Msg: "session table full"}
	}
	if old != nil {
		n.log.Info("repeated CCR-Initial replaces the session", "session", g.id)
		n.metrics.rxReleased.Add(float64(len(detached)))
	}
	names := make([]string, 0, len(ap.rules))
	for _, r := range ap.rules {
		names = append(names, r.Name)
	}
	n.store.setRules(g, names, ruleActive)
	n.log.Debug("Gx session opened", "session", g.id, "imsi", g.imsi, "ue", g.ue, "apn", g.apn, "pgw", g.pgwHost)
	bearer := ap.bearer
	return n.cca(ccr, diameter.Success, diameter.PolicyUpdate{Install: ap.rules, DefaultBearerQoS: &bearer,
		QoS: &diameter.QoSInformation{APNAMBRUL: ap.ambrUL, APNAMBRDL: ap.ambrDL}})
}

// ccrUpdate takes the rule reports of a session.
func (n *PCRF) ccrUpdate(ccr *diameter.CCR, m *diam.Message) (*diam.Message, error) {
	reports, err := ruleReports(m, "CCR")
	if err != nil {
		return nil, err
	}
	g := n.store.gxByID(ccr.SessionID)
	if g == nil {
		return n.cca(ccr, diameter.Result{Code: resultUnknownSessionID}, diameter.PolicyUpdate{})
	}
	n.applyReports(g, reports)
	return n.cca(ccr, diameter.Success, diameter.PolicyUpdate{})
}

// applyReports records what a PGW says of its rules. A rule of an Rx
// session reported inactive stays bound to it: the STR removes it.
func (n *PCRF) applyReports(g *gxSession, reports []ruleReport) {
	for _, r := range reports {
		if !r.hasStatus {
			continue
		}
		label, ok := ruleStatusLabels[r.status]
		if !ok {
			n.log.Info("rule report with an unknown PCC-Rule-Status", "session", g.id, "status", r.status)
			continue
		}
		n.metrics.ruleReports.WithLabelValues(label).Add(float64(len(r.names)))
		state := ruleActive
		if r.status != pccRuleActive {
			state = ruleInactive
			n.log.Info("PGW reports rules inactive", "session", g.id, "rules", r.names, "status", label,
				"rule_failure_code", r.failure)
		}
		n.store.setRules(g, r.names, state)
	}
}

// ccrTerminate closes a session and the Rx sessions bound to it.
func (n *PCRF) ccrTerminate(ccr *diameter.CCR) (*diam.Message, error) {
	g, detached := n.store.removeGx(ccr.SessionID)
	if g == nil {
		return n.cca(ccr, diameter.Result{Code: resultUnknownSessionID}, diameter.PolicyUpdate{})
	}
	if len(detached) > 0 {
		// No ASR to the AF (the typed layer has none): its next AAR or
		// STR for the session is answered as for an unknown session.
		n.metrics.rxReleased.Add(float64(len(detached)))
		n.log.Info("Gx session ended with Rx sessions bound", "session", g.id, "rx_sessions", len(detached))
	}
	n.log.Debug("Gx session closed", "session", g.id, "imsi", g.imsi)
	return n.cca(ccr, diameter.Success, diameter.PolicyUpdate{})
}
