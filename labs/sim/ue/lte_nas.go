package ue

import (
	"errors"
	"fmt"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// epsDownlink is an opened downlink EPS NAS PDU.
type epsDownlink struct {
	msg naseps.Message
	// raw is the PDU as received; a Security Mode Command is verified from
	// it once its keys exist.
	raw []byte
}

// epsPlainAllowed lists what a UE takes without integrity protection
// (TS 24.301 4.4.4.2: nothing else is processed before secure exchange is
// established, nor after); the Identity Request only when it asks for the
// IMSI.
var epsPlainAllowed = map[naseps.MessageType]bool{
	naseps.MsgAuthenticationReq: true, naseps.MsgAuthenticationReject: true, naseps.MsgAttachReject: true,
	naseps.MsgDetachAccept: true, naseps.MsgTAUReject: true, naseps.MsgServiceReject: true,
}

// openEPS checks and decodes a downlink EPS NAS PDU. Whatever does not
// decode or verify is counted and gives errDropped.
func (u *UE) openEPS(pdu []byte) (epsDownlink, error) {
	ht, err := naseps.HeaderTypeOf(pdu)
	if err != nil {
		return epsDownlink{}, u.dropNAS("malformed", err)
	}
	switch {
	case ht == naseps.Plain:
		m, err := naseps.Parse(pdu)
		if err != nil {
			return epsDownlink{}, u.dropEPSDecode(err)
		}
		if !plainAllowedEPS(m) {
			return epsDownlink{}, u.dropNAS("unprotected", fmt.Errorf("%s without integrity protection", m.MessageType()))
		}
		return epsDownlink{msg: m}, nil
	case ht == naseps.IntegrityProtectedNewContext:
		_, inner, err := naseps.ParseSecurityHeader(pdu)
		if err != nil {
			return epsDownlink{}, u.dropNAS("malformed", err)
		}
		smc, err := naseps.ParseAs[*naseps.SecurityModeCommand](inner)
		if err != nil {
			return epsDownlink{}, u.dropEPSDecode(err)
		}
		return epsDownlink{msg: smc, raw: pdu}, nil
	case ht > naseps.IntegrityProtectedAndCipheredNewContext:
		return epsDownlink{}, u.dropNAS("unsupported", fmt.Errorf("security header type %d downlink", ht))
	}
	if u.eps.sec == nil {
		return epsDownlink{}, u.dropNAS("no_context", errors.New("protected PDU before any security context"))
	}
	plain, _, err := u.eps.sec.Unprotect(pdu)
	if err != nil {
		reason := "malformed"
		if errors.Is(err, naseps.ErrMACMismatch) || errors.Is(err, naseps.ErrReplay) || errors.Is(err, naseps.ErrNullAlgorithm) {
			reason = "integrity"
		}
		return epsDownlink{}, u.dropNAS(reason, err)
	}
	m, err := naseps.Parse(plain)
	if err != nil {
		return epsDownlink{}, u.dropEPSDecode(err)
	}
	return epsDownlink{msg: m}, nil
}

func plainAllowedEPS(m naseps.Message) bool {
	if r, ok := m.(*naseps.IdentityRequest); ok {
		return r.Type == naseps.IdentityIMSI
	}
	return epsPlainAllowed[m.MessageType()]
}

func (u *UE) dropEPSDecode(err error) error {
	if errors.Is(err, naseps.ErrUnsupported) {
		return u.dropNAS("unsupported", err)
	}
	return u.dropNAS("malformed", err)
}

// sendEPS sends an uplink EPS NAS PDU: over the connection, or in a
// Connect when idle, prefixed with our S-TMSI when we have a GUTI (what
// RRC Connection Request's ue-Identity would carry).
func (u *UE) sendEPS(pdu []byte) error {
	if u.rrc {
		return u.send(radio.UplinkNAS, 0, pdu)
	}
	body := pdu
	if g := u.eps.guti; g != nil {
		key := stmsiKey(*g)
		body = append(key[:], pdu...)
	}
	u.rrc = true
	u.stopT3412()
	return u.send(radio.Connect, 0, body)
}

// sendEPSPlain sends a message without protection.
func (u *UE) sendEPSPlain(m naseps.Message) error {
	b, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	return u.sendEPS(b)
}

// sendEPSSecured protects a message in the current context: ciphered over
// a connection, integrity protected only as an initial message.
func (u *UE) sendEPSSecured(m naseps.Message) error {
	ht := naseps.IntegrityProtectedAndCiphered
	if !u.rrc {
		ht = naseps.IntegrityProtected
	}
	return u.sendEPSAs(m, ht)
}

func (u *UE) sendEPSAs(m naseps.Message, ht naseps.HeaderType) error {
	if u.eps.sec == nil {
		return errors.New("no EPS NAS security context")
	}
	pdu, err := u.eps.sec.ProtectMessage(m, ht)
	if err != nil {
		return fmt.Errorf("protect %s: %w", m.MessageType(), err)
	}
	return u.sendEPS(pdu)
}

// sendEPSAuto protects a message when a context exists (TS 24.301 4.4.4:
// once a context is in use every message is protected), else sends it
// plain.
func (u *UE) sendEPSAuto(m naseps.Message) error {
	if u.eps.sec != nil {
		return u.sendEPSSecured(m)
	}
	return u.sendEPSPlain(m)
}
