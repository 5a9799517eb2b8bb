package sip

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/corebox/corebox/nf/aka"
)

var (
	// ErrAuthFailed: the Digest response did not match.
	ErrAuthFailed = errors.New("sip: AKA digest response mismatch")
	// ErrAuthMismatch: the credentials answer another challenge (nonce,
	// realm, algorithm or qop differ from what was sent).
	ErrAuthMismatch = errors.New("sip: credentials do not answer the challenge")
)

// AKAVector is the IMS AKA authentication vector of TS 33.203 6.1: what
// the HSS hands the S-CSCF in a Cx Multimedia-Auth-Answer.
type AKAVector struct {
	RAND aka.RAND
	AUTN aka.AUTN
	XRES [aka.RESLen]byte
	CK   [aka.CKLen]byte
	IK   [aka.IKLen]byte
	SQN  aka.SQN
}

// GenerateAKAVector builds an IMS AV for sqn and amf with the given RAND.
// Use an AMF with the separation bit set (aka.AMF5G): our USIM, shared with
// EPS and 5G, rejects others.
func GenerateAKAVector(m *aka.Milenage, sqn aka.SQN, amf aka.AMF, rand aka.RAND) AKAVector {
	res, ck, ik, ak := m.F2345(rand)
	mac := m.F1(rand, sqn, amf)
	v := AKAVector{RAND: rand, XRES: res, CK: ck, IK: ik, SQN: sqn}
	sqnb, amfb := sqn.Bytes(), amf.Bytes()
	for i := range sqnb {
		v.AUTN[i] = sqnb[i] ^ ak[i]
	}
	copy(v.AUTN[aka.SQNLen:], amfb[:])
	copy(v.AUTN[aka.SQNLen+aka.AMFLen:], mac[:])
	return v
}

// Nonce is base64(RAND || AUTN) (RFC 3310 3.2).
func (v AKAVector) Nonce() string { return EncodeAKANonce(v.RAND, v.AUTN) }

// EncodeAKANonce is base64(RAND || AUTN).
func EncodeAKANonce(rand aka.RAND, autn aka.AUTN) string {
	var b [aka.RANDLen + aka.AUTNLen]byte
	copy(b[:], rand[:])
	copy(b[aka.RANDLen:], autn[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// DecodeAKANonce splits an AKAv1 nonce into RAND and AUTN. RFC 3310 allows
// server data after AUTN; it is ignored.
func DecodeAKANonce(nonce string) (aka.RAND, aka.AUTN, error) {
	b, err := base64.StdEncoding.DecodeString(nonce)
	if err != nil {
		return aka.RAND{}, aka.AUTN{}, fmt.Errorf("aka nonce: %w", malformed("nonce", err.Error()))
	}
	if len(b) < aka.RANDLen+aka.AUTNLen {
		return aka.RAND{}, aka.AUTN{}, fmt.Errorf("aka nonce: %w", malformed("nonce", fmt.Sprintf("%d octets", len(b))))
	}
	return aka.RAND(b[:aka.RANDLen]), aka.AUTN(b[aka.RANDLen : aka.RANDLen+aka.AUTNLen]), nil
}

// NewAKAChallenge is the S-CSCF's 401 challenge for v. withKeys adds ck and
// ik for the P-CSCF (S-CSCF to P-CSCF leg only).
func NewAKAChallenge(realm string, v AKAVector, withKeys bool) Challenge {
	c := Challenge{Realm: realm, Nonce: v.Nonce(), Algorithm: AlgorithmAKAv1MD5, QOP: []string{QOPAuth}}
	if withKeys {
		c.CK, c.IK = hex.EncodeToString(v.CK[:]), hex.EncodeToString(v.IK[:])
	}
	return c
}

// ChallengeKeys returns the ck and ik a P-CSCF received in a challenge.
func (c Challenge) ChallengeKeys() (ck [aka.CKLen]byte, ik [aka.IKLen]byte, err error) {
	if err := decodeHexInto(ck[:], c.CK); err != nil {
		return ck, ik, fmt.Errorf("challenge ck: %w", err)
	}
	if err := decodeHexInto(ik[:], c.IK); err != nil {
		return ck, ik, fmt.Errorf("challenge ik: %w", err)
	}
	return ck, ik, nil
}

func decodeHexInto(dst []byte, s string) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(dst) {
		return malformed("hex key", fmt.Sprintf("%q", s))
	}
	copy(dst, b)
	return nil
}

// VerifyAKA checks credentials a sent with method against the challenge c
// that carried vector v (S-CSCF, TS 33.203 6.1.1). The password is XRES as
// raw bytes. A resync answer (auts present) is not verified here: see
// ResyncAUTS. Replay protection (nonce-count monotonicity, nonce lifetime)
// is left to the caller, which owns the registration state.
func VerifyAKA(a Authorization, method string, c Challenge, xres []byte) error {
	if a.Nonce != c.Nonce || a.Realm != c.Realm {
		return fmt.Errorf("verify aka: %w (nonce or realm)", ErrAuthMismatch)
	}
	if a.Algorithm != "" && !strings.EqualFold(a.Algorithm, AlgorithmAKAv1MD5) {
		return fmt.Errorf("verify aka: %w (algorithm %q)", ErrAuthMismatch, a.Algorithm)
	}
	if len(c.QOP) > 0 && (a.QOP != QOPAuth || a.NC == "" || a.CNonce == "") {
		return fmt.Errorf("verify aka: %w (qop %q, nc %q, cnonce set %v)", ErrAuthMismatch, a.QOP, a.NC, a.CNonce != "")
	}
	want := DigestResponse(DigestInput{
		Username: a.Username, Realm: a.Realm, Password: xres,
		Method: method, URI: a.URI, Nonce: a.Nonce,
		QOP: a.QOP, NC: a.NC, CNonce: a.CNonce,
	})
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(a.Response)), []byte(want)) != 1 {
		return fmt.Errorf("verify aka for %q: %w", a.Username, ErrAuthFailed)
	}
	return nil
}

// ResyncAUTS returns RAND (from the nonce) and AUTS when a asks for
// resynchronisation; ok is false when there is no auts parameter. The
// S-CSCF sends RAND||AUTS to the HSS (Cx SIP-Authorization), which runs
// aka.Milenage.VerifyAUTS. auts is base64 (RFC 3310 3.4); 28 hex digits,
// as sipp writes it, are accepted too.
func (a Authorization) ResyncAUTS() (rand aka.RAND, auts aka.AUTS, ok bool, err error) {
	if a.AUTS == "" {
		return rand, auts, false, nil
	}
	rand, _, err = DecodeAKANonce(a.Nonce)
	if err != nil {
		return rand, auts, true, fmt.Errorf("resync: %w", err)
	}
	raw, err := decodeAUTS(a.AUTS)
	if err != nil {
		return rand, auts, true, fmt.Errorf("resync: %w", err)
	}
	auts, err = aka.ParseAUTS(raw)
	if err != nil {
		return rand, auts, true, fmt.Errorf("resync: %w", malformed("auts", err.Error()))
	}
	return rand, auts, true, nil
}

func decodeAUTS(s string) ([]byte, error) {
	if len(s) == 2*aka.AUTSLen {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, malformed("auts", err.Error())
	}
	return b, nil
}
