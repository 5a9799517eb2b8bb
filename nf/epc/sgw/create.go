package sgw

import (
	"context"
	"net/netip"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// createSession relays a Create Session Request (TS 29.274 §7.2.1) from
// the MME to the PGW with our own S5/S8 F-TEIDs, and the PGW's answer
// back with our S11 and S1-U F-TEIDs.
func (n *NF) createSession(ctx context.Context, peer netip.AddrPort, m *message.CreateSessionRequest) message.Message {
	mme, bad := ftied(m.SenderFTEIDC, 0)
	if bad != nil {
		return n.rejectCreate(0, bad, peer)
	}
	reject := func(cause *ie.IE) message.Message { return n.rejectCreate(mme.TEID, cause, peer) }
	if n.draining.Load() {
		return reject(gtpv2c.CauseIE(gtpv2.CauseNoResourcesAvailable))
	}
	pgwC, bad := ftied(m.PGWS5S8FTEIDC, 1)
	if bad != nil {
		return reject(bad)
	}
	if m.IMSI == nil {
		return reject(causeMissing(ie.IMSI, 0))
	}
	imsi, err := m.IMSI.IMSI()
	if err != nil {
		return reject(causeIncorrect(ie.IMSI, 0))
	}
	s := &session{s11TEID: n.cTEIDs.Alloc(), s5TEID: n.cTEIDs.Alloc(), imsi: imsi, mme: mme, bearers: map[uint8]*bearer{}}
	// The PGW's requests on s5TEID wait until our response to the MME is
	// out (or the session failed); see beginCreate.
	gtpv2c.AfterHandled(ctx, n.beginCreate(s.s5TEID))
	if m.LinkedEBI != nil {
		s.lbi, _ = gtpv2c.EBI(m.LinkedEBI)
	}
	ctxs, bad := n.bearersToCreate(s, m.BearerContextsToBeCreated)
	if bad != nil {
		n.freeUnanswered(s)
		return reject(bad)
	}
	if s.lbi == 0 {
		s.lbi = firstEBI(s)
	}
	resp, err := n.s5c.Request(ctx, n.peerC(pgwC), n.forwardCreate(m, s, pgwC, ctxs))
	if err != nil {
		n.freeUnanswered(s)
		n.log.Warn("create session: PGW did not answer", "imsi", imsi, "pgw", pgwC.Addr, "err", err)
		return reject(gtpv2c.CauseIE(gtpv2.CauseRemotePeerNotResponding))
	}
	csr, ok := resp.(*message.CreateSessionResponse)
	if !ok {
		n.freeUnanswered(s)
		return reject(gtpv2c.CauseIE(gtpv2.CauseInvalidReplyFromRemotePeer))
	}
	if !gtpv2c.Accepted(causeOrSystemFailure(csr.Cause)) {
		n.freeUnanswered(s)
		n.stats.createRejected.Add(1)
		return message.NewCreateSessionResponse(mme.TEID, 0, csr.Cause)
	}
	return n.acceptCreate(s, csr)
}

// bearersToCreate allocates our TEIDs for each bearer context the MME
// asks for and builds the contexts toward the PGW.
func (n *NF) bearersToCreate(s *session, in []*ie.IE) ([]*ie.IE, *ie.IE) {
	if len(in) == 0 {
		return nil, causeMissing(ie.BearerContext, 0)
	}
	out := make([]*ie.IE, 0, len(in))
	for _, raw := range in {
		bc, err := gtpv2c.Children(raw)
		if err != nil {
			return nil, causeIncorrect(ie.BearerContext, 0)
		}
		ebi, err := bc.EBI()
		if err != nil || ebi < 5 || s.bearers[ebi] != nil {
			return nil, causeIncorrect(ie.EPSBearerID, 0)
		}
		qos := bc.Get(ie.BearerQoS, 0)
		if qos == nil {
			return nil, causeMissing(ie.BearerQoS, 0)
		}
		b := n.newBearer(s, ebi)
		b.qos, b.tft = qos, bc.Get(ie.BearerTFT, 0)
		s.bearers[ebi] = b
		s5u := n.ftid(gtpv2.IFTypeS5S8SGWGTPU, b.s5uTEID, n.s5uAddr)
		out = append(out, ie.NewBearerContext(ie.NewEPSBearerID(ebi), b.tft, s5u.IE(2), qos))
	}
	return out, nil
}

// forwardCreate is the MME's request as the PGW gets it: our S5/S8-C
// F-TEID as sender, our S5/S8-U F-TEIDs in the bearer contexts, the
// session-level IEs the PGW uses carried over.
func (n *NF) forwardCreate(m *message.CreateSessionRequest, s *session, pgwC gtpv2c.FTEID, ctxs []*ie.IE) message.Message {
	sender := n.ftid(gtpv2.IFTypeS5S8SGWGTPC, s.s5TEID, n.s5cAddr)
	ies := []*ie.IE{m.IMSI, m.MSISDN, m.MEI, m.ULI, m.ServingNetwork, m.RATType, m.IndicationFlags,
		sender.IE(0), m.APN, m.SelectionMode, m.PDNType, m.PAA, m.APNRestriction, m.AMBR, m.LinkedEBI,
		m.PCO, m.UETimeZone, m.ChargingCharacteristics, m.APCO, m.EPCO}
	return message.NewCreateSessionRequest(pgwC.TEID, 0, append(ies, ctxs...)...)
}

// acceptCreate records the PGW's F-TEIDs, installs the tunnels and
// answers the MME.
func (n *NF) acceptCreate(s *session, csr *message.CreateSessionResponse) message.Message {
	pgwIE := csr.PGWS5S8FTEIDC
	if pgwIE == nil {
		pgwIE = csr.SenderFTEIDC
	}
	pgw, bad := ftied(pgwIE, 1)
	if bad != nil {
		n.freeUnanswered(s)
		return message.NewCreateSessionResponse(s.mme.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseInvalidReplyFromRemotePeer))
	}
	s.pgw = pgw
	var created []*ie.IE
	for _, raw := range csr.BearerContextsCreated {
		if bc := n.bearerCreated(s, raw); bc != nil {
			created = append(created, bc)
		}
	}
	for ebi, b := range s.bearers {
		if b.pgwU.Load() == nil { // the PGW left it out: it does not exist
			b.free(false)
			delete(s.bearers, ebi)
		}
	}
	if len(s.bearers) == 0 {
		n.freeUnanswered(s)
		return message.NewCreateSessionResponse(s.mme.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseInvalidReplyFromRemotePeer))
	}
	n.installAll(s)
	n.addSession(s)
	n.stats.created.Add(1)
	sender := n.ftid(gtpv2.IFTypeS11S4SGWGTPC, s.s11TEID, n.s11Addr)
	ies := []*ie.IE{csr.Cause, sender.IE(0), pgw.IE(1), csr.PAA, csr.APNRestriction, csr.AMBR,
		csr.EBI, csr.PCO, csr.Recovery}
	n.log.Debug("session created", "imsi", s.imsi, "s11_teid", s.s11TEID, "bearers", len(s.bearers))
	return message.NewCreateSessionResponse(s.mme.TEID, 0, append(ies, created...)...)
}

