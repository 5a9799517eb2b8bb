package pgw

import (
	"context"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// deleteSession serves a Delete Session Request (TS 29.274 §7.2.9): the
// PDN connection named by the header TEID goes, with all its bearers.
func (n *NF) deleteSession(ctx context.Context, m *message.DeleteSessionRequest) message.Message {
	s := n.sessionByTEID(m.TEID())
	if s == nil {
		return message.NewDeleteSessionResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	if m.LinkedEBI != nil {
		if ebi, err := gtpv2c.EBI(m.LinkedEBI); err != nil || ebi != s.lbi {
			return message.NewDeleteSessionResponse(s.sgwC.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseMandatoryIEIncorrect))
		}
	}
	if n.removeSession(s) {
		n.stats.deleted.Add(1)
		gtpv2c.AfterResponse(ctx, func() { n.bg.Go(func() { n.stopPolicy(s) }) })
	}
	n.log.Debug("pdn connection deleted", "imsi", s.policy.IMSI, "apn", s.apn.name(), "teid", s.teid)
	return message.NewDeleteSessionResponse(s.sgwC.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted))
}

// dropSession removes a session without telling the SGW (it replaced it).
func (n *NF) dropSession(s *session) {
	if n.removeSession(s) {
		n.stats.deleted.Add(1)
		n.bg.Go(func() { n.stopPolicy(s) })
	}
}

// stopPolicy ends the session's policy session (Gx CCR-T).
func (n *NF) stopPolicy(s *session) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(n.runCtx), policyTimeout)
	defer cancel()
	if err := n.policy.Stop(ctx, s.policy); err != nil {
		n.stats.policyFailures.Add(1)
		n.log.Warn("policy stop failed", "imsi", s.policy.IMSI, "apn", s.apn.name(), "err", err)
	}
}
