package nas5g

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// Direction is the DIRECTION input of the NAS algorithms.
type Direction uint8

const (
	Uplink   Direction = 0
	Downlink Direction = 1
)

func (d Direction) String() string {
	if d == Downlink {
		return "downlink"
	}
	return "uplink"
}

// Bearer3GPP is the BEARER input for NAS over 3GPP access (TS 33.501
// 6.4.3.1). free5gc, open5gs and UERANSIM all use 1 here; so do we.
const Bearer3GPP uint8 = 1

// HeaderType is the security header type of TS 24.501 9.3.
type HeaderType uint8

const (
	Plain                                   HeaderType = 0
	IntegrityProtected                      HeaderType = 1
	IntegrityProtectedAndCiphered           HeaderType = 2
	IntegrityProtectedNewContext            HeaderType = 3 // Security Mode Command
	IntegrityProtectedAndCipheredNewContext HeaderType = 4 // Security Mode Complete
)

func (h HeaderType) ciphered() bool {
	return h == IntegrityProtectedAndCiphered || h == IntegrityProtectedAndCipheredNewContext
}

func (h HeaderType) newContext() bool {
	return h == IntegrityProtectedNewContext || h == IntegrityProtectedAndCipheredNewContext
}

// Algorithm identifiers (TS 33.501 5.11.1.1); the same numbers name NEAx
// and NIAx.
const (
	NEA0 uint8 = 0
	NEA1 uint8 = 1 // SNOW 3G
	NEA2 uint8 = 2 // AES
	NEA3 uint8 = 3 // ZUC
	NIA0 uint8 = 0
	NIA1 uint8 = 1
	NIA2 uint8 = 2
	NIA3 uint8 = 3
)

const (
	epd5GMM          = 0x7E
	epd5GSM          = 0x2E
	secHeaderLen     = 7 // EPD, header type, 4 octets MAC, SQN
	minPlainGMMOctet = 3
)

// SecurityContext is one end's 5G NAS security context. ULCount and DLCount
// hold the NAS COUNT of the next PDU in each direction: for the direction
// this end sends in, the COUNT it will use next; for the other, the lowest
// COUNT it still accepts. A new context starts both at zero. Direction is
// the direction this end sends in: Uplink on a UE, Downlink on the AMF.
//
// A SecurityContext is not safe for concurrent use.
type SecurityContext struct {
	KNASenc, KNASint [16]byte
	EncAlg, IntAlg   uint8
	ULCount, DLCount Count
	Direction        Direction
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

// Protect wraps a plain NAS message into a security protected PDU of header
// type ht and advances this end's sending COUNT. The "new 5G NAS security
// context" types restart the sending COUNT at zero first, as a new context
// does (the Security Mode Command and its Complete).
func (sc *SecurityContext) Protect(plain []byte, ht HeaderType) ([]byte, error) {
	if ht < IntegrityProtected || ht > IntegrityProtectedAndCipheredNewContext {
		return nil, fmt.Errorf("nas5g: protect: header type %d is not a protected type", ht)
	}
	if len(plain) < minPlainGMMOctet {
		return nil, fmt.Errorf("nas5g: protect: plain message of %d octets", len(plain))
	}
	count := sc.sendCount()
	if ht.newContext() {
		*count = 0
	}
	if *count > maxCount {
		return nil, ErrCountExhausted
	}
	inner := plain
	if ht.ciphered() {
		var err error
		if inner, err = sc.cipher(*count, sc.Direction, plain); err != nil {
			return nil, fmt.Errorf("nas5g: protect: %w", err)
		}
	}
	pdu := make([]byte, secHeaderLen, secHeaderLen+len(inner))
	pdu[0], pdu[1], pdu[6] = epd5GMM, byte(ht), count.SQN()
	pdu = append(pdu, inner...)
	mac, err := sc.mac(*count, sc.Direction, pdu[6:])
	if err != nil {
		return nil, fmt.Errorf("nas5g: protect: %w", err)
	}
	copy(pdu[2:6], mac[:])
	*count++
	return pdu, nil
}

// Unprotect checks a security protected PDU from the peer and returns the
// plain NAS message inside. The COUNT is estimated from the PDU's sequence
// number; it is only advanced when the MAC verifies, so a rejected PDU
// leaves the context as it was. A PDU whose header announces a new 5G NAS
// security context is checked as the first of that context (COUNT from
// zero), so take it only where a new context is expected: the UE for the
// Security Mode Command, the AMF for its Complete. Errors: ErrNotProtected,
// ErrMACMismatch, ErrReplay, ErrMalformed, ErrCountExhausted.
func (sc *SecurityContext) Unprotect(pdu []byte) ([]byte, HeaderType, error) {
	hdr, inner, err := ParseSecurityHeader(pdu)
	if err != nil {
		return nil, Plain, err
	}
	next, dir := sc.recvCount()
	base := *next
	if hdr.Type.newContext() {
		base = 0
	}
	est := estimate(base, hdr.SQN)
	if est > maxCount {
		return nil, hdr.Type, ErrCountExhausted
	}
	if err := sc.verify(est, dir, hdr, pdu[6:]); err != nil {
		return nil, hdr.Type, err
	}
	plain := append([]byte(nil), inner...)
	if hdr.Type.ciphered() {
		if plain, err = sc.cipher(est, dir, inner); err != nil {
			return nil, hdr.Type, fmt.Errorf("nas5g: unprotect: %w", err)
		}
	}
	*next = est + 1
	return plain, hdr.Type, nil
}

// verify checks the MAC at COUNT est and, when it fails, tells a replay (the
// MAC verifies one overflow earlier) from a forgery. With NIA0 the receiver
// does not check the MAC (TS 33.501 D.1).
func (sc *SecurityContext) verify(est Count, dir Direction, hdr SecurityHeader, covered []byte) error {
	if sc.IntAlg == NIA0 {
		return nil
	}
	mac, err := sc.mac(est, dir, covered)
	if err != nil {
		return fmt.Errorf("nas5g: unprotect: %w", err)
	}
	if subtle.ConstantTimeCompare(mac[:], hdr.MAC[:]) == 1 {
		return nil
	}
	if est >= 0x100 {
		old, err := sc.mac(est-0x100, dir, covered)
		if err == nil && subtle.ConstantTimeCompare(old[:], hdr.MAC[:]) == 1 {
			return ErrReplay
		}
	}
	return ErrMACMismatch
}

// SecurityHeader is the header of a security protected 5GMM PDU.
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
	ht, err := HeaderTypeOf(pdu)
	if err != nil {
		return h, nil, err
	}
	if ht == Plain {
		return h, nil, ErrNotProtected
	}
	if len(pdu) < secHeaderLen+minPlainGMMOctet {
		return h, nil, fmt.Errorf("%w: protected PDU of %d octets", ErrMalformed, len(pdu))
	}
	h.Type = ht
	copy(h.MAC[:], pdu[2:6])
	h.SQN = pdu[6]
	return h, pdu[secHeaderLen:], nil
}

