package mme

import (
	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// onTAURequest handles a normal or periodic tracking area update of an
// attached UE (TS 24.301 5.5.3.2): integrity verified and in one of our
// TAs, it gets TAU Accept with its TAI list and bearer status, keeping
// its GUTI (so no TAU Complete is due). With the active flag (or data
// waiting after paging) its bearers are set up again; otherwise a UE
// that came from ECM-IDLE is released.
func (u *ue) onTAURequest(c *enbUE, req *naseps.TAURequest, verified bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn != c {
		return
	}
	switch {
	case !verified || u.state != emmRegistered || u.sec == nil:
		u.tauRejectLocked(c, naseps.EMMCauseUEIdentityCannotBeDerived)
		return
	case !u.m.servesTAI(u.tai):
		u.tauRejectLocked(c, naseps.EMMCauseTANotAllowed)
		return
	}
	if req.UENetworkCapability != nil {
		u.netCap = *req.UENetworkCapability
	}
	status := u.bearerStatusLocked()
	t3412 := u.m.t3412()
	acc := &naseps.TAUAccept{Result: naseps.UpdateResultTA, T3412: &t3412, TAIList: u.m.tais, EPSBearerContextStatus: &status}
	if err := u.sendMsgLocked(acc); err != nil {
		u.loggerLocked().Warn("send TAU Accept", "err", err)
		return
	}
	active := req.Active || u.paging
	switch {
	case c.ctxSetup:
	case active && len(u.pdns) > 0:
		u.kenbCount, u.paging = u.lastUL, false
		if err := u.initialContextSetupLocked(nil); err != nil {
			u.loggerLocked().Warn("send Initial Context Setup Request", "err", err)
		}
	default:
		u.sendReleaseLocked(c, s1ap.CauseNormalRelease)
	}
}

// tauRejectLocked refuses a TAU (plain: the UE's context did not verify)
// and releases the connection; the UE attaches again.
func (u *ue) tauRejectLocked(c *enbUE, cause naseps.EMMCause) {
	plain, err := (&naseps.TAUReject{Cause: cause}).Marshal()
	if err == nil {
		u.m.countMsg(ifNAS, dirTx, naseps.MsgTAUReject.String())
		err = c.e.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids(), NASPDU: plain}, true)
	}
	if err != nil {
		u.loggerLocked().Warn("send TAU Reject", "err", err)
	}
	u.loggerLocked().Info("tracking area update rejected", "cause", cause)
	u.sendReleaseLocked(c, s1ap.CauseNormalRelease)
	if u.state != emmRegistered && u.guti == nil {
		u.forgetLocked()
	}
}

// onTAUComplete: nothing to commit, as TAU Accept never changes the GUTI.
func (u *ue) onTAUComplete(*enbUE) {}
