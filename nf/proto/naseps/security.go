package naseps

import (
	"crypto/subtle"
	"fmt"

	"github.com/corebox/corebox/nf/aka"
)

// HeaderType is the security header type of TS 24.301 9.3.1.
type HeaderType uint8

const (
	Plain                                   HeaderType = 0
	IntegrityProtected                      HeaderType = 1
	IntegrityProtectedAndCiphered           HeaderType = 2
	IntegrityProtectedNewContext            HeaderType = 3 // Security Mode Command
	IntegrityProtectedAndCipheredNewContext HeaderType = 4 // Security Mode Complete
	// ServiceRequestHeader marks the SERVICE REQUEST; 13..15 are read as 12.
	ServiceRequestHeader HeaderType = 12
)

func (h HeaderType) ciphered() bool {
	return h == IntegrityProtectedAndCiphered || h == IntegrityProtectedAndCipheredNewContext
}

func (h HeaderType) newContext() bool {
	return h == IntegrityProtectedNewContext || h == IntegrityProtectedAndCipheredNewContext
}

func (h HeaderType) isServiceRequest() bool { return h >= ServiceRequestHeader }

// secHeaderLen: header octet, 4 octets NAS-MAC, sequence number.
const secHeaderLen = 6

// SecurityContext is one end's EPS NAS security context. ULCount and
// DLCount hold the NAS COUNT of the next PDU in each direction: for the
// direction this end sends in, the COUNT it will use next; for the other,
// the lowest COUNT it still accepts (lower ones are replays). Direction is
// the direction this end sends in: Uplink on a UE, Downlink on the MME.
//
// EEA0 and EIA0 are refused with ErrNullAlgorithm unless AllowNull is set
// (TS 33.401 5.1.4.1 allows EIA0 only for unauthenticated emergency calls;
// labs that want readable captures select EEA0).
//
// A SecurityContext is not safe for concurrent use.
type SecurityContext struct {
	KNASenc, KNASint [16]byte
	EncAlg, IntAlg   uint8
	ULCount, DLCount Count
	Direction        Direction
	AllowNull        bool
}

// NewSecurityContext derives KNASenc and KNASint from KASME for the selected
// algorithms (TS 33.401 A.7) and starts both counts at zero.
func NewSecurityContext(kasme aka.Key256, encAlg, intAlg uint8, dir Direction) (*SecurityContext, error) {
	enc, integ, err := aka.DeriveEPSNASKeys(kasme, encAlg, intAlg)
	if err != nil {
		return nil, fmt.Errorf("naseps: derive NAS keys: %w", err)
	}
	return &SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: encAlg, IntAlg: intAlg, Direction: dir}, nil
}

func (sc *SecurityContext) sendCount() *Count {
	if sc.Direction == Downlink {
		return &sc.DLCount
	}
	return &sc.ULCount
}

func (sc *SecurityContext) recvCount() (*Count, Direction) {
	if sc.Direction == Downlink {
		return &sc.ULCount, Uplink
	}
	return &sc.DLCount, Downlink
}

// checkAlgorithms refuses what this context may not run for a PDU of
// header type ht.
func (sc *SecurityContext) checkAlgorithms(ht HeaderType) error {
	if sc.IntAlg > EIA3 || sc.EncAlg > EEA3 {
		return fmt.Errorf("%w: EEA%d/EIA%d", ErrAlgorithm, sc.EncAlg, sc.IntAlg)
	}
	if !sc.AllowNull && (sc.IntAlg == EIA0 || ht.ciphered() && sc.EncAlg == EEA0) {
		return fmt.Errorf("%w: EEA%d/EIA%d", ErrNullAlgorithm, sc.EncAlg, sc.IntAlg)
	}
	return nil
}

// Protect wraps a plain NAS message (EMM or ESM) into a security protected
// PDU of header type ht and advances this end's sending COUNT. The "new
// EPS security context" types restart the sending COUNT at zero first, as
// a new context does (Security Mode Command and Complete).
func (sc *SecurityContext) Protect(plain []byte, ht HeaderType) ([]byte, error) {
	if ht < IntegrityProtected || ht > IntegrityProtectedAndCipheredNewContext {
		return nil, fmt.Errorf("%w: protect with security header type %d", ErrInvalid, ht)
	}
	if err := checkPlainHeader(plain); err != nil {
		return nil, fmt.Errorf("naseps: protect: %w", err)
	}
	if err := sc.checkAlgorithms(ht); err != nil {
		return nil, err
	}
	count := sc.sendCount()
	if ht.newContext() {
		*count = 0
	}
	if *count > MaxCount {
		return nil, ErrCountExhausted
	}
	inner := plain
	if ht.ciphered() {
		var err error
		if inner, err = nasCipher(sc.EncAlg, sc.KNASenc, *count, sc.Direction, plain); err != nil {
			return nil, fmt.Errorf("naseps: protect: %w", err)
		}
	}
	pdu := make([]byte, secHeaderLen, secHeaderLen+len(inner))
	pdu[0], pdu[5] = byte(ht)<<4|PDEMM, count.SQN()
	pdu = append(pdu, inner...)
	mac, err := nasMAC(sc.IntAlg, sc.KNASint, *count, sc.Direction, pdu[5:])
	if err != nil {
		return nil, fmt.Errorf("naseps: protect: %w", err)
	}
	copy(pdu[1:5], mac[:])
	*count++
	return pdu, nil
}

