package aka

import (
	"crypto/ecdh"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// IMSI is an IMSI-type SUPI split into its parts (TS 23.003 2.2).
type IMSI struct {
	MCC, MNC, MSIN string
}

// Validate checks a 3-digit MCC, a 2/3-digit MNC and an MSIN that keeps
// the IMSI within 15 digits.
func (i IMSI) Validate() error {
	if err := checkPLMN(i.MCC, i.MNC); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSUPI, err)
	}
	if i.MSIN == "" || !isDigits(i.MSIN) || len(i.MCC)+len(i.MNC)+len(i.MSIN) > 15 {
		return fmt.Errorf("%w: MSIN %q", ErrInvalidSUPI, i.MSIN)
	}
	return nil
}

// Digits is MCC || MNC || MSIN.
func (i IMSI) Digits() string { return i.MCC + i.MNC + i.MSIN }

// SUPI is "imsi-<digits>" (TS 29.571 5.3.2).
func (i IMSI) SUPI() string { return "imsi-" + i.Digits() }

// ParseSUPI splits "imsi-<digits>"; mncLen (2 or 3) is not in the string
// and comes from the subscriber's home network.
func ParseSUPI(supi string, mncLen int) (IMSI, error) {
	digits, ok := strings.CutPrefix(supi, "imsi-")
	if !ok || (mncLen != 2 && mncLen != 3) || len(digits) <= 3+mncLen {
		return IMSI{}, fmt.Errorf("%w: %q (MNC length %d)", ErrInvalidSUPI, supi, mncLen)
	}
	i := IMSI{MCC: digits[:3], MNC: digits[3 : 3+mncLen], MSIN: digits[3+mncLen:]}
	if err := i.Validate(); err != nil {
		return IMSI{}, err
	}
	return i, nil
}

// SUCI is an IMSI-based SUCI (TS 23.003 2.2B). For the null scheme,
// SchemeOutput is the BCD MSIN and MSIN holds the digits; for profiles A
// and B, SchemeOutput is the ECIES output and MSIN is empty until
// Deconceal.
type SUCI struct {
	MCC, MNC         string
	RoutingIndicator string // 1 to 4 digits
	Scheme           ProtectionScheme
	HNKeyID          uint8 // home network public key identifier, 0 for null
	SchemeOutput     []byte
	MSIN             string
}

const suciFields = 8 // suci, type, mcc, mnc, routing, scheme, key id, output

// ParseSUCI reads "suci-0-<mcc>-<mnc>-<routing>-<scheme>-<keyid>-<output>"
// (TS 29.503 SuciOrSupi): output is the MSIN digits for the null scheme and
// hex for profiles A and B. Only SUPI type 0 (IMSI) is supported.
func ParseSUCI(str string) (SUCI, error) {
	f := strings.Split(str, "-")
	if len(f) != suciFields || f[0] != "suci" || f[1] != "0" {
		return SUCI{}, fmt.Errorf("%w: %q is not suci-0-<mcc>-<mnc>-<routing>-<scheme>-<keyid>-<output>", ErrInvalidSUCI, str)
	}
	scheme, err := strconv.ParseUint(f[5], 10, 8)
	if err != nil {
		return SUCI{}, fmt.Errorf("%w: scheme %q", ErrInvalidSUCI, f[5])
	}
	keyID, err := strconv.ParseUint(f[6], 10, 8)
	if err != nil {
		return SUCI{}, fmt.Errorf("%w: key id %q", ErrInvalidSUCI, f[6])
	}
	s := SUCI{MCC: f[2], MNC: f[3], RoutingIndicator: f[4],
		Scheme: ProtectionScheme(scheme), HNKeyID: uint8(keyID)}
	if s.Scheme == SchemeNull {
		s.MSIN = f[7]
		s.SchemeOutput = encodeBCD(f[7])
	} else if s.SchemeOutput, err = hex.DecodeString(f[7]); err != nil {
		return SUCI{}, fmt.Errorf("%w: scheme output: %v", ErrInvalidSUCI, err)
	}
	if err := s.Validate(); err != nil {
		return SUCI{}, err
	}
	return s, nil
}

