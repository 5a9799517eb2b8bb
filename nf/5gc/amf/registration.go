package amf

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// regStage is where a registration procedure stands.
type regStage uint8

const (
	stageIdentity regStage = iota
	stageAuth
	stageSMC
	stageAccept
)

// regProc is an ongoing registration.
type regProc struct {
	req     *nas5g.RegistrationRequest
	start   time.Time
	stage   regStage
	auth    authState
	newTMSI uint32 // reserved for the 5G-GUTI in the Registration Accept
}

// onRegistrationRequest starts (or restarts) a registration. An integrity
// verified request from a UE whose context we hold skips authentication
// and security mode control; otherwise the UE is identified (SUCI, or the
// SUPI behind a known 5G-GUTI) and authenticated.
func (u *ue) onRegistrationRequest(r *ranUE, plain []byte, verified bool) {
	req, err := nas5g.ParseRegistrationRequest(plain)
	if err != nil {
		u.n.m.nasMalformed.Inc()
		u.logger().Info("malformed Registration Request", "err", err)
		u.rejectRegistration(r, nas5g.CauseInvalidMandatoryInformation)
		return
	}
	u.mu.Lock()
	if u.reg != nil {
		u.n.m.registrations.WithLabelValues(regFailed).Inc() // superseded by this one
		u.stopTimerLocked()
	}
	u.reg = &regProc{req: req, start: time.Now()}
	if req.SecurityCapability != nil {
		u.secCap = *req.SecurityCapability
	}
	if !verified {
		u.sec = nil // the UE may have lost it: talk plain until the SMC
	}
	if req.RegistrationType == nas5g.RegistrationInitial && u.state == mmRegistered {
		u.setState(mmRegistering)
	} else if u.state == mmDeregistered {
		u.state = mmRegistering
	}
	skipAuth := verified && u.supi != "" && req.Identity.GUTI != nil
	supi := u.supi
	switch {
	case req.Identity.SUCI != nil:
		u.suci = suciString(*req.Identity.SUCI)
	case req.Identity.GUTI == nil:
		u.mu.Unlock()
		u.rejectRegistration(r, nas5g.CauseInvalidMandatoryInformation)
		return
	}
	suci := u.suci
	u.mu.Unlock()

	if req.RegistrationType == nas5g.RegistrationInitial {
		u.releaseSessions(true)
	}
	switch {
	case skipAuth:
		u.finishRegistration(r)
	case req.Identity.SUCI != nil:
		u.authenticate(r, suci, nil)
	case supi != "":
		u.authenticate(r, supi, nil)
	default:
		u.requestIdentity(r)
	}
}

// requestIdentity asks the UE for its SUCI (a 5G-GUTI we do not know).
func (u *ue) requestIdentity(r *ranUE) {
	req := []byte{0x7E, 0x00, byte(msgIdentityRequest), 0x01} // identity type 1: SUCI
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.reg == nil || u.ran != r {
		return
	}
	u.reg.stage = stageIdentity
	if err := u.sendNASLocked(req); err != nil {
		u.loggerLocked().Warn("send Identity Request", "err", err)
		return
	}
	u.startTimerLocked("T3570", u.n.cfg.Timers.T3560, func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		_ = u.sendNASLocked(req) // a lost connection ends the procedure elsewhere
	}, func() { u.failRegistration(regFailed, n2.CauseUnspecified) })
}