// bearerCreated takes one of the PGW's bearer contexts and returns the
// one for the MME (nil if it names no bearer of ours).
func (n *NF) bearerCreated(s *session, raw *ie.IE) *ie.IE {
	bc, err := gtpv2c.Children(raw)
	if err != nil {
		return nil
	}
	ebi, err := bc.EBI()
	b := s.bearers[ebi]
	if err != nil || b == nil {
		return nil
	}
	cause := bc.Get(ie.Cause, 0)
	if c, err := gtpv2c.CauseOf(cause); err != nil || !gtpv2c.Accepted(c) {
		return nil
	}
	pgwU, err := bc.FTEID(2)
	if err != nil {
		return nil
	}
	b.pgwU.Store(&tunnelEnd{fteid: pgwU, peer: n.peerU(pgwU)})
	if q := bc.Get(ie.BearerQoS, 0); q != nil {
		b.qos = q
	}
	b.charge = bc.Get(ie.ChargingID, 0)
	s1u := n.ftid(gtpv2.IFTypeS1USGWGTPU, b.s1uTEID, n.s1uAddr)
	return ie.NewBearerContext(ie.NewEPSBearerID(ebi), cause, s1u.IE(0), pgwU.IE(2), b.qos, b.charge)
}

// installAll adds the tunnels of every bearer of a new session.
func (n *NF) installAll(s *session) {
	for ebi, b := range s.bearers {
		if err := b.install(); err != nil {
			n.log.Error("bearer tunnels not installed", "imsi", s.imsi, "ebi", ebi, "err", err)
			b.free(false)
			delete(s.bearers, ebi)
		}
	}
}

// freeUnanswered frees a session that never got installed.
func (n *NF) freeUnanswered(s *session) {
	for _, b := range s.bearers {
		b.free(false)
	}
	n.cTEIDs.Free(s.s11TEID)
	n.cTEIDs.Free(s.s5TEID)
}

func (n *NF) rejectCreate(mmeTEID uint32, cause *ie.IE, peer netip.AddrPort) message.Message {
	c, _ := gtpv2c.CauseOf(cause)
	n.stats.createRejected.Add(1)
	n.log.Info("create session refused", "from", peer, "cause", c)
	return message.NewCreateSessionResponse(mmeTEID, 0, cause)
}

func firstEBI(s *session) uint8 {
	first := uint8(0)
	for ebi := range s.bearers {
		if first == 0 || ebi < first {
			first = ebi
		}
	}
	return first
}