// Validate checks the fields ParseSUCI and String rely on.
func (s SUCI) Validate() error {
	if err := checkPLMN(s.MCC, s.MNC); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSUCI, err)
	}
	if r := s.RoutingIndicator; r == "" || len(r) > 4 || !isDigits(r) {
		return fmt.Errorf("%w: routing indicator %q is not 1-4 digits", ErrInvalidSUCI, r)
	}
	switch s.Scheme {
	case SchemeNull:
		if s.HNKeyID != 0 {
			return fmt.Errorf("%w: null scheme with key id %d", ErrInvalidSUCI, s.HNKeyID)
		}
		if err := (IMSI{MCC: s.MCC, MNC: s.MNC, MSIN: s.MSIN}).Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidSUCI, err)
		}
	case SchemeProfileA, SchemeProfileB:
		if want := s.Scheme.ephPubLen() + 1 + eciesMACLen; len(s.SchemeOutput) < want {
			return fmt.Errorf("%w: scheme output is %d octets, want at least %d", ErrInvalidSUCI, len(s.SchemeOutput), want)
		}
	default:
		return fmt.Errorf("%w: %d", ErrUnsupportedScheme, s.Scheme)
	}
	return nil
}

// String formats the SUCI as ParseSUCI reads it (hex in lower case).
func (s SUCI) String() string {
	out := s.MSIN
	if s.Scheme != SchemeNull {
		out = hex.EncodeToString(s.SchemeOutput)
	}
	return fmt.Sprintf("suci-0-%s-%s-%s-%d-%d-%s", s.MCC, s.MNC, s.RoutingIndicator, s.Scheme, s.HNKeyID, out)
}

// Conceal is the UE side: it builds the SUCI of imsi under the scheme. For
// profiles A and B, hnPub is the home network public key with identifier
// keyID, and eph the ephemeral key (nil draws one). For the null scheme
// hnPub and eph are ignored and keyID must be 0.
func Conceal(imsi IMSI, routing string, scheme ProtectionScheme, keyID uint8, hnPub *ecdh.PublicKey, eph *ecdh.PrivateKey) (SUCI, error) {
	if err := imsi.Validate(); err != nil {
		return SUCI{}, err
	}
	s := SUCI{MCC: imsi.MCC, MNC: imsi.MNC, RoutingIndicator: routing, Scheme: scheme, HNKeyID: keyID}
	input := encodeBCD(imsi.MSIN)
	if scheme == SchemeNull {
		s.MSIN, s.SchemeOutput = imsi.MSIN, input
	} else {
		out, err := Protect(scheme, input, hnPub, eph)
		if err != nil {
			return SUCI{}, fmt.Errorf("aka: conceal: %w", err)
		}
		s.SchemeOutput = out
	}
	if err := s.Validate(); err != nil {
		return SUCI{}, err
	}
	return s, nil
}

// Deconceal is the UDM (SIDF) side: it recovers the IMSI, using hnPriv,
// the private key for s.Scheme and s.HNKeyID (ignored for the null scheme).
func (s SUCI) Deconceal(hnPriv *ecdh.PrivateKey) (IMSI, error) {
	if err := s.Validate(); err != nil {
		return IMSI{}, err
	}
	if s.Scheme == SchemeNull {
		return IMSI{MCC: s.MCC, MNC: s.MNC, MSIN: s.MSIN}, nil
	}
	plain, err := Unprotect(s.Scheme, s.SchemeOutput, hnPriv)
	if err != nil {
		return IMSI{}, fmt.Errorf("aka: deconceal %s: %w", s.prefix(), err)
	}
	msin, err := decodeBCD(plain)
	if err != nil {
		return IMSI{}, fmt.Errorf("%w: deconcealed MSIN: %v", ErrInvalidSUCI, err)
	}
	imsi := IMSI{MCC: s.MCC, MNC: s.MNC, MSIN: msin}
	if err := imsi.Validate(); err != nil {
		return IMSI{}, fmt.Errorf("%w: deconcealed %v", ErrInvalidSUCI, err)
	}
	return imsi, nil
}

// prefix names the SUCI without its output, for error messages.
func (s SUCI) prefix() string {
	return fmt.Sprintf("suci-0-%s-%s-%s-%d-%d", s.MCC, s.MNC, s.RoutingIndicator, s.Scheme, s.HNKeyID)
}
