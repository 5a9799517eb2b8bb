package mme

import (
	"slices"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// selectAlgorithms picks the first configured integrity and ciphering
// algorithms the UE supports.
func (m *MME) selectAlgorithms(c naseps.UENetworkCapability) (enc, integ uint8, ok bool) {
	sc := naseps.UESecurityCapability{EEA: c.EEA, EIA: c.EIA}
	i := slices.IndexFunc(m.integ, sc.SupportsEIA)
	e := slices.IndexFunc(m.cipher, sc.SupportsEEA)
	if i < 0 || e < 0 {
		return 0, 0, false
	}
	return m.cipher[e], m.integ[i], true
}

// securityMode derives the NAS keys from KASME and sends the Security
// Mode Command under the new context.
func (u *ue) securityMode(c *enbUE) {
	m := u.m
	u.mu.Lock()
	a := u.attach
	if a == nil || u.conn != c {
		u.mu.Unlock()
		return
	}
	enc, integ, ok := m.selectAlgorithms(u.netCap)
	if !ok {
		u.loggerLocked().Info("no common NAS algorithm", "eea", u.netCap.EEA, "eia", u.netCap.EIA)
		u.mu.Unlock()
		u.rejectAttach(c, naseps.EMMCauseUESecurityCapMismatch, nil)
		return
	}
	defer u.mu.Unlock()
	sec, err := naseps.NewSecurityContext(u.kasme, enc, integ, naseps.Downlink)
	if err != nil {
		u.loggerLocked().Warn("derive NAS keys", "err", err)
		return
	}
	// EEA0 is chosen only when configured; EIA0 only with allow_null.
	sec.AllowNull = enc == naseps.EEA0 || integ == naseps.EIA0
	u.sec, u.ksi, a.stage = sec, a.auth.ksi, stageSMC
	cmd := &naseps.SecurityModeCommand{EncAlg: enc, IntAlg: integ, KSI: naseps.KSI{Value: u.ksi},
		ReplayedCapability: u.netCap.SecurityCapability()}
	send := func() {
		if err := u.sendSMCLocked(cmd); err != nil {
			u.loggerLocked().Warn("send Security Mode Command", "err", err)
		}
	}
	send()
	u.startTimerLocked("T3460", m.cfg.Timers.T3460, func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.conn != nil && u.sec != nil {
			send()
		}
	}, func() { u.failAttach(attachFailed, s1ap.CauseNASUnspecified) })
}

// sendSMCLocked protects the command as the first PDU of the new context.
func (u *ue) sendSMCLocked(cmd *naseps.SecurityModeCommand) error {
	pdu, err := u.sec.ProtectMessage(cmd, naseps.IntegrityProtectedNewContext)
	if err != nil {
		return err
	}
	u.m.countMsg(ifNAS, dirTx, cmd.MessageType().String())
	return u.conn.e.send(&s1ap.DownlinkNASTransport{UEIDs: u.conn.ids(), NASPDU: pdu}, true)
}

// onSMCComplete: NAS security is up; KeNB will come from this message's
// uplink COUNT.
func (u *ue) onSMCComplete(c *enbUE) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageSMC || u.conn != c {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.stopTimerLocked()
	u.kenbCount = u.lastUL
	u.mu.Unlock()
	u.afterSecurity(c)
}

// onSMCReject ends the attach: the UE refused our algorithms.
func (u *ue) onSMCReject(c *enbUE, rej *naseps.SecurityModeReject) {
	u.mu.Lock()
	a := u.attach
	if a == nil || a.stage != stageSMC || u.conn != c {
		u.mu.Unlock()
		u.m.m.nasDiscarded.Inc()
		return
	}
	u.sec = nil
	u.mu.Unlock()
	u.logger().Info("UE rejected the Security Mode Command", "cause", rej.Cause)
	u.failAttach(attachFailed, s1ap.CauseNormalRelease)
}
