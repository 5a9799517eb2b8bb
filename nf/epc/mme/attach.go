package mme

import (
	"fmt"
	"time"

	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// attachStage is where an attach procedure stands.
type attachStage uint8

const (
	stageIdentity attachStage = iota
	stageAuth
	stageSMC
	stageESMInfo
	stageSession // ULR and Create Session under way
	stageAccept  // Attach Accept sent, waiting for Attach Complete
)

// attachProc is an ongoing attach.
type attachProc struct {
	req     *naseps.AttachRequest
	esm     *naseps.PDNConnectivityRequest // from the ESM message container
	imsi    string                         // claimed, committed once authenticated
	start   time.Time
	stage   attachStage
	auth    authState
	newTMSI uint32 // reserved for the GUTI in the Attach Accept
}

// onAttachRequest starts (or restarts) an attach. An integrity verified
// request from a UE whose context we hold skips authentication and
// security mode control; a GUTI we know gives the IMSI without asking; an
// unknown GUTI is answered with an Identity Request.
func (u *ue) onAttachRequest(c *enbUE, req *naseps.AttachRequest, verified bool) {
	esm, err := naseps.ParseAs[*naseps.PDNConnectivityRequest](req.ESMContainer)
	if err != nil {
		u.malformedNAS("Attach Request without a usable PDN Connectivity Request", err)
		u.startAttach(c, req, nil, false)
		u.rejectAttach(c, naseps.EMMCauseInvalidMandatoryInfo, nil)
		return
	}
	skipAuth := u.startAttach(c, req, esm, verified)
	if u.m.draining.Load() || u.overCapacity() {
		u.rejectAttach(c, naseps.EMMCauseCongestion, nil)
		return
	}
	u.deleteAllSessions() // a UE attaching again has lost its bearers (TS 24.301 5.5.1.2.7)
	u.mu.Lock()
	a := u.attach
	switch {
	case a == nil || u.conn != c:
		u.mu.Unlock()
		return
	case skipAuth:
		u.kenbCount = u.lastUL
		u.mu.Unlock()
		u.afterSecurity(c)
		return
	case req.Identity.Type == naseps.EPSIdentityIMSI:
		a.imsi = req.Identity.Digits
	case req.Identity.Type == naseps.EPSIdentityGUTI && u.imsi != "":
		a.imsi = u.imsi
	}
	imsi := a.imsi
	u.mu.Unlock()
	if imsi == "" {
		u.requestIdentity(c)
		return
	}
	u.authenticate(c, nil)
}

// startAttach installs a new attach procedure and reports whether it may
// skip authentication.
func (u *ue) startAttach(c *enbUE, req *naseps.AttachRequest, esm *naseps.PDNConnectivityRequest, verified bool) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.attach != nil {
		u.m.m.attaches.WithLabelValues(attachFailed).Inc() // superseded by this one
		u.releaseTMSILocked()
	}
	u.stopTimerLocked()
	u.attach = &attachProc{req: req, esm: esm, start: time.Now()}
	u.netCap = req.UENetworkCapability
	if !verified {
		u.sec = nil // the UE may have lost it: talk plain until the SMC
	}
	u.setStateLocked(emmRegistering)
	return verified && u.imsi != "" && req.Identity.Type == naseps.EPSIdentityGUTI
}

// overCapacity: more UE contexts than max_ues, and this one is new.
func (u *ue) overCapacity() bool {
	u.mu.Lock()
	known := u.imsi != ""
	u.mu.Unlock()
	return !known && u.m.stats.total() > int64(u.m.cfg.MaxUEs)
}

// requestIdentity asks the UE for its IMSI (a GUTI we do not know).
func (u *ue) requestIdentity(c *enbUE) {
	req := &naseps.IdentityRequest{Type: naseps.IdentityIMSI}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.attach == nil || u.conn != c {
		return
	}
	u.attach.stage = stageIdentity
	if err := u.sendMsgLocked(req); err != nil {
		u.loggerLocked().Warn("send Identity Request", "err", err)
		return
	}
	u.startTimerLocked("T3470", u.m.cfg.Timers.T3470, func() { u.sendMsg(req) },
		func() { u.failAttach(attachFailed, s1ap.CauseNASUnspecified) })
}

// onIdentityResponse takes the IMSI and authenticates with it.
func (u *ue) onIdentityResponse(c *enbUE, resp *naseps.IdentityResponse) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageIdentity || u.conn != c {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	ok := resp.Identity.Type == naseps.IdentityIMSI && resp.Identity.Digits != ""
	if ok {
		a.imsi = resp.Identity.Digits
	}
	u.mu.Unlock()
	if !ok {
		u.logger().Info("Identity Response without an IMSI", "type", resp.Identity.Type)
		u.rejectAttach(c, naseps.EMMCauseUEIdentityCannotBeDerived, nil)
		return
	}
	u.authenticate(c, nil)
}