// HeaderTypeOf reads the security header type of a NAS PDU. 5GSM messages,
// which never travel outside a 5GMM container, count as plain.
func HeaderTypeOf(pdu []byte) (HeaderType, error) {
	if len(pdu) < 2 {
		return Plain, fmt.Errorf("%w: %d octets", ErrMalformed, len(pdu))
	}
	switch pdu[0] {
	case epd5GSM:
		return Plain, nil
	case epd5GMM:
	default:
		return Plain, fmt.Errorf("%w: extended protocol discriminator 0x%02x", ErrMalformed, pdu[0])
	}
	if pdu[1]&0xF0 != 0 {
		return Plain, fmt.Errorf("%w: spare half octet 0x%02x", ErrMalformed, pdu[1])
	}
	ht := HeaderType(pdu[1])
	if ht > IntegrityProtectedAndCipheredNewContext {
		return Plain, fmt.Errorf("%w: security header type %d", ErrMalformed, ht)
	}
	return ht, nil
}

var errAlgorithm = errors.New("unsupported algorithm")

// mac runs free5gc's NIA over sqn||message with our COUNT and BEARER.
func (sc *SecurityContext) mac(count Count, dir Direction, covered []byte) ([4]byte, error) {
	var out [4]byte
	if sc.IntAlg > NIA3 {
		return out, fmt.Errorf("%w: NIA%d", errAlgorithm, sc.IntAlg)
	}
	f := sc.free5gcCtx(count)
	mac, err := f.NASMacCalculate(message.Direction(dir), covered)
	if err != nil {
		return out, fmt.Errorf("NIA%d: %w", sc.IntAlg, err)
	}
	if len(mac) != len(out) {
		return out, fmt.Errorf("NIA%d: MAC of %d octets", sc.IntAlg, len(mac))
	}
	copy(out[:], mac)
	return out, nil
}

// cipher runs free5gc's NEA (its own inverse) with our COUNT and BEARER.
func (sc *SecurityContext) cipher(count Count, dir Direction, data []byte) ([]byte, error) {
	if sc.EncAlg > NEA3 {
		return nil, fmt.Errorf("%w: NEA%d", errAlgorithm, sc.EncAlg)
	}
	f := sc.free5gcCtx(count)
	out, err := f.NASEncrypt(message.Direction(dir), data)
	if err != nil {
		return nil, fmt.Errorf("NEA%d: %w", sc.EncAlg, err)
	}
	if sc.EncAlg == NEA0 {
		out = append([]byte(nil), out...) // free5gc returns the input itself
	}
	return out, nil
}

// free5gcCtx is a throwaway free5gc context whose both counts are count:
// free5gc picks the count by direction, we have already picked it.
func (sc *SecurityContext) free5gcCtx(count Count) *message.SecCtx {
	return &message.SecCtx{
		Bearer:        message.BearerType(Bearer3GPP),
		UplinkCount:   &message.Count{Count: uint32(count)},
		DownlinkCount: &message.Count{Count: uint32(count)},
		CipheringAlg:  ie.AlgCiphering(sc.EncAlg),
		IntegrityAlg:  ie.AlgIntegrity(sc.IntAlg),
		KnasEnc:       sc.KNASenc,
		KnasInt:       sc.KNASint,
	}
}
