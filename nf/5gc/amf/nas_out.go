package amf

import (
	"errors"
	"fmt"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// errNoConnection: the UE has no NG connection (CM-IDLE) to send on.
var errNoConnection = errors.New("UE is CM-IDLE")

// protectLocked wraps a plain 5GMM message with the UE's security context
// (integrity and ciphering), or leaves it plain without one.
func (u *ue) protectLocked(plain []byte) ([]byte, error) {
	if u.sec == nil {
		return plain, nil
	}
	pdu, err := u.sec.Protect(plain, nas5g.IntegrityProtectedAndCiphered)
	if err != nil {
		return nil, fmt.Errorf("protect NAS: %w", err)
	}
	return pdu, nil
}

// sendNASLocked protects plain and sends it in a Downlink NAS Transport.
// Protecting and sending under u.mu keeps DL NAS COUNTs in wire order.
func (u *ue) sendNASLocked(plain []byte) error {
	r := u.ran
	if r == nil {
		return errNoConnection
	}
	pdu, err := u.protectLocked(plain)
	if err != nil {
		return err
	}
	return r.g.send(&n2.DownlinkNASTransport{UEIDs: r.ids(), NASPDU: pdu}, true)
}

// sendMsgLocked encodes a NAS message and sends it (see sendNASLocked).
func (u *ue) sendMsgLocked(m nas5g.Message) error {
	plain, err := m.Encode()
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	return u.sendNASLocked(plain)
}

// sendMsg is sendMsgLocked taking the lock, logging a failure.
func (u *ue) sendMsg(m nas5g.Message) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.sendMsgLocked(m); err != nil {
		u.loggerLocked().Warn("send NAS", "type", m.MessageType(), "err", err)
	}
}

// sendReleaseLocked sends UE Context Release Command for r. The UE goes
// CM-IDLE now; r is forgotten when the gNB completes the release.
func (u *ue) sendReleaseLocked(r *ranUE, cause n2.Cause) {
	if u.ran == r {
		u.setRAN(nil)
	}
	if r.released {
		return
	}
	r.released = true
	if err := r.g.send(&n2.UEContextReleaseCommand{UEIDs: r.ids(), Cause: cause}, true); err != nil {
		u.loggerLocked().Warn("send UE Context Release Command", "err", err)
	}
}

// release is sendReleaseLocked for the UE's current connection.
func (u *ue) release(cause n2.Cause) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if r := u.ran; r != nil {
		u.sendReleaseLocked(r, cause)
	}
}

// securityCapabilities maps the UE's NAS capability octets onto the NGAP
// bitmaps (first bit 128-NEA1/NIA1).
func securityCapabilities(c nas5g.UESecurityCapability) n2.UESecurityCapabilities {
	var s n2.UESecurityCapabilities
	for alg := uint8(1); alg <= 3; alg++ {
		bit := nas5g.AlgBit(alg)
		if c.EA&bit != 0 {
			s.NREncryption |= n2.Alg128Bit(alg)
		}
		if c.IA&bit != 0 {
			s.NRIntegrity |= n2.Alg128Bit(alg)
		}
		if c.HasEPS && c.EEA&bit != 0 {
			s.EUTRAEncryption |= n2.Alg128Bit(alg)
		}
		if c.HasEPS && c.EIA&bit != 0 {
			s.EUTRAIntegrity |= n2.Alg128Bit(alg)
		}
	}
	return s
}