// afterSecurity goes on once NAS security is up: the ESM information the
// UE held back, then the subscription and the default bearer.
func (u *ue) afterSecurity(c *enbUE) {
	u.mu.Lock()
	a := u.attach
	if a == nil || u.conn != c {
		u.mu.Unlock()
		return
	}
	if a.esm.ESMInfoTransfer && a.stage != stageESMInfo {
		a.stage = stageESMInfo
		req := &naseps.ESMInformationRequest{ESMHeader: naseps.ESMHeader{PTI: a.esm.PTI}}
		if err := u.sendMsgLocked(req); err != nil {
			u.loggerLocked().Warn("send ESM Information Request", "err", err)
		}
		u.startTimerLocked("T3489", u.m.cfg.Timers.T3460, func() { u.sendMsg(req) },
			func() { u.failAttach(attachFailed, s1ap.CauseNASUnspecified) })
		u.mu.Unlock()
		return
	}
	a.stage = stageSession
	u.mu.Unlock()
	u.finishAttach(c)
}

// onESMInfoResponse takes the APN and PCO the UE held back.
func (u *ue) onESMInfoResponse(c *enbUE, resp *naseps.ESMInformationResponse) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageESMInfo || u.conn != c || resp.PTI != a.esm.PTI {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	if resp.APN != "" {
		a.esm.APN = resp.APN
	}
	if resp.PCO != nil {
		a.esm.PCO = resp.PCO
	}
	a.stage = stageSession
	u.mu.Unlock()
	u.finishAttach(c)
}

// finishAttach fetches the subscription (ULR), opens the default PDN
// connection (Create Session) and sends the Attach Accept inside an
// Initial Context Setup Request.
func (u *ue) finishAttach(c *enbUE) {
	ctx := u.m.ctx()
	u.mu.Lock()
	imsi, esm := u.imsi, u.attach.esm
	u.mu.Unlock()
	sd, err := u.m.updateLocation(ctx, imsi)
	if err != nil {
		u.logger().Info("update location failed", "err", err)
		u.rejectAttach(c, emmCauseOf(err), nil)
		return
	}
	sub := subscriptionOf(sd, s1ap.AMBR{UL: u.m.cfg.DefaultUEAMBR.Uplink, DL: u.m.cfg.DefaultUEAMBR.Downlink})
	if sd.SubscriberStatus != diameter.SubscriberServiceGranted {
		u.rejectAttach(c, naseps.EMMCauseEPSServicesNotAllowed, nil)
		return
	}
	u.mu.Lock()
	u.sub = sub
	u.mu.Unlock()
	apn, ok := sub.apn(string(esm.APN))
	if !ok {
		u.logger().Info("attach for an APN not subscribed", "apn", esm.APN)
		u.rejectAttach(c, naseps.EMMCauseESMFailure, pdnReject(esm.PTI, naseps.ESMCauseUnknownAPN))
		return
	}
	p, err := u.createSession(ctx, sessionRequest{apn: apn, ebi: firstEBI, pti: esm.PTI, pdnType: esm.PDNType, pco: esm.PCO})
	if err != nil {
		u.logger().Info("create session failed", "apn", apn.name, "err", err)
		u.rejectAttach(c, naseps.EMMCauseESMFailure, pdnReject(esm.PTI, esmCauseOf(err)))
		return
	}
	u.addPDN(p)
	if err := u.sendAttachAccept(c, p); err != nil {
		u.logger().Warn("send Attach Accept", "err", err)
		u.failAttach(attachFailed, s1ap.CauseNASUnspecified)
	}
}

// firstEBI is the EPS bearer identity of the first default bearer.
const firstEBI = 5

// pdnReject is a PDN Connectivity Reject for an ESM message container.
func pdnReject(pti uint8, cause naseps.ESMCause) *naseps.PDNConnectivityReject {
	return &naseps.PDNConnectivityReject{ESMHeader: naseps.ESMHeader{PTI: pti}, Cause: cause}
}

// sendAttachAccept allocates the GUTI and sends the Attach Accept with
// the Activate Default EPS Bearer Context Request in an Initial Context
// Setup Request, starting T3450.
func (u *ue) sendAttachAccept(c *enbUE, p *pdn) error {
	m := u.m
	u.mu.Lock()
	defer u.mu.Unlock()
	a := u.attach
	if a == nil || u.conn != c {
		return nil // abandoned meanwhile
	}
	tmsi := a.newTMSI
	if tmsi == 0 {
		var err error
		if tmsi, err = m.allocTMSI(u); err != nil {
			return err
		}
		a.newTMSI = tmsi
	}
	esm, err := activateDefault(p).Marshal()
	if err != nil {
		return fmt.Errorf("encode Activate Default EPS Bearer Context Request: %w", err)
	}
	acc := &naseps.AttachAccept{Result: naseps.AttachResultEPSOnly, T3412: m.t3412(), TAIList: m.tais,
		ESMContainer: esm, GUTI: m.gutiOf(tmsi)}
	a.stage = stageAccept
	pdu, err := u.encodeLocked(acc)
	if err != nil {
		return err
	}
	if err := u.initialContextSetupLocked(map[uint8][]byte{p.ebi: pdu}); err != nil {
		return err
	}
	u.startTimerLocked("T3450", m.cfg.Timers.T3450, func() { u.sendMsg(acc) },
		func() { u.failAttach(attachFailed, s1ap.CauseNASUnspecified) })
	return nil
}

