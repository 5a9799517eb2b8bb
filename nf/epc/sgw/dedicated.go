package sgw

import (
	"context"
	"slices"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// createBearer relays the PGW's Create Bearer Request (TS 29.274 §7.2.3)
// to the MME with our S1-U F-TEIDs, and the MME's answer back with our
// S5/S8-U F-TEIDs; the bearers the MME accepted are installed.
func (n *NF) createBearer(ctx context.Context, m *message.CreateBearerRequest) message.Message {
	s := n.sessionByS5(ctx, m.TEID())
	if s == nil {
		return message.NewCreateBearerResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	if m.LinkedEBI == nil || len(m.BearerContexts) == 0 {
		return message.NewCreateBearerResponse(s.pgw.TEID, 0, causeMissing(ie.BearerContext, 0))
	}
	var pending []*bearer
	var toMME []*ie.IE
	for _, raw := range m.BearerContexts {
		b, out, bad := n.pendingBearer(s, raw)
		if bad != nil {
			freeAll(pending)
			return message.NewCreateBearerResponse(s.pgw.TEID, 0, bad)
		}
		// Installed before the MME hears of it: the UE may send on the
		// bearer as soon as the eNB has set it up, before the MME's
		// answer gets here (an unknown TEID would make us send the eNB an
		// Error Indication, and it would drop the E-RAB). Downlink waits
		// anyway: the PGW learns our S5-U F-TEID from our answer.
		if err := b.install(); err != nil {
			b.free(false)
			freeAll(pending)
			n.log.Warn("create bearer: install tunnels", "imsi", s.imsi, "err", err)
			return message.NewCreateBearerResponse(s.pgw.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseSystemFailure))
		}
		pending = append(pending, b)
		toMME = append(toMME, out)
	}
	fwd := message.NewCreateBearerRequest(s.mme.TEID, 0, append([]*ie.IE{m.PTI, m.LinkedEBI, m.PCO}, toMME...)...)
	resp, err := n.s11.Request(ctx, n.peerC(s.mme), fwd)
	cb, ok := resp.(*message.CreateBearerResponse)
	if err != nil || !ok {
		freeAll(pending)
		n.log.Warn("create bearer: MME did not answer", "imsi", s.imsi, "err", err)
		return message.NewCreateBearerResponse(s.pgw.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRemotePeerNotResponding))
	}
	var toPGW []*ie.IE
	for _, raw := range cb.BearerContexts {
		if out := n.bearerAnswered(s, raw, &pending); out != nil {
			toPGW = append(toPGW, out)
		}
	}
	freeAll(pending) // those the MME did not name
	return message.NewCreateBearerResponse(s.pgw.TEID, 0, append([]*ie.IE{cb.Cause}, toPGW...)...)
}

// pendingBearer reads one of the PGW's bearer contexts (EBI 0, TFT, QoS,
// the PGW's S5/S8-U F-TEID as instance 1) and allocates our TEIDs.
func (n *NF) pendingBearer(s *session, raw *ie.IE) (*bearer, *ie.IE, *ie.IE) {
	bc, err := gtpv2c.Children(raw)
	if err != nil {
		return nil, nil, causeIncorrect(ie.BearerContext, 0)
	}
	pgwU, bad := ftied(bc.Get(ie.FullyQualifiedTEID, 1), 1)
	if bad != nil {
		return nil, nil, bad
	}
	qos := bc.Get(ie.BearerQoS, 0)
	if qos == nil {
		return nil, nil, causeMissing(ie.BearerQoS, 0)
	}
	tft := bc.Get(ie.BearerTFT, 0)
	if tft == nil {
		return nil, nil, causeMissing(ie.BearerTFT, 0)
	}
	b := n.newBearer(s, 0)
	b.qos, b.tft, b.charge = qos, tft, bc.Get(ie.ChargingID, 0)
	b.pgwU.Store(&tunnelEnd{fteid: pgwU, peer: n.peerU(pgwU)})
	s1u := n.ftid(gtpv2.IFTypeS1USGWGTPU, b.s1uTEID, n.s1uAddr)
	out := ie.NewBearerContext(ie.NewEPSBearerID(0), tft, s1u.IE(0), qos, b.charge, bc.Get(ie.BearerFlags, 0))
	return b, out, nil
}

