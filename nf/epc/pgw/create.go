package pgw

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/wmnsk/go-gtp/gtpv2"
	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// PDN types (TS 29.274 §8.34).
const (
	pdnIPv4   = 1
	pdnIPv6   = 2
	pdnIPv4v6 = 3
)

// createReq is what the PGW reads from a Create Session Request.
type createReq struct {
	imsi, msisdn, apn string
	sgwC, sgwU        gtpv2c.FTEID
	pdnType, ebi, rat uint8
	qos               QoS
	ambr              AMBR
	pco               *ie.IE
}

// parseCreate reads the request; a non-nil cause IE rejects it (sgwC is
// filled when it could be read, for the response's TEID).
func parseCreate(m *message.CreateSessionRequest) (createReq, *ie.IE) {
	var r createReq
	var bad *ie.IE
	if r.sgwC, bad = ftied(m.SenderFTEIDC, 0); bad != nil {
		return r, bad
	}
	var err error
	if m.IMSI == nil {
		return r, causeMissing(ie.IMSI, 0)
	}
	if r.imsi, err = m.IMSI.IMSI(); err != nil || r.imsi == "" {
		return r, causeIncorrect(ie.IMSI, 0)
	}
	if m.MSISDN != nil {
		r.msisdn, _ = m.MSISDN.MSISDN() // informational only
	}
	if m.APN == nil {
		return r, causeMissing(ie.AccessPointName, 0)
	}
	if r.apn, err = m.APN.AccessPointName(); err != nil || r.apn == "" {
		return r, causeIncorrect(ie.AccessPointName, 0)
	}
	if m.PDNType == nil {
		return r, causeMissing(ie.PDNType, 0)
	}
	if r.pdnType, err = m.PDNType.PDNType(); err != nil {
		return r, causeIncorrect(ie.PDNType, 0)
	}
	if m.RATType != nil {
		r.rat, _ = m.RATType.RATType() // informational only
	}
	if m.AMBR != nil {
		if f, err := m.AMBR.AggregateMaximumBitRate(); err == nil {
			r.ambr = AMBR{UL: f.APNAMBRForUplink, DL: f.APNAMBRForDownlink}
		}
	}
	r.pco = m.PCO
	return r, r.parseBearer(m.BearerContextsToBeCreated)
}

// parseBearer reads the default bearer's context: EBI, QoS and the SGW's
// S5/S8-U F-TEID (instance 2).
func (r *createReq) parseBearer(ctxs []*ie.IE) *ie.IE {
	if len(ctxs) == 0 {
		return causeMissing(ie.BearerContext, 0)
	}
	bc, err := gtpv2c.Children(ctxs[0])
	if err != nil {
		return causeIncorrect(ie.BearerContext, 0)
	}
	if r.ebi, err = bc.EBI(); err != nil || r.ebi < 5 {
		return causeIncorrect(ie.EPSBearerID, 0)
	}
	q := bc.Get(ie.BearerQoS, 0)
	if q == nil {
		return causeMissing(ie.BearerQoS, 0)
	}
	if r.qos, err = parseQoS(q); err != nil {
		return causeIncorrect(ie.BearerQoS, 0)
	}
	var bad *ie.IE
	r.sgwU, bad = ftied(bc.Get(ie.FullyQualifiedTEID, 2), 2)
	return bad
}