// t3412 is the periodic TAU timer handed to UEs.
func (m *MME) t3412() naseps.GPRSTimer {
	if m.cfg.Timers.T3412 == 0 {
		return naseps.TimerDeactivated
	}
	t, _ := naseps.NewGPRSTimer(m.cfg.Timers.T3412) // validated
	return t
}

// activateDefault is the Activate Default EPS Bearer Context Request of
// p: the PCO is the PGW's, as it came.
func activateDefault(p *pdn) *naseps.ActivateDefaultBearerRequest {
	b := p.bearers[p.ebi]
	return &naseps.ActivateDefaultBearerRequest{ESMHeader: naseps.ESMHeader{EBI: p.ebi, PTI: p.pti},
		QoS: epsQoS(b.qos), APN: naseps.APN(p.apn), PDNAddress: naseps.PDNAddress{Type: naseps.PDNTypeIPv4, IPv4: p.addr},
		APNAMBR: &naseps.AMBR{Uplink: p.ambr.UL / 1000, Downlink: p.ambr.DL / 1000}, PCO: p.pco}
}

// onAttachComplete commits the GUTI: the UE is attached. The ESM
// container accepts the default bearer, which the SGW then learns the
// eNB's tunnel of.
func (u *ue) onAttachComplete(c *enbUE, ac *naseps.AttachComplete) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageAccept || u.conn != c {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	if u.guti != nil && u.guti.MTMSI != a.newTMSI {
		u.m.ues.byTMSI.CompareAndDelete(u.guti.MTMSI, u)
	}
	u.guti = u.m.gutiOf(a.newTMSI)
	u.attach = nil
	u.setStateLocked(emmRegistered)
	u.m.m.attaches.WithLabelValues(attachAccepted).Inc()
	u.m.m.attachDuration.Observe(time.Since(a.start).Seconds())
	u.loggerLocked().Debug("attached", "guti", u.guti)
	u.mu.Unlock()
	acc, err := naseps.ParseAs[*naseps.ActivateDefaultBearerAccept](ac.ESMContainer)
	if err != nil {
		u.malformedNAS("Attach Complete without an Activate Default EPS Bearer Context Accept", err)
		return
	}
	u.onBearerAccepted(acc.EBI)
	u.runAfterAttach()
}

// rejectAttach sends Attach Reject (with a PDN Connectivity Reject when
// the ESM part failed) and ends the procedure.
func (u *ue) rejectAttach(c *enbUE, cause naseps.EMMCause, esm *naseps.PDNConnectivityReject) {
	rej := &naseps.AttachReject{Cause: cause}
	if esm != nil {
		b, err := esm.Marshal()
		if err == nil {
			rej.ESMContainer = b
		}
	}
	u.mu.Lock()
	if u.conn == c {
		if err := u.sendMsgLocked(rej); err != nil {
			u.loggerLocked().Warn("send Attach Reject", "err", err)
		}
	}
	u.loggerLocked().Info("attach rejected", "cause", cause)
	u.mu.Unlock()
	u.failAttach(attachRejected, s1ap.CauseNormalRelease)
}

// failAttach ends the attach with result: the connection is released,
// the sessions it opened are deleted, and a UE that never completed an
// attach is forgotten.
func (u *ue) failAttach(result string, cause s1ap.Cause) {
	u.mu.Lock()
	if u.attach == nil {
		u.mu.Unlock()
		return
	}
	u.m.m.attaches.WithLabelValues(result).Inc()
	u.stopTimerLocked()
	if c := u.conn; c != nil {
		u.sendReleaseLocked(c, cause)
	}
	u.releaseTMSILocked()
	u.attach = nil
	u.setStateLocked(emmDeregistered)
	u.mu.Unlock()
	u.deleteAllSessions()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.guti == nil && !u.gone {
		u.forgetLocked()
	}
}

// releaseTMSILocked gives back an M-TMSI reserved by the attach but not
// committed.
func (u *ue) releaseTMSILocked() {
	if a := u.attach; a != nil && a.newTMSI != 0 && (u.guti == nil || u.guti.MTMSI != a.newTMSI) {
		u.m.ues.byTMSI.CompareAndDelete(a.newTMSI, u)
		a.newTMSI = 0
	}
}