// ProtectMessage marshals m and protects it.
func (sc *SecurityContext) ProtectMessage(m Message, ht HeaderType) ([]byte, error) {
	plain, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	return sc.Protect(plain, ht)
}

// Unprotect checks a security protected PDU from the peer and returns the
// plain NAS message inside. The COUNT is estimated from the PDU's sequence
// number and only advanced when the MAC verifies, so a rejected PDU leaves
// the context as it was. A PDU that verifies only at a COUNT below the
// lowest still accepted is a replay (ErrReplay). A "new EPS security
// context" header is checked as the first PDU of a new context (COUNT from
// zero): take it only where one is expected, the UE for the Security Mode
// Command and the MME for its Complete. With EIA0 the MAC is not checked
// (TS 33.401 5.1.4.1), so replays go unnoticed.
func (sc *SecurityContext) Unprotect(pdu []byte) ([]byte, HeaderType, error) {
	hdr, inner, err := ParseSecurityHeader(pdu)
	if err != nil {
		return nil, Plain, err
	}
	if err := sc.checkAlgorithms(hdr.Type); err != nil {
		return nil, hdr.Type, err
	}
	next, dir := sc.recvCount()
	base := *next
	if hdr.Type.newContext() {
		base = 0
	}
	est := estimate(base, hdr.SQN, 8)
	if est > MaxCount {
		return nil, hdr.Type, ErrCountExhausted
	}
	if err := sc.verify(est, dir, hdr.MAC, pdu[5:], 0x100); err != nil {
		return nil, hdr.Type, err
	}
	plain := append([]byte(nil), inner...)
	if hdr.Type.ciphered() {
		if plain, err = nasCipher(sc.EncAlg, sc.KNASenc, est, dir, inner); err != nil {
			return nil, hdr.Type, fmt.Errorf("naseps: unprotect: %w", err)
		}
	}
	if err := checkPlainHeader(plain); err != nil {
		return nil, hdr.Type, fmt.Errorf("naseps: unprotect: inner message: %w", err)
	}
	*next = est + 1
	return plain, hdr.Type, nil
}

// UnprotectMessage unprotects a PDU and parses the message inside.
func (sc *SecurityContext) UnprotectMessage(pdu []byte) (Message, HeaderType, error) {
	plain, ht, err := sc.Unprotect(pdu)
	if err != nil {
		return nil, ht, err
	}
	m, err := Parse(plain)
	return m, ht, err
}

// verify checks a MAC at COUNT est and, when it fails, tells a replay (the
// MAC verifies one window earlier) from a forgery. want holds the MAC's
// octets as sent: 4 for a security header, the 2 low ones for a short MAC.
func (sc *SecurityContext) verify(est Count, dir Direction, want [4]byte, covered []byte, window Count) error {
	if sc.IntAlg == EIA0 {
		return nil
	}
	matches := func(c Count) (bool, error) {
		mac, err := nasMAC(sc.IntAlg, sc.KNASint, c, dir, covered)
		if err != nil {
			return false, fmt.Errorf("naseps: unprotect: %w", err)
		}
		if window == 0x20 { // short MAC: the 2 least significant octets
			return subtle.ConstantTimeCompare(mac[2:], want[2:]) == 1, nil
		}
		return subtle.ConstantTimeCompare(mac[:], want[:]) == 1, nil
	}
	ok, err := matches(est)
	if err != nil || ok {
		return err
	}
	if est >= window {
		if old, err := matches(est - window); err == nil && old {
			return ErrReplay
		}
	}
	return ErrMACMismatch
}

// SecurityHeader is the header of a security protected EMM PDU.
type SecurityHeader struct {
	Type HeaderType
	MAC  [4]byte
	SQN  uint8
}

