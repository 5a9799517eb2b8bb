package amf

import (
	"slices"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// selectAlgorithms picks the first configured integrity and ciphering
// algorithms the UE supports.
func (n *NF) selectAlgorithms(c nas5g.UESecurityCapability) (enc, integ uint8, ok bool) {
	i := slices.IndexFunc(n.integ, func(a uint8) bool { return c.IA&nas5g.AlgBit(a) != 0 })
	e := slices.IndexFunc(n.cipher, func(a uint8) bool { return c.EA&nas5g.AlgBit(a) != 0 })
	if i < 0 || e < 0 {
		return 0, 0, false
	}
	return n.cipher[e], n.integ[i], true
}

// securityMode derives the NAS keys from KAMF and sends the Security Mode
// Command under the new context.
func (u *ue) securityMode(r *ranUE) {
	n := u.n
	u.mu.Lock()
	if u.reg == nil || u.ran != r {
		u.mu.Unlock()
		return
	}
	enc, integ, ok := n.selectAlgorithms(u.secCap)
	if !ok {
		u.loggerLocked().Info("no common NAS algorithm", "ea", u.secCap.EA, "ia", u.secCap.IA)
		u.mu.Unlock()
		u.rejectRegistration(r, nas5g.CauseUESecurityCapMismatch)
		return
	}
	defer u.mu.Unlock()
	kEnc, kInt, err := aka.DeriveNASKeys(u.kamf, enc, integ)
	if err != nil {
		u.loggerLocked().Warn("derive NAS keys", "err", err)
		return
	}
	u.sec = &nas5g.SecurityContext{KNASenc: kEnc, KNASint: kInt, EncAlg: enc, IntAlg: integ, Direction: nas5g.Downlink}
	u.reg.stage = stageSMC
	cmd := &nas5g.SecurityModeCommand{EncAlg: enc, IntAlg: integ, NgKSI: u.ngKSI,
		ReplayedCapability: u.secCap, ABBA: aka.DefaultABBA[:]}
	send := func() {
		if err := u.sendSMCLocked(cmd); err != nil {
			u.loggerLocked().Warn("send Security Mode Command", "err", err)
		}
	}
	send()
	u.startTimerLocked("T3560", n.cfg.Timers.T3560, func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.ran != nil && u.sec != nil {
			send()
		}
	}, func() { u.failRegistration(regFailed, n2.CauseUnspecified) })
}

// sendSMCLocked protects the command as the first PDU of the new context.
func (u *ue) sendSMCLocked(cmd *nas5g.SecurityModeCommand) error {
	plain, err := cmd.Encode()
	if err != nil {
		return err
	}
	pdu, err := u.sec.Protect(plain, nas5g.IntegrityProtectedNewContext)
	if err != nil {
		return err
	}
	return u.ran.g.send(&n2.DownlinkNASTransport{UEIDs: u.ran.ids(), NASPDU: pdu}, true)
}

// onSMCComplete takes the Security Mode Complete (and the full
// Registration Request it may carry) and moves on to the accept.
func (u *ue) onSMCComplete(r *ranUE, plain []byte) {
	c, err := nas5g.ParseSecurityModeComplete(plain)
	u.mu.Lock()
	if u.reg == nil || u.reg.stage != stageSMC || u.ran != r {
		u.mu.Unlock()
		u.n.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	u.reg.stage = stageAccept
	if err == nil && len(c.NASMessageContainer) > 0 {
		if full, err := nas5g.ParseRegistrationRequest(c.NASMessageContainer); err == nil {
			u.reg.req = full
		}
	}
	u.mu.Unlock()
	if err != nil {
		u.n.m.nasMalformed.Inc()
		u.rejectRegistration(r, nas5g.CauseSemanticallyIncorrect)
		return
	}
	u.finishRegistration(r)
}

// onSMCReject ends the registration: the UE refused our algorithms.
func (u *ue) onSMCReject(r *ranUE, plain []byte) {
	rej, err := nas5g.ParseSecurityModeReject(plain)
	u.mu.Lock()
	if u.reg == nil || u.reg.stage != stageSMC || u.ran != r {
		u.mu.Unlock()
		u.n.m.nasDiscarded.Inc()
		return
	}
	u.sec = nil
	u.mu.Unlock()
	if err == nil {
		u.logger().Info("UE rejected the Security Mode Command", "cause", rej.Cause)
	}
	u.failRegistration(regFailed, n2.CauseNormalRelease)
}
