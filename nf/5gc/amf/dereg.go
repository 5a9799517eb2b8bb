package amf

import (
	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/smcontext"
)

// onDeregistration handles a UE-originating deregistration: the SM
// contexts are released, a normal one is answered with Deregistration
// Accept, and the UE context is released and forgotten.
func (u *ue) onDeregistration(r *ranUE, plain []byte) {
	req, err := nas5g.ParseDeregistrationRequest(plain)
	if err != nil {
		u.n.m.nasMalformed.Inc()
		return
	}
	u.mu.Lock()
	u.stopTimerLocked()
	if u.reg != nil {
		u.n.m.registrations.WithLabelValues(regFailed).Inc()
		u.reg = nil
	}
	u.setState(mmDeregistered)
	u.mu.Unlock()
	u.releaseSessions(false)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.forgetLocked() // before answering: whoever hears the answer finds the context gone
	if !req.SwitchOff && u.ran == r {
		if err := u.sendMsgLocked(&nas5g.DeregistrationAccept{}); err != nil {
			u.loggerLocked().Warn("send Deregistration Accept", "err", err)
		}
	}
	if u.ran == r {
		u.sendReleaseLocked(r, n2.CauseDeregister)
	}
	u.loggerLocked().Debug("deregistered", "switch_off", req.SwitchOff)
}

// releaseSessions releases every SM context at its SMF (when the UE
// deregisters or registers anew, its sessions are gone). local also
// forgets sessions still being created.
func (u *ue) releaseSessions(local bool) {
	u.mu.Lock()
	var list []*session
	for id, s := range u.sessions {
		if s.ref != "" || local {
			list = append(list, s)
			delete(u.sessions, id)
		}
	}
	u.pending = nil
	u.mu.Unlock()
	for _, s := range list {
		if s.ref == "" {
			continue
		}
		if _, err := smcontext.Release(u.n.ctx(), u.n.client, s.smfRoot, s.ref, nil); err != nil {
			u.logger().Info("release SM context", "pdu_session_id", s.id, "err", err)
		}
	}
}

// displaced ends an older context of a UE that registered again under a
// new context (same SUPI).
func (u *ue) displaced() {
	u.releaseSessions(true)
	u.mu.Lock()
	defer u.mu.Unlock()
	if r := u.ran; r != nil {
		u.sendReleaseLocked(r, n2.CauseRelease5GCReason)
	}
	u.reg = nil
	u.forgetLocked()
}

// ranLost: the gNB association of r went away.
func (u *ue) ranLost(r *ranUE) {
	u.mu.Lock()
	if u.ran != r {
		u.mu.Unlock()
		return
	}
	u.setRAN(nil)
	registered := u.state == mmRegistered
	u.mu.Unlock()
	if !registered {
		u.failRegistration(regFailed, n2.CauseUnspecified)
		return
	}
	u.mu.Lock()
	if u.reg != nil { // a mobility or periodic registration was under way
		u.n.m.registrations.WithLabelValues(regFailed).Inc()
		u.reg = nil
		u.stopTimerLocked()
	}
	u.mu.Unlock()
	u.deactivateSessions()
}

// onReleaseRequest: the gNB asks to release the UE (e.g. user
// inactivity): user planes are deactivated and the UE goes CM-IDLE,
// keeping its registration, 5G-GUTI and NAS security context.
func (u *ue) onReleaseRequest(r *ranUE, m *n2.UEContextReleaseRequest) {
	u.mu.Lock()
	current := u.ran == r
	registering := current && u.reg != nil
	u.mu.Unlock()
	if registering {
		u.failRegistration(regFailed, m.Cause)
		return
	}
	if current {
		u.deactivateSessions()
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sendReleaseLocked(r, m.Cause)
	if u.state != mmRegistered && !u.gone {
		u.forgetLocked()
	}
}

// onReleaseComplete forgets the connection.
func (u *ue) onReleaseComplete(r *ranUE) {
	u.n.dropRAN(r)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ran == r {
		u.setRAN(nil)
	}
}

// deactivateSessions tells each SMF the user plane is down (the UE goes
// CM-IDLE); failures are logged.
func (u *ue) deactivateSessions() {
	for _, s := range u.activeSessions() {
		_, err := smcontext.Update(u.n.ctx(), u.n.client, s.smfRoot, s.ref, &smcontext.UpdateRequest{
			Data: models.Smf_PDUSess_SmContextUpdateData{UpCnxState: models.Smf_PDUSess_UpCnxState_DEACTIVATED}})
		if err != nil {
			u.logger().Info("deactivate user plane", "pdu_session_id", s.id, "err", err)
		}
	}
}

// activeSessions are the sessions with an SM context, by ID.
func (u *ue) activeSessions() []session {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []session
	for id := uint8(1); id != 0 && id <= 15; id++ {
		if s := u.sessions[id]; s != nil && s.ref != "" {
			out = append(out, *s)
		}
	}
	return out
}
