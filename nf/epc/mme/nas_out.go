package mme

import (
	"errors"
	"fmt"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// errNoConnection: the UE has no S1 connection (ECM-IDLE) to send on.
var errNoConnection = errors.New("UE is ECM-IDLE")

// protectLocked wraps a plain NAS message with the UE's security context
// (integrity and ciphering), or leaves it plain without one.
func (u *ue) protectLocked(plain []byte) ([]byte, error) {
	if u.sec == nil {
		return plain, nil
	}
	pdu, err := u.sec.Protect(plain, naseps.IntegrityProtectedAndCiphered)
	if err != nil {
		return nil, fmt.Errorf("protect NAS: %w", err)
	}
	return pdu, nil
}

// encodeLocked marshals and protects msg, counting it as sent.
func (u *ue) encodeLocked(msg naseps.Message) ([]byte, error) {
	plain, err := msg.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", msg.MessageType(), err)
	}
	pdu, err := u.protectLocked(plain)
	if err != nil {
		return nil, err
	}
	u.m.countMsg(ifNAS, dirTx, msg.MessageType().String())
	return pdu, nil
}

// sendMsgLocked protects msg and sends it in a Downlink NAS Transport.
// Protecting and sending under u.mu keeps downlink COUNTs in wire order.
func (u *ue) sendMsgLocked(msg naseps.Message) error {
	c := u.conn
	if c == nil {
		return errNoConnection
	}
	pdu, err := u.encodeLocked(msg)
	if err != nil {
		return err
	}
	return c.e.send(&s1ap.DownlinkNASTransport{UEIDs: c.ids(), NASPDU: pdu}, true)
}

// sendMsg is sendMsgLocked taking the lock, logging a failure.
func (u *ue) sendMsg(msg naseps.Message) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.sendMsgLocked(msg); err != nil {
		u.loggerLocked().Warn("send NAS", "type", msg.MessageType(), "err", err)
	}
}

// sendReleaseLocked sends UE Context Release Command for c. The UE goes
// ECM-IDLE now; c is forgotten when the eNB completes the release.
func (u *ue) sendReleaseLocked(c *enbUE, cause s1ap.Cause) {
	if u.conn == c {
		u.setConnLocked(nil)
	}
	if c.released {
		return
	}
	c.released = true
	if err := c.e.send(&s1ap.UEContextReleaseCommand{UEIDs: c.ids(), Cause: cause}, true); err != nil {
		u.loggerLocked().Warn("send UE Context Release Command", "err", err)
	}
}

// release is sendReleaseLocked for the UE's current connection.
func (u *ue) release(cause s1ap.Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.conn; c != nil {
		u.sendReleaseLocked(c, cause)
	}
}

// securityCapabilities maps the UE network capability's EEA and EIA
// octets (bit 8 is algorithm 0) onto the S1AP bitmaps (first bit
// 128-EEA1/EIA1).
func securityCapabilities(c naseps.UENetworkCapability) s1ap.UESecurityCapabilities {
	var s s1ap.UESecurityCapabilities
	for alg := uint8(1); alg <= 3; alg++ {
		bit := uint8(0x80) >> alg
		if c.EEA&bit != 0 {
			s.Encryption |= s1ap.Alg128Bit(alg)
		}
		if c.EIA&bit != 0 {
			s.Integrity |= s1ap.Alg128Bit(alg)
		}
	}
	return s
}
