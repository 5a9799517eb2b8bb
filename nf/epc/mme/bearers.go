package mme

import (
	"maps"
	"slices"

	"github.com/wmnsk/go-gtp/gtpv2"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// EPS bearer identities a UE's bearers take (TS 24.007 11.2.3.1.5).
const (
	minEBI = 5
	maxEBI = 15
)

// addPDN records a PDN connection the SGW created.
func (u *ue) addPDN(p *pdn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pdns[p.ebi] = p
	u.m.stats.pdns.Add(1)
}

// bearerLocked finds a bearer by EBI, and its PDN connection.
func (u *ue) bearerLocked(ebi uint8) (*pdn, *bearer) {
	for _, p := range u.pdns {
		if b := p.bearers[ebi]; b != nil {
			return p, b
		}
	}
	return nil, nil
}

// freeEBILocked is the lowest EPS bearer identity not in use, 0 if none.
func (u *ue) freeEBILocked() uint8 {
	for ebi := uint8(minEBI); ebi <= maxEBI; ebi++ {
		if _, b := u.bearerLocked(ebi); b == nil {
			return ebi
		}
	}
	return 0
}

// pdnsLocked are the PDN connections in EBI order.
func (u *ue) pdnsLocked() []*pdn {
	var out []*pdn
	for ebi := uint8(minEBI); ebi <= maxEBI; ebi++ {
		if p := u.pdns[ebi]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// bearersOf are p's bearers in EBI order.
func bearersOf(p *pdn) []*bearer {
	var out []*bearer
	for ebi := uint8(minEBI); ebi <= maxEBI; ebi++ {
		if b := p.bearers[ebi]; b != nil {
			out = append(out, b)
		}
	}
	return out
}

// tunnelOf is an F-TEID as an S1AP GTP tunnel.
func tunnelOf(f gtpv2c.FTEID) s1ap.GTPTunnel { return s1ap.GTPTunnel{Addr: f.Addr, TEID: f.TEID} }

// enbFTEID is the eNB's S1-U endpoint of an E-RAB.
func enbFTEID(t s1ap.GTPTunnel) gtpv2c.FTEID {
	return gtpv2c.FTEID{Interface: gtpv2.IFTypeS1UeNodeBGTPU, TEID: t.TEID, Addr: t.Addr.Unmap()}
}

// initialContextSetupLocked sends Initial Context Setup Request with every
// bearer of the UE as an E-RAB (nas: the NAS PDU to carry in an E-RAB, by
// EBI), KeNB from the uplink NAS COUNT of kenbCount.
func (u *ue) initialContextSetupLocked(nas map[uint8][]byte) error {
	c := u.conn
	if c == nil {
		return errNoConnection
	}
	kenb, err := aka.DeriveKeNB(u.kasme, u.kenbCount)
	if err != nil {
		return err
	}
	var erabs []s1ap.ERABToSetup
	for _, p := range u.pdnsLocked() {
		for _, b := range bearersOf(p) {
			erabs = append(erabs, s1ap.ERABToSetup{ID: b.ebi, QoS: b.qos, Tunnel: tunnelOf(b.sgwU), NASPDU: nas[b.ebi]})
		}
	}
	ambr := s1ap.AMBR{UL: u.m.cfg.DefaultUEAMBR.Uplink, DL: u.m.cfg.DefaultUEAMBR.Downlink}
	if u.sub != nil {
		ambr = u.sub.ueAMBR
	}
	ics := &s1ap.InitialContextSetupRequest{UEIDs: c.ids(), UEAMBR: ambr, ERABs: erabs,
		SecurityCapabilities: securityCapabilities(u.netCap), SecurityKey: kenb}
	return c.e.send(ics, true)
}

// onICSResponse notes the UE context is up in the eNB with the E-RABs'
// downlink tunnels, and hands them to the SGW.
func (u *ue) onICSResponse(c *enbUE, resp *s1ap.InitialContextSetupResponse) {
	u.mu.Lock()
	if u.conn != c {
		u.mu.Unlock()
		return
	}
	c.ctxSetup = true
	u.erabsUpLocked(resp.ERABs, resp.Failed)
	u.mu.Unlock()
	u.syncBearers()
	u.runAfterConnect()
}

// erabsUpLocked records E-RABs the eNB set up; bearers it failed to set
// up and that were being activated fail.
func (u *ue) erabsUpLocked(up []s1ap.ERABSetupItem, failed []s1ap.ERABItem) {
	for _, it := range up {
		if _, b := u.bearerLocked(it.ID); b != nil {
			b.enbU, b.synced = enbFTEID(it.Tunnel), false
		}
	}
	for _, it := range failed {
		u.loggerLocked().Info("eNB failed to set up an E-RAB", "ebi", it.ID, "cause", it.Cause)
		if p, b := u.bearerLocked(it.ID); b != nil && b.activation != nil {
			b.activation <- false
			b.activation = nil
			delete(p.bearers, b.ebi)
		}
	}
}

// onICSFailure: the UE context could not be set up; an attach fails, an
// attached UE goes back to ECM-IDLE.
func (u *ue) onICSFailure(c *enbUE, f *s1ap.InitialContextSetupFailure) {
	u.logger().Info("Initial Context Setup failed", "cause", f.Cause)
	u.mu.Lock()
	attaching := u.attach != nil && u.conn == c
	u.mu.Unlock()
	if attaching {
		u.failAttach(attachFailed, s1ap.CauseNASUnspecified)
		return
	}
	u.goIdle(c, s1ap.CauseUnspecified, true)
}

// pendingMBR is a Modify Bearer Request to send for one PDN connection.
type pendingMBR struct {
	sgwTEID uint32
	bearers []bearer
}

// syncBearers tells the SGW the eNB tunnels of bearers that are up and
// accepted by the UE: Modify Bearer Request per PDN connection, or, for
// a bearer the SGW asked for, the answer to its Create Bearer Request.
func (u *ue) syncBearers() {
	u.mu.Lock()
	sgw := u.sgw
	var mods []pendingMBR
	for _, p := range u.pdnsLocked() {
		var bs []bearer
		for _, b := range bearersOf(p) {
			if !b.enbU.IsValid() || !b.accepted || b.synced {
				continue
			}
			if b.activation != nil {
				b.activation <- true
				b.activation, b.synced = nil, true
				continue
			}
			bs = append(bs, *b)
		}
		if len(bs) > 0 {
			mods = append(mods, pendingMBR{sgwTEID: p.sgwTEID, bearers: bs})
		}
	}
	u.mu.Unlock()
	for _, mb := range mods {
		if err := u.modifyBearers(u.m.ctx(), sgw, mb.sgwTEID, mb.bearers); err != nil {
			u.logger().Warn("modify bearer failed", "err", err)
			continue
		}
		u.markSynced(mb.bearers)
	}
}

// markSynced records that the SGW has these bearers' eNB tunnels.
func (u *ue) markSynced(sent []bearer) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range sent {
		if _, b := u.bearerLocked(s.ebi); b != nil && b.enbU == s.enbU {
			b.synced = true
		}
	}
}

// onBearerAccepted: the UE accepted a bearer's activation.
func (u *ue) onBearerAccepted(ebi uint8) {
	u.mu.Lock()
	_, b := u.bearerLocked(ebi)
	if b != nil {
		b.accepted = true
	}
	u.mu.Unlock()
	if b == nil {
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.syncBearers()
}

// onBearerRejected: the UE refused a bearer; it goes, with its E-RAB,
// and a default bearer takes its PDN connection along.
func (u *ue) onBearerRejected(ebi uint8, cause naseps.ESMCause) {
	u.logger().Info("UE rejected a bearer", "ebi", ebi, "cause", cause)
	u.mu.Lock()
	p, b := u.bearerLocked(ebi)
	if b == nil {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	if b.activation != nil {
		b.activation <- false
		b.activation = nil
	}
	released := []uint8{ebi}
	if ebi == p.ebi {
		released = slices.Sorted(maps.Keys(p.bearers))
		delete(u.pdns, p.ebi)
		u.m.stats.pdns.Add(-1)
	} else {
		delete(p.bearers, ebi)
	}
	sgw := u.sgw
	u.releaseERABsLocked(released, nil)
	u.mu.Unlock()
	if ebi == p.ebi {
		if err := u.deleteSession(u.m.ctx(), sgw, p); err != nil {
			u.logger().Info("delete session", "apn", p.apn, "err", err)
		}
	}
}

// onDeactivateAccepted: the UE accepted a bearer's deactivation.
func (u *ue) onDeactivateAccepted(ebi uint8) {
	u.mu.Lock()
	defer u.mu.Unlock()
	ch := u.closing[ebi]
	if ch == nil {
		u.m.m.nasDiscarded.Inc()
		return
	}
	delete(u.closing, ebi)
	close(ch)
}

// releaseERABsLocked sends E-RAB Release Command for ebis, with a NAS PDU
// when given; nothing when the UE is ECM-IDLE.
func (u *ue) releaseERABsLocked(ebis []uint8, nasPDU []byte) {
	c := u.conn
	if c == nil || !c.ctxSetup || len(ebis) == 0 {
		return
	}
	cmd := &s1ap.ERABReleaseCommand{UEIDs: c.ids(), NASPDU: nasPDU}
	for _, ebi := range ebis {
		cmd.ERABs = append(cmd.ERABs, s1ap.ERABItem{ID: ebi, Cause: s1ap.CauseNormalRelease})
	}
	if err := c.e.send(cmd, true); err != nil {
		u.loggerLocked().Warn("send E-RAB Release Command", "err", err)
	}
}

// onERABSetupResponse records the eNB tunnels of E-RABs set up.
func (u *ue) onERABSetupResponse(c *enbUE, resp *s1ap.ERABSetupResponse) {
	u.mu.Lock()
	if u.conn != c {
		u.mu.Unlock()
		return
	}
	u.erabsUpLocked(resp.ERABs, resp.Failed)
	u.mu.Unlock()
	u.syncBearers()
}

// onERABReleaseResponse: the eNB released E-RABs (logged).
func (u *ue) onERABReleaseResponse(_ *enbUE, resp *s1ap.ERABReleaseResponse) {
	if len(resp.Failed) > 0 {
		u.logger().Info("eNB failed to release E-RABs", "failed", resp.Failed)
	}
}

// deleteAllSessions ends every PDN connection of the UE at the SGW.
func (u *ue) deleteAllSessions() {
	u.mu.Lock()
	pdns := u.pdnsLocked()
	sgw := u.sgw
	u.pdns = map[uint8]*pdn{}
	u.m.stats.pdns.Add(-int64(len(pdns)))
	u.mu.Unlock()
	for _, p := range pdns {
		for _, b := range p.bearers {
			if b.activation != nil {
				b.activation <- false
			}
		}
		if err := u.deleteSession(u.m.ctx(), sgw, p); err != nil {
			u.logger().Info("delete session", "apn", p.apn, "err", err)
		}
	}
}

// clearTunnelsLocked forgets the eNB tunnels: the UE went ECM-IDLE.
func (u *ue) clearTunnelsLocked() {
	for _, p := range u.pdns {
		for _, b := range p.bearers {
			b.enbU, b.synced = gtpv2c.FTEID{}, false
		}
	}
}

// bearerStatusLocked is the EPS bearer context status of the UE.
func (u *ue) bearerStatusLocked() naseps.EPSBearerContextStatus {
	var s naseps.EPSBearerContextStatus
	for _, p := range u.pdns {
		for ebi := range p.bearers {
			s |= 1 << ebi
		}
	}
	return s
}
