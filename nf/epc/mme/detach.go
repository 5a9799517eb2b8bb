package mme

import (
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// onDetachRequest handles a UE-initiated detach: the sessions are deleted
// at the SGW, a normal detach is answered with Detach Accept, and the S1
// connection is released. The context stays, EMM-DEREGISTERED, with its
// GUTI and security context, so the UE can attach again by GUTI.
func (u *ue) onDetachRequest(c *enbUE, req *naseps.DetachRequest) {
	u.mu.Lock()
	u.stopTimerLocked()
	if u.attach != nil {
		u.m.m.attaches.WithLabelValues(attachFailed).Inc()
		u.releaseTMSILocked()
		u.attach = nil
	}
	u.setStateLocked(emmDeregistered)
	imsi := u.imsi
	u.mu.Unlock()
	u.deleteAllSessions()
	u.mu.Lock()
	if !req.SwitchOff && u.conn == c {
		if err := u.sendMsgLocked(&naseps.DetachAccept{}); err != nil {
			u.loggerLocked().Warn("send Detach Accept", "err", err)
		}
	}
	if u.conn == c {
		u.sendReleaseLocked(c, s1ap.CauseDetach)
	}
	if u.guti == nil {
		u.forgetLocked()
	}
	u.loggerLocked().Debug("detached", "switch_off", req.SwitchOff)
	u.mu.Unlock()
	u.purgeIfConfigured(imsi)
}

// purgeIfConfigured sends Purge-UE when hss.purge_on_detach is set.
func (u *ue) purgeIfConfigured(imsi string) {
	if !u.m.cfg.HSS.PurgeOnDetach || imsi == "" {
		return
	}
	if err := u.m.purge(u.m.ctx(), imsi); err != nil {
		u.logger().Info("purge UE", "err", err)
	}
}

// cancelLocation handles the HSS's Cancel-Location: a withdrawn
// subscription detaches the UE with a network-initiated Detach Request
// (re-attach not required); the UE having moved to another MME removes
// the context silently (TS 23.401 5.3.8.4, 5.3.3.1).
func (u *ue) cancelLocation(cancellationType uint32) {
	u.logger().Info("location cancelled by the HSS", "cancellation_type", cancellationType)
	if cancellationType == diameter.CancelSubscriptionWithdrawal {
		u.networkDetach(naseps.DetachReattachNotRequired)
		return
	}
	u.deleteAllSessions()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.attach != nil {
		u.m.m.attaches.WithLabelValues(attachFailed).Inc()
		u.releaseTMSILocked()
		u.attach = nil
	}
	if c := u.conn; c != nil {
		u.sendReleaseLocked(c, s1ap.CauseNASUnspecified)
	}
	u.setStateLocked(emmDeregistered)
	if !u.gone {
		u.forgetLocked()
	}
}

// networkDetach detaches the UE from the network side: the sessions go
// and, when the UE is connected, a Detach Request is sent (T3422) and the
// connection released on its Detach Accept. An idle UE is detached
// locally: it learns at its next contact.
func (u *ue) networkDetach(t naseps.DetachType) {
	u.deleteAllSessions()
	req := &naseps.NetworkDetachRequest{Type: t}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.stopTimerLocked()
	if u.attach != nil {
		u.m.m.attaches.WithLabelValues(attachFailed).Inc()
		u.releaseTMSILocked()
		u.attach = nil
	}
	u.setStateLocked(emmDeregistered)
	if u.conn == nil {
		return
	}
	if err := u.sendMsgLocked(req); err != nil {
		u.loggerLocked().Warn("send Detach Request", "err", err)
	}
	u.startTimerLocked("T3422", u.m.cfg.Timers.T3422, func() { u.sendMsg(req) }, func() { u.release(s1ap.CauseDetach) })
}

// onDetachAccept ends a network-initiated detach.
func (u *ue) onDetachAccept(c *enbUE) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.timer == nil || u.timer.name != "T3422" || u.conn != c {
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	u.sendReleaseLocked(c, s1ap.CauseDetach)
}

// displaced ends an older context of a subscriber that attached again
// under a new context (same IMSI).
func (u *ue) displaced() {
	u.deleteAllSessions()
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.conn; c != nil {
		u.sendReleaseLocked(c, s1ap.CauseNASUnspecified)
	}
	if u.attach != nil {
		u.releaseTMSILocked()
		u.attach = nil
	}
	if !u.gone {
		u.forgetLocked()
	}
}
