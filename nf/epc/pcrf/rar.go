package pcrf

import (
	"context"
	"fmt"
	"slices"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// reAuth pushes u to the PGW holding g in a Gx RAR and returns the
// outcome (a rar* label). RARs of one session go one at a time. A PGW
// that no longer knows the session (DIAMETER_UNKNOWN_SESSION_ID) makes us
// forget it too. The RAR runs to its end even when ctx (the AF's
// connection) ends, so that what we record matches the PGW.
func (n *PCRF) reAuth(ctx context.Context, g *gxSession, purpose string, u diameter.PolicyUpdate) string {
	g.rarMu.Lock()
	defer g.rarMu.Unlock()
	outcome, err := n.sendRAR(context.WithoutCancel(ctx), g, u)
	n.metrics.rars.WithLabelValues(purpose, outcome).Inc()
	switch outcome {
	case rarOK:
	case rarUnknownSession:
		detached := n.store.removeGxIf(g)
		n.metrics.rxReleased.Add(float64(len(detached)))
		n.log.Info("PGW does not know the Gx session: forgotten", "session", g.id, "pgw", g.pgwHost,
			"purpose", purpose, "rx_sessions", len(detached))
	default:
		n.log.Warn("RAR failed", "session", g.id, "pgw", g.pgwHost, "purpose", purpose, "result", outcome, "err", err)
	}
	return outcome
}

func (n *PCRF) sendRAR(ctx context.Context, g *gxSession, u diameter.PolicyUpdate) (string, error) {
	if !n.store.alive(g) {
		return rarUnknownSession, fmt.Errorf("gx session %s ended", g.id)
	}
	p, ok := n.dia.Peer(g.pgwHost)
	if !ok {
		return rarNoPeer, fmt.Errorf("pgw %s not connected", g.pgwHost)
	}
	rar := &diameter.RAR{RequestHeader: diameter.RequestHeader{SessionID: g.id,
		OriginHost: n.cfg.Diameter.OriginHost, OriginRealm: n.cfg.Diameter.OriginRealm,
		DestinationHost: g.pgwHost, DestinationRealm: g.pgwRealm},
		ReAuthRequestType: diameter.ReAuthAuthorizeOnly, PolicyUpdate: u}
	m, err := rar.Build()
	if err != nil {
		return rarFailed, fmt.Errorf("build RAR: %w", err)
	}
	ans, err := p.Request(ctx, m)
	if err != nil {
		return rarFailed, err
	}
	raa, err := diameter.ParseRAA(ans)
	if err != nil {
		return rarFailed, fmt.Errorf("RAA: %w", err)
	}
	if raa.Result == (diameter.Result{Code: resultUnknownSessionID}) {
		return rarUnknownSession, nil
	}
	if !raa.Result.OK() {
		return rarRejected, raa.Result.Err("RAA")
	}
	reports, err := ruleReports(ans, "RAA")
	if err != nil {
		return rarFailed, err
	}
	n.applyReports(g, reports)
	if bad := inactiveOf(reports, u.Install); len(bad) > 0 {
		return rarRejected, fmt.Errorf("RAA success but rules %v reported inactive", bad)
	}
	return rarOK, nil
}

// inactiveOf names the rules of install that reports say are inactive.
func inactiveOf(reports []ruleReport, install []diameter.ChargingRule) []string {
	var bad []string
	for _, r := range reports {
		if !r.hasStatus || r.status == pccRuleActive {
			continue
		}
		for _, name := range r.names {
			if slices.ContainsFunc(install, func(c diameter.ChargingRule) bool { return c.Name == name }) {
				bad = append(bad, name)
			}
		}
	}
	return bad
}
