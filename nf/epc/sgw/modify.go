package sgw

import (
	"context"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// ddnTimeout bounds one Downlink Data Notification with its
// retransmissions (T3*(N3+1) of the default timers, and some).
const ddnTimeout = 15 * time.Second

// modifyBearer serves a Modify Bearer Request (TS 29.274 §7.2.7): each
// bearer context names the eNB's S1-U F-TEID; downlink goes there from
// now on, buffered packets first.
func (n *NF) modifyBearer(m *message.ModifyBearerRequest) message.Message {
	s := n.sessionByS11(m.TEID())
	if s == nil {
		return message.NewModifyBearerResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	var modified []*ie.IE
	ok := 0
	for _, raw := range m.BearerContextsToBeModified {
		bc, cause := n.modifyOne(s, raw)
		if bc == nil {
			continue
		}
		modified = append(modified, bc)
		if cause == gtpv2.CauseRequestAccepted {
			ok++
		}
	}
	cause := uint8(gtpv2.CauseRequestAccepted)
	switch {
	case len(modified) > 0 && ok == 0:
		cause = gtpv2.CauseContextNotFound
	case ok < len(modified):
		cause = gtpv2.CauseRequestAcceptedPartially
	}
	if ok > 0 {
		s.idle.Store(false)
		s.ddnOut.Store(false)
	}
	return message.NewModifyBearerResponse(s.mme.TEID, 0, append([]*ie.IE{gtpv2c.CauseIE(cause),
		ie.NewEPSBearerID(s.lbi)}, modified...)...)
}

// modifyOne applies one bearer context; nil if it has no readable EBI.
func (n *NF) modifyOne(s *session, raw *ie.IE) (*ie.IE, uint8) {
	bc, err := gtpv2c.Children(raw)
	if err != nil {
		return nil, 0
	}
	ebi, err := bc.EBI()
	if err != nil {
		return nil, 0
	}
	reply := func(cause uint8, extra ...*ie.IE) (*ie.IE, uint8) {
		return ie.NewBearerContext(append([]*ie.IE{ie.NewEPSBearerID(ebi), gtpv2c.CauseIE(cause)}, extra...)...), cause
	}
	s.mu.Lock()
	b := s.bearers[ebi]
	s.mu.Unlock()
	if b == nil {
		return reply(gtpv2.CauseContextNotFound)
	}
	enb, err := bc.FTEID(0)
	if err != nil {
		return reply(gtpv2.CauseMandatoryIEMissing)
	}
	b.setENB(&tunnelEnd{fteid: enb, peer: n.peerU(enb)})
	return reply(gtpv2.CauseRequestAccepted, n.ftid(gtpv2.IFTypeS1USGWGTPU, b.s1uTEID, n.s1uAddr).IE(0))
}

// releaseAccessBearers serves a Release Access Bearers Request (TS
// 29.274 §7.2.21): the UE went idle; the eNB F-TEIDs go and downlink is
// buffered, the first packet triggering a Downlink Data Notification.
func (n *NF) releaseAccessBearers(m *message.ReleaseAccessBearersRequest) message.Message {
	s := n.sessionByS11(m.TEID())
	if s == nil {
		return message.NewReleaseAccessBearersResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	s.idle.Store(true)
	s.ddnOut.Store(false)
	s.mu.Lock()
	for _, b := range s.bearers {
		b.setENB(nil)
	}
	s.mu.Unlock()
	return message.NewReleaseAccessBearersResponse(s.mme.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted))
}

// notifyDownlinkData sends a Downlink Data Notification (TS 29.274
// §7.2.11) naming the bearer whose packet came first. If the MME refuses
// or does not answer, the session's buffers are dropped and the next
// packet notifies again.
func (n *NF) notifyDownlinkData(s *session, b *bearer) {
	n.bg.Go(func() {
		ctx, cancel := context.WithTimeout(n.runCtx, ddnTimeout)
		defer cancel()
		req := message.NewDownlinkDataNotification(s.mme.TEID, 0, ie.NewEPSBearerID(b.ebi), arpIE(b.qos))
		resp, err := n.s11.Request(ctx, n.peerC(s.mme), req)
		cause := uint8(gtpv2.CauseRemotePeerNotResponding)
		if err == nil {
			if ack, ok := resp.(*message.DownlinkDataNotificationAcknowledge); ok {
				cause = causeOrSystemFailure(ack.Cause)
			}
		}
		if gtpv2c.Accepted(cause) {
			n.stats.ddn[ddnAcked].Add(1)
			return
		}
		n.stats.ddn[ddnFailed].Add(1)
		n.log.Info("downlink data notification not accepted; buffer dropped", "imsi", s.imsi, "cause", cause, "err", err)
		s.mu.Lock()
		for _, x := range s.bearers {
			x.discard()
		}
		s.mu.Unlock()
		s.ddnOut.Store(false)
	})
	n.stats.ddn[ddnSent].Add(1)
}

// arpIE is the ARP of a Bearer QoS IE (its first octet), or nil.
func arpIE(qos *ie.IE) *ie.IE {
	if qos == nil || len(qos.Payload) == 0 {
		return nil
	}
	return ie.New(ie.AllocationRetensionPriority, 0, []byte{qos.Payload[0] & 0x7f})
}
