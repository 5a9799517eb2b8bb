package amf

import (
	"slices"

	"github.com/corebox/corebox/nf/proto/n2"
)

// ngSetup answers an NG Setup Request: success when the gNB broadcasts at
// least one of our TAIs in a PLMN we serve, NG Setup Failure (unknown
// PLMN) otherwise.
func (g *gnb) ngSetup(m *n2.NGSetupRequest) {
	n := g.n
	if !n.servesAnyTA(m.SupportedTAs) {
		g.log.Warn("NG Setup refused: no supported TA is served here", "gnb_id", m.GlobalGNBID.ID, "name", m.RANNodeName)
		if err := g.send(&n2.NGSetupFailure{Cause: n2.CauseUnknownPLMN, TimeToWait: 10}, false); err != nil {
			g.log.Warn("send NG Setup Failure", "err", err)
		}
		return
	}
	g.mu.Lock()
	g.id, g.name, g.tas = m.GlobalGNBID, m.RANNodeName, m.SupportedTAs
	g.mu.Unlock()
	resp := &n2.NGSetupResponse{AMFName: n.cfg.Name, ServedGUAMIs: []n2.GUAMI{n.guami},
		RelativeCapacity: n.cfg.RelativeCapacity, PLMNSupport: n.support}
	if err := g.send(resp, false); err != nil {
		g.log.Warn("send NG Setup Response", "err", err)
		return
	}
	if !g.setup.Swap(true) {
		n.stats.gnbs.Add(1)
	}
	g.log.Info("NG Setup done", "gnb_id", m.GlobalGNBID.ID, "name", m.RANNodeName, "tas", len(m.SupportedTAs))
}

// servesAnyTA reports whether one of the TAs is ours in a served PLMN.
func (n *NF) servesAnyTA(tas []n2.SupportedTA) bool {
	for _, ta := range tas {
		for _, bp := range ta.PLMNs {
			if n.servesTAI(n2.TAI{PLMN: bp.PLMN, TAC: ta.TAC}) {
				return true
			}
		}
	}
	return false
}

func (n *NF) servesTAI(t n2.TAI) bool {
	if !slices.Contains(n.tais, t) {
		return false
	}
	return slices.ContainsFunc(n.support, func(p n2.PLMNSupport) bool { return p.PLMN == t.PLMN })
}

// broadcasts reports whether the gNB announced any of the TAIs (paging).
func (g *gnb) broadcasts(tais []n2.TAI) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ta := range g.tas {
		for _, bp := range ta.PLMNs {
			if slices.Contains(tais, n2.TAI{PLMN: bp.PLMN, TAC: ta.TAC}) {
				return true
			}
		}
	}
	return false
}
