package mme

import (
	"crypto/subtle"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// maxResyncs bounds SQN resynchronisations within one attach.
const maxResyncs = 2

// authState is the EPS-AKA round in progress.
type authState struct {
	vector  diameter.EUTRANVector
	ksi     uint8 // eKSI the new KASME gets
	resyncs int
}

// nextKSI is an eKSI other than the current one (0..6; 7 is "no key").
func nextKSI(cur uint8) uint8 {
	if cur >= naseps.KSINoKey {
		return 0
	}
	return (cur + 1) % naseps.KSINoKey
}

// authenticate asks the HSS for a vector (AIR) and sends its challenge in
// an Authentication Request.
func (u *ue) authenticate(c *enbUE, resync *diameter.Resync) {
	u.mu.Lock()
	if u.attach == nil {
		u.mu.Unlock()
		return
	}
	imsi := u.attach.imsi
	u.mu.Unlock()
	v, err := u.m.authInfo(u.m.ctx(), imsi, resync)
	if err != nil {
		u.m.m.auths.WithLabelValues(authError).Inc()
		u.logger().Info("authentication information refused", "err", err)
		u.rejectAttach(c, emmCauseOf(err), nil)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	a := u.attach
	if a == nil || u.conn != c {
		return // abandoned meanwhile
	}
	a.auth.vector, a.auth.ksi, a.stage = v, nextKSI(u.ksi), stageAuth
	req := &naseps.AuthenticationRequest{KSI: naseps.KSI{Value: a.auth.ksi}, RAND: v.RAND, AUTN: v.AUTN}
	if err := u.sendMsgLocked(req); err != nil {
		u.loggerLocked().Warn("send Authentication Request", "err", err)
		return
	}
	u.startTimerLocked("T3460", u.m.cfg.Timers.T3460, func() { u.sendMsg(req) },
		func() { u.failAttach(attachFailed, s1ap.CauseNASUnspecified) })
}

// onAuthResponse checks RES against XRES and goes on to security mode
// control with the vector's KASME.
func (u *ue) onAuthResponse(c *enbUE, resp *naseps.AuthenticationResponse) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageAuth || u.conn != c {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	ok := subtle.ConstantTimeCompare(resp.RES, a.auth.vector.XRES) == 1
	if ok {
		u.kasme = aka.Key256(a.auth.vector.KASME)
		u.setIMSILocked(a.imsi)
	}
	u.mu.Unlock()
	if !ok {
		u.m.m.auths.WithLabelValues(authFailure).Inc()
		u.logger().Info("authentication failed: RES does not match XRES")
		u.rejectAuthentication(c)
		return
	}
	u.m.m.auths.WithLabelValues(authSuccess).Inc()
	u.securityMode(c)
}

// onAuthFailure handles the UE's Authentication Failure: a synch failure
// asks the HSS again with the AUTS (bounded), anything else ends in an
// Authentication Reject.
func (u *ue) onAuthFailure(c *enbUE, f *naseps.AuthenticationFailure) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageAuth || u.conn != c {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	resync := f.Cause == naseps.EMMCauseSynchFailure && f.AUTS != nil && a.auth.resyncs < maxResyncs
	var rs *diameter.Resync
	if resync {
		a.auth.resyncs++
		rs = &diameter.Resync{RAND: a.auth.vector.RAND, AUTS: *f.AUTS}
	}
	u.mu.Unlock()
	switch {
	case resync:
		u.m.m.auths.WithLabelValues(authResync).Inc()
		u.logger().Info("SQN resynchronisation")
		u.authenticate(c, rs)
	case f.Cause == naseps.EMMCauseMACFailure:
		u.m.m.auths.WithLabelValues(authMAC).Inc()
		u.logger().Info("UE refused the network's authentication (MAC failure)")
		u.rejectAuthentication(c)
	default:
		u.m.m.auths.WithLabelValues(authFailure).Inc()
		u.logger().Info("UE refused the authentication", "cause", f.Cause)
		u.rejectAuthentication(c)
	}
}

// rejectAuthentication sends Authentication Reject (plain: the UE drops
// its keys) and releases the UE.
func (u *ue) rejectAuthentication(c *enbUE) {
	u.mu.Lock()
	u.sec = nil
	if u.conn == c {
		if err := u.sendMsgLocked(&naseps.AuthenticationReject{}); err != nil {
			u.loggerLocked().Warn("send Authentication Reject", "err", err)
		}
	}
	u.mu.Unlock()
	u.failAttach(attachAuthRejected, s1ap.CauseAuthenticationFailure)
}
