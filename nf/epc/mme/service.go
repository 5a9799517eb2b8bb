package mme

import (
	"errors"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// causeNoBearers is EMM cause #40 "no EPS bearer context activated"
// (TS 24.301 9.9.3.9), which naseps has no constant for.
const causeNoBearers naseps.EMMCause = 40

// onServiceRequest brings an attached UE back to ECM-CONNECTED: its short
// MAC is checked with the kept security context, then every bearer is set
// up again in one Initial Context Setup, KeNB from the request's COUNT.
// The eNB's answer gives the SGW the tunnels (Modify Bearer), and the SGW
// delivers what it buffered.
func (u *ue) onServiceRequest(c *enbUE, pdu []byte) {
	sr, err := naseps.ParseAs[*naseps.ServiceRequest](pdu)
	if err != nil {
		u.malformedNAS("malformed Service Request", err)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.imsi == "": // no context behind the S-TMSI
		u.serviceRejectLocked(c, naseps.EMMCauseUEIdentityCannotBeDerived)
		return
	case u.state != emmRegistered:
		u.serviceRejectLocked(c, naseps.EMMCauseImplicitlyDetached)
		return
	case u.sec == nil || sr.KSI != u.ksi:
		u.serviceRejectLocked(c, naseps.EMMCauseUEIdentityCannotBeDerived)
		return
	}
	if err := u.sec.VerifyServiceRequest(sr); err != nil {
		if errors.Is(err, naseps.ErrMACMismatch) || errors.Is(err, naseps.ErrReplay) {
			u.m.m.nasMACFailures.Inc()
		}
		u.loggerLocked().Info("Service Request did not verify", "err", err)
		u.serviceRejectLocked(c, naseps.EMMCauseUEIdentityCannotBeDerived)
		return
	}
	u.lastUL = uint32(u.sec.ULCount - 1)
	u.kenbCount, u.paging = u.lastUL, false
	if len(u.pdns) == 0 {
		u.serviceRejectLocked(c, causeNoBearers)
		return
	}
	if err := u.initialContextSetupLocked(nil); err != nil {
		u.loggerLocked().Warn("send Initial Context Setup Request", "err", err)
	}
}

// serviceRejectLocked refuses a Service Request (plain: the UE's context
// did not verify or is gone) and releases the connection.
func (u *ue) serviceRejectLocked(c *enbUE, cause naseps.EMMCause) {
	if u.conn != c {
		return
	}
	plain, err := (&naseps.ServiceReject{Cause: cause}).Marshal()
	if err == nil {
		u.m.countMsg(ifNAS, dirTx, naseps.MsgServiceReject.String())
		err = c.e.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids(), NASPDU: plain}, true)
	}
	if err != nil {
		u.loggerLocked().Warn("send Service Reject", "err", err)
	}
	u.loggerLocked().Info("service request rejected", "cause", cause)
	u.sendReleaseLocked(c, s1ap.CauseNormalRelease)
	if u.state != emmRegistered && u.guti == nil {
		u.forgetLocked()
	}
}

// onReleaseRequest: the eNB asks to release the UE (e.g. user
// inactivity). The SGW drops the eNB tunnels (Release Access Bearers) and
// the UE goes ECM-IDLE, keeping its bearers, GUTI and security context.
func (u *ue) onReleaseRequest(c *enbUE, req *s1ap.UEContextReleaseRequest) {
	u.mu.Lock()
	attaching := u.attach != nil && u.conn == c
	u.mu.Unlock()
	if attaching {
		u.failAttach(attachFailed, req.Cause)
		return
	}
	u.goIdle(c, req.Cause, true)
}

// goIdle takes the UE from connection c to ECM-IDLE: Release Access
// Bearers to the SGW, then (command) UE Context Release Command. The
// request goes once per SGW S11 TEID the UE's PDN connections have: an
// SGW may keep one per UE (TS 29.274) or one per PDN connection.
func (u *ue) goIdle(c *enbUE, cause s1ap.Cause, command bool) {
	u.mu.Lock()
	current := u.conn == c
	sgw, teids := u.sgw, u.sgwTEIDsLocked()
	u.mu.Unlock()
	for _, teid := range teids {
		if !current {
			break
		}
		if err := u.releaseAccessBearers(u.m.ctx(), sgw, teid); err != nil {
			u.logger().Warn("release access bearers", "err", err)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn == c {
		u.clearTunnelsLocked()
	}
	if command {
		u.sendReleaseLocked(c, cause)
	} else if u.conn == c {
		u.setConnLocked(nil)
	}
	if u.state != emmRegistered && u.guti == nil && !u.gone {
		u.forgetLocked()
	}
}

// onReleaseComplete forgets the connection.
func (u *ue) onReleaseComplete(c *enbUE) {
	u.m.dropConn(c)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn == c {
		u.setConnLocked(nil)
	}
}

// connLost: the eNB association of c went away.
func (u *ue) connLost(c *enbUE) {
	u.mu.Lock()
	attaching := u.attach != nil && u.conn == c
	u.mu.Unlock()
	if attaching {
		u.failAttach(attachFailed, s1ap.CauseUnspecified)
		return
	}
	u.goIdle(c, s1ap.CauseUnspecified, false)
}

// page asks every eNB serving the UE's tracking areas to page it by
// S-TMSI (TS 36.413 8.5).
func (u *ue) page() {
	m := u.m
	u.mu.Lock()
	if u.guti == nil || u.conn != nil || u.state != emmRegistered {
		u.mu.Unlock()
		return
	}
	guti, imsi := *u.guti, u.imsi
	u.paging = true
	u.mu.Unlock()
	idx, err := s1ap.UEIdentityIndex(imsi)
	if err != nil {
		u.logger().Warn("no UE identity index", "err", err)
		return
	}
	var tais []s1ap.TAI
	for _, t := range m.tais {
		tais = append(tais, s1ap.TAI{PLMN: s1ap.PLMN(t.PLMN), TAC: t.TAC})
	}
	msg := &s1ap.Paging{UEIdentityIndex: idx, STMSI: &s1ap.STMSI{MMEC: guti.MMECode, MTMSI: guti.MTMSI},
		CNDomain: s1ap.CNDomainPS, TAIs: tais}
	m.m.paging.Inc()
	m.enbs.Range(func(k, _ any) bool {
		e := k.(*enb)
		if e.setup.Load() && e.broadcasts(m.tais) {
			if err := e.send(msg, false); err != nil {
				e.log.Warn("send Paging", "err", err)
			}
		}
		return true
	})
}