// ParseSecurityHeader splits a security protected PDU into its header and
// the (possibly ciphered) message inside, without verifying anything. A UE
// uses it to read the Security Mode Command, which it must parse before it
// can derive the keys that verify it.
func ParseSecurityHeader(pdu []byte) (SecurityHeader, []byte, error) {
	var h SecurityHeader
	if len(pdu) < 1 || pdu[0]&0x0F != PDEMM {
		return h, nil, &DecodeError{Field: "security header", Err: fmt.Errorf("not an EMM PDU")}
	}
	ht := HeaderType(pdu[0] >> 4)
	switch {
	case ht == Plain:
		return h, nil, ErrNotProtected
	case ht.isServiceRequest():
		return h, nil, fmt.Errorf("%w: SERVICE REQUEST; use VerifyServiceRequest", ErrUnsupported)
	case ht > IntegrityProtectedAndCipheredNewContext:
		return h, nil, fmt.Errorf("%w: security header type %d", ErrUnsupported, ht)
	}
	if len(pdu) < secHeaderLen+2 {
		return h, nil, &DecodeError{Field: "security header", Err: fmt.Errorf("%w: protected PDU of %d octets", ErrTruncated, len(pdu))}
	}
	h.Type = ht
	copy(h.MAC[:], pdu[1:5])
	h.SQN = pdu[5]
	return h, pdu[secHeaderLen:], nil
}

// HeaderTypeOf reads the security header type of a NAS PDU; ESM messages
// count as plain.
func HeaderTypeOf(pdu []byte) (HeaderType, error) {
	if len(pdu) < 2 {
		return Plain, &DecodeError{Field: "header", Err: ErrTruncated}
	}
	switch pdu[0] & 0x0F {
	case PDESM:
		return Plain, nil
	case PDEMM:
		return HeaderType(pdu[0] >> 4), nil
	}
	return Plain, &DecodeError{Field: "header", Err: fmt.Errorf("protocol discriminator 0x%X", pdu[0]&0x0F)}
}

// checkPlainHeader accepts what may sit inside a protected PDU: a plain
// EMM message or an ESM message.
func checkPlainHeader(b []byte) error {
	switch {
	case len(b) >= 2 && b[0] == PDEMM:
		return nil
	case len(b) >= 3 && b[0]&0x0F == PDESM:
		return nil
	}
	return &DecodeError{Field: "header", Err: fmt.Errorf("not a plain EMM or ESM message (%d octets)", len(b))}
}

// NewServiceRequest builds the UE's SERVICE REQUEST (TS 24.301 8.2.25):
// the 5 low bits of the uplink NAS COUNT and the short MAC, the 2 least
// significant octets of the NAS-MAC over the message's first 2 octets
// (TS 24.301 9.9.3.28). It advances the uplink COUNT.
func (sc *SecurityContext) NewServiceRequest(ksi uint8) (*ServiceRequest, error) {
	if sc.Direction != Uplink {
		return nil, fmt.Errorf("%w: only a UE sends a SERVICE REQUEST", ErrInvalid)
	}
	if ksi > 7 {
		return nil, fmt.Errorf("%w: KSI %d", ErrInvalid, ksi)
	}
	if err := sc.checkAlgorithms(IntegrityProtected); err != nil {
		return nil, err
	}
	if sc.ULCount > MaxCount {
		return nil, ErrCountExhausted
	}
	sr := &ServiceRequest{KSI: ksi, SeqNum: uint8(sc.ULCount) & 0x1F}
	mac, err := nasMAC(sc.IntAlg, sc.KNASint, sc.ULCount, Uplink, sr.covered())
	if err != nil {
		return nil, fmt.Errorf("naseps: service request: %w", err)
	}
	copy(sr.ShortMAC[:], mac[2:])
	sc.ULCount++
	return sr, nil
}

// VerifyServiceRequest is the MME side: it estimates the uplink COUNT
// from the 5-bit sequence number, checks the short MAC and, on success,
// advances the uplink COUNT past it. Errors: ErrMACMismatch, ErrReplay,
// ErrCountExhausted. Matching sr.KSI to this context's KSI is the
// caller's part: the context does not know its KSI.
func (sc *SecurityContext) VerifyServiceRequest(sr *ServiceRequest) error {
	if sc.Direction != Downlink {
		return fmt.Errorf("%w: only the network checks a SERVICE REQUEST", ErrInvalid)
	}
	if err := sc.checkAlgorithms(IntegrityProtected); err != nil {
		return err
	}
	est := estimate(sc.ULCount, sr.SeqNum, 5)
	if est > MaxCount {
		return ErrCountExhausted
	}
	want := [4]byte{0, 0, sr.ShortMAC[0], sr.ShortMAC[1]}
	if err := sc.verify(est, Uplink, want, sr.covered(), 0x20); err != nil {
		return err
	}
	sc.ULCount = est + 1
	return nil
}

// covered is what the short MAC covers: octets 1 and 2 of the message.
func (sr *ServiceRequest) covered() []byte {
	return []byte{byte(ServiceRequestHeader)<<4 | PDEMM, sr.KSI<<5 | sr.SeqNum&0x1F}
}