// createSession serves a Create Session Request (TS 29.274 §7.2.1).
func (n *NF) createSession(ctx context.Context, peer netip.AddrPort, m *message.CreateSessionRequest) message.Message {
	r, bad := parseCreate(m)
	if bad != nil {
		return n.rejectCreate(r.sgwC.TEID, bad, "malformed request", peer)
	}
	reject := func(cause uint8, why string) message.Message {
		return n.rejectCreate(r.sgwC.TEID, gtpv2c.CauseIE(cause), why, peer)
	}
	if n.draining.Load() {
		return reject(gtpv2.CauseNoResourcesAvailable, "draining")
	}
	a := n.apnByName(r.apn)
	if a == nil {
		return reject(gtpv2.CauseMissingOrUnknownAPN, "unknown APN "+r.apn)
	}
	if r.pdnType != pdnIPv4 && r.pdnType != pdnIPv4v6 {
		return reject(gtpv2.CausePreferredPDNTypeNotSupported, fmt.Sprintf("PDN type %d", r.pdnType))
	}
	ue, ok := a.pool.alloc()
	if !ok {
		return reject(gtpv2.CauseAllDynamicAddressesAreOccupied, "pool of APN "+a.name()+" exhausted")
	}
	s := n.newSession(a, ue, r)
	dec, err := n.policy.Start(ctx, s.policy)
	if err != nil {
		n.stats.policyFailures.Add(1)
		n.log.Warn("policy refused the PDN connection", "imsi", r.imsi, "apn", a.name(), "err", err)
		n.cTEIDs.Free(s.teid)
		a.pool.release(ue)
		return reject(gtpv2.CauseUENotAuthorisedByOCSOrExternalAAAServer, "policy: "+err.Error())
	}
	s.ambr = dec.AMBR
	def := n.newBearer(s, r.ebi, r.sgwU, dec.DefaultQoS, "", nil)
	if err := n.gtpu.AddTunnel(def.teid, uplinkTunnel{n: n, b: def}); err != nil {
		n.uTEIDs.Free(def.teid)
		n.cTEIDs.Free(s.teid)
		a.pool.release(ue)
		return reject(gtpv2.CauseSystemFailure, err.Error())
	}
	n.stats.bearers.Add(1)
	s.bearers[r.ebi] = def
	s.publishRoute()
	if old := n.sessionByIMSIAPN(r.imsi, a.name()); old != nil {
		n.log.Info("UE opened the PDN connection again; old one dropped", "imsi", r.imsi, "apn", a.name())
		n.dropSession(old)
	}
	n.addSession(s)
	n.stats.created.Add(1)
	n.log.Debug("pdn connection created", "imsi", r.imsi, "apn", a.name(), "ue", ue, "teid", s.teid)
	if len(dec.Rules) > 0 {
		gtpv2c.AfterResponse(ctx, func() { n.bg.Go(func() { n.installRules(s, dec.Rules) }) })
	}
	return n.createResponse(s, def, r)
}

func (n *NF) newSession(a *apn, ue netip.Addr, r createReq) *session {
	teid := n.cTEIDs.Alloc()
	return &session{n: n, teid: teid, apn: a, ue: ue, sgwC: r.sgwC, lbi: r.ebi,
		bearers: map[uint8]*bearer{}, rules: map[string]*bearer{},
		policy: PolicySession{ID: fmt.Sprintf("%s;%d;%d", n.cfg.Gx.OriginHost, time.Now().Unix(), teid),
			IMSI: r.imsi, MSISDN: r.msisdn, APN: a.name(), UE: ue, RATType: r.rat,
			Requested: r.qos, RequestedA: r.ambr}}
}

func (n *NF) newBearer(s *session, ebi uint8, sgwU gtpv2c.FTEID, q QoS, rule string, pfs []packetFilter) *bearer {
	return &bearer{sess: s, ebi: ebi, teid: n.uTEIDs.Alloc(), sgwU: sgwU, peer: n.peerU(sgwU), qos: q,
		chargingID: n.chargeID.Add(1), rule: rule, filters: pfs}
}

func (n *NF) rejectCreate(sgwTEID uint32, cause *ie.IE, why string, peer netip.AddrPort) message.Message {
	c, _ := gtpv2c.CauseOf(cause)
	n.stats.rejected[c].Add(1)
	n.log.Info("create session refused", "from", peer, "cause", c, "why", why)
	return message.NewCreateSessionResponse(sgwTEID, 0, cause)
}

// createResponse accepts the PDN connection: cause 16, or 18 when an
// IPv4v6 request gets IPv4 only.
func (n *NF) createResponse(s *session, def *bearer, r createReq) message.Message {
	cause := uint8(gtpv2.CauseRequestAccepted)
	if r.pdnType == pdnIPv4v6 {
		cause = gtpv2.CauseNewPDNTypeDueToNetworkPreference
	}
	pgwC := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPC, TEID: s.teid, Addr: n.cAddr}
	pgwU := gtpv2c.FTEID{Interface: gtpv2.IFTypeS5S8PGWGTPU, TEID: def.teid, Addr: n.uAddr}
	return message.NewCreateSessionResponse(r.sgwC.TEID, 0,
		gtpv2c.CauseIE(cause),
		pgwC.IE(1),
		ie.NewPDNAddressAllocation(s.ue.String()),
		ie.NewAPNRestriction(0),
		s.ambr.IE(),
		answerPCO(r.pco, s.apn.spec),
		ie.NewBearerContext(ie.NewEPSBearerID(def.ebi), gtpv2c.CauseIE(gtpv2.CauseRequestAccepted),
			pgwU.IE(2), def.qos.IE(), ie.NewChargingID(def.chargingID)),
	)
}
