package upf

import (
	"context"
	"time"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// reportTimeout bounds one Session Report Request with its retransmissions.
const reportTimeout = 15 * time.Second

// bufferedPacket is a downlink packet held for an idle UE, at
// buf[dlHeadroom:] so it can be encapsulated in place later.
type bufferedPacket struct {
	pdr uint16
	dir direction
	buf []byte
}

// buffer holds a packet (downlink, in practice) while the session's FAR
// buffers, and tells the SMF (Downlink Data Report) once per buffering
// period.
func (l *lane) buffer(s *session, rs *ruleSet, pdr *pdrRule, dir direction, buf []byte, off int) {
	n := l.n
	s.mu.Lock()
	if cur := s.rules.Load(); cur != rs {
		// A modification (and its flush) ran since we matched: decide again
		// with the current rules so the packet neither overtakes the
		// flushed ones nor stays behind in a buffer nobody flushes.
		s.mu.Unlock()
		if p := cur.byID[pdr.id]; p != nil {
			l.process(s, cur, p, dir, buf, off)
		} else {
			l.st.drop(dropNoPDR)
		}
		return
	}
	defer s.mu.Unlock()
	if len(s.buf) < n.cfg.Buffer.MaxPacketsPerSession {
		held := make([]byte, dlHeadroom+len(buf)-off)
		copy(held[dlHeadroom:], buf[off:])
		s.buf = append(s.buf, bufferedPacket{pdr: pdr.id, dir: dir, buf: held})
		n.stats.buffered.Add(1)
	} else {
		l.st.drop(dropBufferFull)
	}
	if !pdr.far.notify {
		return
	}
	now := n.now()
	if !s.reportedAt.IsZero() && now.Sub(s.reportedAt) < n.cfg.Buffer.ReportInterval {
		return
	}
	s.reportedAt = now
	n.reportDownlinkData(s.seid, pdr.id)
}

// flush sends the buffered packets whose PDR now forwards, in order, keeps
// those still buffered and discards the rest. Call with s.mu held, before
// rs is published, so no new packet can overtake them: they go out at
// once on the control lane, before any worker can match a packet with rs.
func (s *session) flush(rs *ruleSet) {
	if len(s.buf) == 0 {
		return
	}
	n := s.n
	kept := s.buf[:0]
	for _, p := range s.buf {
		pdr := rs.byID[p.pdr]
		switch {
		case pdr != nil && pdr.far.action == actForward:
			n.stats.buffered.Add(-1)
			n.control.forward(pdr, p.dir, p.buf, dlHeadroom)
		case pdr != nil && pdr.far.action == actBuffer:
			kept = append(kept, p)
		default:
			n.stats.buffered.Add(-1)
			n.control.st.drop(dropBufferDiscarded)
		}
	}
	clear(s.buf[len(kept):])
	s.buf = kept
	if len(kept) == 0 {
		s.reportedAt = time.Time{} // the next buffering is a new period
	}
}

// discardBuffer drops whatever is buffered. Call with s.mu held.
func (s *session) discardBuffer() {
	for range s.buf {
		s.n.stats.buffered.Add(-1)
		s.n.control.st.drop(dropBufferDiscarded)
	}
	s.buf = nil
}

// reportDownlinkData sends a Session Report Request naming the PDR whose
// packets are buffered, without holding up the data path.
func (n *NF) reportDownlinkData(seid uint64, pdrID uint16) {
	report := &pfcp.SessionReport{Type: pfcp.ReportDownlinkData,
		DownlinkData: &pfcp.DownlinkDataReport{PDRIDs: []uint16{pdrID}}}
	n.reports.Go(func() {
		ctx, cancel := context.WithTimeout(n.runCtx, reportTimeout)
		defer cancel()
		if err := n.node.SendSessionReport(ctx, seid, report); err != nil {
			n.stats.reportsFailed.Add(1)
			n.log.Warn("downlink data report failed", "seid", seid, "pdr", pdrID, "err", err)
			return
		}
		n.stats.reportsOK.Add(1)
		n.log.Debug("downlink data reported", "seid", seid, "pdr", pdrID)
	})
}