// bearerAnswered applies one of the MME's bearer contexts to the pending
// bearer whose S1-U SGW F-TEID (instance 1) it names, and builds the
// context for the PGW.
func (n *NF) bearerAnswered(s *session, raw *ie.IE, pending *[]*bearer) *ie.IE {
	bc, err := gtpv2c.Children(raw)
	if err != nil {
		return nil
	}
	ours, err := bc.FTEID(1)
	if err != nil {
		return nil
	}
	i := slices.IndexFunc(*pending, func(b *bearer) bool { return b.s1uTEID == ours.TEID })
	if i < 0 {
		return nil
	}
	b := (*pending)[i]
	*pending = slices.Delete(*pending, i, i+1)
	ebi, errEBI := bc.EBI()
	cause := causeOrSystemFailure(bc.Get(ie.Cause, 0))
	s5u := n.ftid(gtpv2.IFTypeS5S8SGWGTPU, b.s5uTEID, n.s5uAddr)
	reply := func(cause uint8) *ie.IE {
		return ie.NewBearerContext(ie.NewEPSBearerID(ebi), gtpv2c.CauseIE(cause), s5u.IE(2), b.pgwU.Load().fteid.IE(3))
	}
	if !gtpv2c.Accepted(cause) || errEBI != nil || ebi < 5 {
		b.free(true)
		if gtpv2c.Accepted(cause) {
			cause = gtpv2.CauseInvalidReplyFromRemotePeer
		}
		return reply(cause)
	}
	b.ebi = ebi
	if enb, err := bc.FTEID(0); err == nil && !s.idle.Load() {
		b.enb.Store(&tunnelEnd{fteid: enb, peer: n.peerU(enb)})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.bearers[ebi] != nil {
		b.free(true)
		return reply(gtpv2.CauseSystemFailure)
	}
	s.bearers[ebi] = b
	n.stats.dedicatedCreated.Add(1)
	return reply(gtpv2.CauseRequestAccepted)
}

// freeAll frees pending dedicated bearers (their tunnels are installed).
func freeAll(bs []*bearer) {
	for _, b := range bs {
		b.free(true)
	}
}

// deleteBearer relays the PGW's Delete Bearer Request (TS 29.274
// §7.2.9.2) to the MME and frees the bearers named (all of the session's
// when it names the default bearer as Linked EBI).
func (n *NF) deleteBearer(ctx context.Context, m *message.DeleteBearerRequest) message.Message {
	s := n.sessionByS5(ctx, m.TEID())
	if s == nil {
		return message.NewDeleteBearerResponse(0, 0, gtpv2c.CauseIE(gtpv2.CauseContextNotFound))
	}
	var ebis []uint8
	for _, e := range m.EBIs {
		if ebi, err := gtpv2c.EBI(e); err == nil {
			ebis = append(ebis, ebi)
		}
	}
	whole := m.LinkedEBI != nil
	if !whole && len(ebis) == 0 {
		return message.NewDeleteBearerResponse(s.pgw.TEID, 0, causeMissing(ie.EPSBearerID, 1))
	}
	fwd := message.NewDeleteBearerRequest(s.mme.TEID, 0, append([]*ie.IE{m.LinkedEBI, m.PTI, m.PCO, m.Cause}, m.EBIs...)...)
	resp, err := n.s11.Request(ctx, n.peerC(s.mme), fwd)
	if whole {
		if n.removeSession(s) {
			n.stats.deleted.Add(1)
		}
	} else {
		n.freeBearers(s, ebis)
	}
	db, ok := resp.(*message.DeleteBearerResponse)
	if err != nil || !ok || db.Cause == nil {
		n.log.Warn("delete bearer: MME did not answer; deleted here", "imsi", s.imsi, "err", err)
		return message.NewDeleteBearerResponse(s.pgw.TEID, 0, gtpv2c.CauseIE(gtpv2.CauseRequestAccepted))
	}
	return message.NewDeleteBearerResponse(s.pgw.TEID, 0, append([]*ie.IE{db.Cause, db.LinkedEBI}, db.BearerContexts...)...)
}

// freeBearers removes the named bearers of s.
func (n *NF) freeBearers(s *session, ebis []uint8) {
	s.mu.Lock()
	var gone []*bearer
	for _, ebi := range ebis {
		if b := s.bearers[ebi]; b != nil && ebi != s.lbi {
			gone = append(gone, b)
			delete(s.bearers, ebi)
		}
	}
	s.mu.Unlock()
	for _, b := range gone {
		b.free(true)
		n.stats.dedicatedDeleted.Add(1)
	}
}
