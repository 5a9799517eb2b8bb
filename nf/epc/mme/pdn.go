package mme

import (
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// ESM values naseps has no constant for (TS 24.301 9.8, 9.9.4.4).
const (
	msgPDNDisconnectReject                 = 0xD3
	causeLastPDNDisconnect naseps.ESMCause = 49
	causeMultiplePDNForAPN naseps.ESMCause = 55
)

// onPDNConnectivityRequest opens another PDN connection for an attached
// UE (TS 24.301 6.5.1): Create Session at the SGW, then E-RAB Setup with
// the Activate Default EPS Bearer Context Request (the PGW's PCO inside).
// The eNB's tunnel reaches the SGW once the UE accepts (Modify Bearer).
func (u *ue) onPDNConnectivityRequest(c *enbUE, req *naseps.PDNConnectivityRequest) {
	u.mu.Lock()
	if u.state != emmRegistered || u.conn != c || u.sub == nil {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	apn, ok := u.sub.apn(string(req.APN))
	ebi := u.freeEBILocked()
	var cause naseps.ESMCause
	switch {
	case !ok:
		cause = naseps.ESMCauseUnknownAPN
	case u.hasAPNLocked(apn.name):
		cause = causeMultiplePDNForAPN
	case ebi == 0:
		cause = naseps.ESMCauseInsufficientResources
	}
	if cause != 0 {
		u.loggerLocked().Info("PDN connectivity refused", "apn", req.APN, "cause", cause)
		u.sendESMLocked(pdnReject(req.PTI, cause))
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	p, err := u.createSession(u.m.ctx(), sessionRequest{apn: apn, ebi: ebi, pti: req.PTI, pdnType: req.PDNType, pco: req.PCO})
	if err != nil {
		u.logger().Info("create session failed", "apn", apn.name, "err", err)
		u.mu.Lock()
		u.sendESMLocked(pdnReject(req.PTI, esmCauseOf(err)))
		u.mu.Unlock()
		return
	}
	u.addPDN(p)
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.setupERABLocked(p.bearers[p.ebi], activateDefault(p)); err != nil {
		u.loggerLocked().Warn("send E-RAB Setup Request", "err", err)
	}
}

// hasAPNLocked reports whether a PDN connection to apn is open.
func (u *ue) hasAPNLocked(apn string) bool {
	for _, p := range u.pdns {
		if p.apn == apn {
			return true
		}
	}
	return false
}

// setupERABLocked sends E-RAB Setup Request for b, the ESM message
// protected in its NAS PDU.
func (u *ue) setupERABLocked(b *bearer, esm naseps.Message) error {
	c := u.conn
	if c == nil {
		return errNoConnection
	}
	pdu, err := u.encodeLocked(esm)
	if err != nil {
		return err
	}
	req := &s1ap.ERABSetupRequest{UEIDs: c.ids(), ERABs: []s1ap.ERABToSetup{
		{ID: b.ebi, QoS: b.qos, Tunnel: tunnelOf(b.sgwU), NASPDU: pdu}}}
	return c.e.send(req, true)
}

// sendESMLocked sends an ESM message in a Downlink NAS Transport, logging
// a failure.
func (u *ue) sendESMLocked(msg naseps.Message) {
	if err := u.sendMsgLocked(msg); err != nil {
		u.loggerLocked().Warn("send ESM message", "type", msg.MessageType(), "err", err)
	}
}

// onPDNDisconnectRequest closes one PDN connection of the UE (TS 24.301
// 6.5.2): Delete Session at the SGW, then the default bearer's
// deactivation in an E-RAB Release Command. The last one stays: the UE
// detaches instead.
func (u *ue) onPDNDisconnectRequest(c *enbUE, req *naseps.PDNDisconnectRequest) {
	u.mu.Lock()
	p := u.pdns[req.LinkedEBI]
	var cause naseps.ESMCause
	switch {
	case u.state != emmRegistered || u.conn != c:
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	case p == nil:
		cause = naseps.ESMCauseInvalidEBI
	case len(u.pdns) == 1:
		cause = causeLastPDNDisconnect
	}
	if cause != 0 {
		u.sendPDNDisconnectRejectLocked(req.PTI, cause)
		u.mu.Unlock()
		return
	}
	delete(u.pdns, p.ebi)
	u.m.stats.pdns.Add(-1)
	sgw := u.sgw
	u.mu.Unlock()
	if err := u.deleteSession(u.m.ctx(), sgw, p); err != nil {
		u.logger().Info("delete session", "apn", p.apn, "err", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.deactivateLocked(bearersOf(p), req.PTI)
}

// deactivateLocked sends the Deactivate EPS Bearer Context Request of the
// first bearer (a default bearer takes its PDN connection's others along)
// in an E-RAB Release Command for all of them. The bearers are already
// gone from the UE context; the UE's accept closes closing[ebi].
func (u *ue) deactivateLocked(bs []*bearer, pti uint8) chan struct{} {
	if len(bs) == 0 {
		return nil
	}
	ebis := make([]uint8, 0, len(bs))
	for _, b := range bs {
		ebis = append(ebis, b.ebi)
		if b.activation != nil {
			b.activation <- false
			b.activation = nil
		}
	}
	done := make(chan struct{})
	if u.conn == nil {
		close(done) // ECM-IDLE: the UE syncs its bearer status at its next TAU or Service Request
		return done
	}
	if u.closing == nil {
		u.closing = map[uint8]chan struct{}{}
	}
	u.closing[ebis[0]] = done
	msg := &naseps.DeactivateBearerRequest{ESMHeader: naseps.ESMHeader{EBI: ebis[0], PTI: pti},
		Cause: naseps.ESMCauseRegularDeactivation}
	pdu, err := u.encodeLocked(msg)
	if err != nil {
		u.loggerLocked().Warn("encode Deactivate EPS Bearer Context Request", "err", err)
		return done
	}
	if u.conn.ctxSetup {
		u.releaseERABsLocked(ebis, pdu)
		return done
	}
	if err := u.conn.e.send(&s1ap.DownlinkNASTransport{UEIDs: u.conn.ids(), NASPDU: pdu}, true); err != nil {
		u.loggerLocked().Warn("send Deactivate EPS Bearer Context Request", "err", err)
	}
	return done
}

// sendPDNDisconnectRejectLocked refuses a PDN Disconnect Request; naseps
// has no type for the reject, so it is written here: PD and EBI 0, PTI,
// message type, ESM cause.
func (u *ue) sendPDNDisconnectRejectLocked(pti uint8, cause naseps.ESMCause) {
	c := u.conn
	if c == nil {
		return
	}
	pdu, err := u.protectLocked([]byte{naseps.PDESM, pti, msgPDNDisconnectReject, byte(cause)})
	if err == nil {
		u.m.countMsg(ifNAS, dirTx, "PDN Disconnect Reject")
		err = c.e.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids(), NASPDU: pdu}, true)
	}
	if err != nil {
		u.loggerLocked().Warn("send PDN Disconnect Reject", "err", err)
	}
}