// onIdentityResponse takes the SUCI and authenticates with it.
func (u *ue) onIdentityResponse(r *ranUE, plain []byte) {
	suci, err := parseIdentityResponse(plain)
	u.mu.Lock()
	if u.reg == nil || u.reg.stage != stageIdentity {
		u.mu.Unlock()
		u.n.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	if err == nil {
		u.suci = suciString(*suci)
	}
	s := u.suci
	u.mu.Unlock()
	if err != nil {
		u.n.m.nasMalformed.Inc()
		u.logger().Info("Identity Response without a usable SUCI", "err", err)
		u.rejectRegistration(r, nas5g.CauseUEIdentityCannotBeDerived)
		return
	}
	u.authenticate(r, s, nil)
}

// parseIdentityResponse reads the SUCI of an Identity Response. Its 5GS
// mobile identity IE is encoded as in a Registration Request, so it is
// decoded by wrapping it into one (nas5g has no Identity Response view).
func parseIdentityResponse(plain []byte) (*nas5g.SUCI, error) {
	if len(plain) < 5 {
		return nil, fmt.Errorf("identity response of %d octets", len(plain))
	}
	rr := append([]byte{0x7E, 0x00, byte(nas5g.MsgRegistrationRequest), 0x71}, plain[3:]...)
	req, err := nas5g.ParseRegistrationRequest(rr)
	if err != nil {
		return nil, fmt.Errorf("identity response: %w", err)
	}
	if req.Identity.SUCI == nil {
		return nil, fmt.Errorf("identity response carries no SUCI")
	}
	return req.Identity.SUCI, nil
}

// suciString formats a SUCI as the AUSF takes it (TS 29.503 SuciOrSupi).
func suciString(s nas5g.SUCI) string {
	out := hex.EncodeToString(s.SchemeOutput)
	if s.ProtectionScheme == nas5g.SchemeNull {
		if msin, err := s.MSIN(); err == nil {
			out = msin
		}
	}
	return fmt.Sprintf("suci-0-%s-%s-%s-%d-%d-%s", s.PLMN.MCC, s.PLMN.MNC, s.RoutingIndicator,
		s.ProtectionScheme, s.HomeNetworkKeyID, out)
}

// rejectRegistration sends Registration Reject and ends the procedure.
func (u *ue) rejectRegistration(r *ranUE, cause uint8) {
	u.mu.Lock()
	if u.ran == r {
		if err := u.sendMsgLocked(&nas5g.RegistrationReject{Cause: cause}); err != nil {
			u.loggerLocked().Warn("send Registration Reject", "err", err)
		}
	}
	u.loggerLocked().Info("registration rejected", "cause", cause)
	u.mu.Unlock()
	u.failRegistration(regRejected, n2.CauseNormalRelease)
}

// failRegistration ends the registration with result: the connection is
// released, and a UE that was not registered before is forgotten.
func (u *ue) failRegistration(result string, cause n2.Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n.m.registrations.WithLabelValues(result).Inc()
	u.stopTimerLocked()
	if r := u.ran; r != nil {
		u.sendReleaseLocked(r, cause)
	}
	if u.reg != nil && u.reg.newTMSI != 0 && (u.guti == nil || u.guti.TMSI != u.reg.newTMSI) {
		u.n.ues.byTMSI.CompareAndDelete(u.reg.newTMSI, u)
	}
	u.reg = nil
	if u.state != mmRegistered {
		u.forgetLocked()
	}
}

// onRegistrationComplete commits the new 5G-GUTI: the UE is registered.
func (u *ue) onRegistrationComplete(r *ranUE) {
	u.mu.Lock()
	defer u.mu.Unlock()
	reg := u.reg
	if reg == nil || reg.stage != stageAccept || u.ran != r {
		u.n.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	if u.guti != nil && u.guti.TMSI != reg.newTMSI {
		u.n.ues.byTMSI.CompareAndDelete(u.guti.TMSI, u)
	}
	u.guti = u.n.gutiOf(reg.newTMSI)
	u.reg = nil
	u.setState(mmRegistered)
	u.n.m.registrations.WithLabelValues(regAccepted).Inc()
	u.n.m.regDuration.Observe(time.Since(reg.start).Seconds())
	u.loggerLocked().Debug("registered", "tmsi", fmt.Sprintf("%08x", reg.newTMSI))
}

func (n *NF) gutiOf(tmsi uint32) *nas5g.GUTI {
	return &nas5g.GUTI{PLMN: n.plmn, AMFRegionID: n.guami.RegionID, AMFSetID: n.guami.SetID,
		AMFPointer: n.guami.Pointer, TMSI: tmsi}
}
