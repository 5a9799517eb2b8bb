package sgw

import (
	"context"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// deleteSession relays a Delete Session Request (TS 29.274 §7.2.9) to the
// PGW and frees the session. The PGW's answer is relayed; if it gives
// none, the session goes anyway and the MME is told it went.
func (n *NF) deleteSession(ctx context.Context, m *message.DeleteSessionRequest) message.Message {
	s := n.sessionByS11(m.TEID())
	if s == nil {
		return message.NewDeleteSessionResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	fwd := message.NewDeleteSessionRequest(s.pgw.TEID, 0, m.Cause, m.LinkedEBI, m.ULI, m.IndicationFlags, m.PCO,
		m.UETimeZone, m.ULITimestamp, m.RANNASReleaseCause, m.EPCO)
	resp, err := n.s5c.Request(ctx, n.peerC(s.pgw), fwd)
	if n.removeSession(s) {
		n.stats.deleted.Add(1)
	}
	if err != nil {
		n.log.Warn("delete session: PGW did not answer; deleted here", "imsi", s.imsi, "err", err)
		return message.NewDeleteSessionResponse(s.mme.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted))
	}
	ds, ok := resp.(*message.DeleteSessionResponse)
	if !ok || ds.Cause == nil {
		return message.NewDeleteSessionResponse(s.mme.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted))
	}
	n.log.Debug("session deleted", "imsi", s.imsi, "s11_teid", s.s11TEID)
	return message.NewDeleteSessionResponse(s.mme.TEID, 0, ds.Cause, ds.PCO, ds.EPCO)
}
