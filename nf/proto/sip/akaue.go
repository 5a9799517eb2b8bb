package sip

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/corebox/corebox/nf/aka"
)

// AKACard is the UE's ISIM/USIM as IMS AKA needs it: check AUTN, and
// yield RES, CK and IK, or an error (*aka.SynchFailureError carrying AUTS
// on an out-of-range SQN, aka.ErrMACFailure on a forged challenge).
type AKACard interface {
	RunAKA(rand aka.RAND, autn aka.AUTN) (res []byte, ck [aka.CKLen]byte, ik [aka.IKLen]byte, err error)
}

// USIMCard adapts an *aka.USIM run as an ISIM (aka.USIM.AuthenticateIMS:
// RES, CK and IK of TS 33.102; IMS vectors carry no AMF separation bit).
type USIMCard struct {
	USIM *aka.USIM
}

// RunAKA implements AKACard.
func (c USIMCard) RunAKA(r aka.RAND, autn aka.AUTN) ([]byte, [aka.CKLen]byte, [aka.IKLen]byte, error) {
	res, err := c.USIM.AuthenticateIMS(r, autn)
	if err != nil {
		return nil, [aka.CKLen]byte{}, [aka.IKLen]byte{}, err
	}
	return res.RES[:], res.CK, res.IK, nil
}

// AKAAnswer is what the UE computed for a challenge.
type AKAAnswer struct {
	Authorization Authorization
	// CK and IK are set on success (for IPsec, were it in scope).
	CK [aka.CKLen]byte
	IK [aka.IKLen]byte
	// Resync is set when the answer carries auts.
	Resync bool
}

// AnswerAKA computes the UE's credentials for challenge c (TS 24.229
// 5.1.1.5): the Digest response with RES as the password, or, on synch
// failure, auts with the response over an empty password (RFC 3310 3.4).
// A MAC failure is returned as an error wrapping aka.ErrMACFailure: the UE
// must not answer with credentials then. nc is the nonce count for c
// (1 for the first use).
func AnswerAKA(c Challenge, card AKACard, username, method, uri string, nc uint32) (AKAAnswer, error) {
	if !strings.EqualFold(c.Algorithm, AlgorithmAKAv1MD5) {
		return AKAAnswer{}, fmt.Errorf("answer aka: algorithm %q is not %s", c.Algorithm, AlgorithmAKAv1MD5)
	}
	r, autn, err := DecodeAKANonce(c.Nonce)
	if err != nil {
		return AKAAnswer{}, fmt.Errorf("answer aka: %w", err)
	}
	a := Authorization{Username: username, Realm: c.Realm, Nonce: c.Nonce, URI: uri, Algorithm: AlgorithmAKAv1MD5, Opaque: c.Opaque}
	if len(c.QOP) > 0 {
		if a.CNonce, err = newCNonce(); err != nil {
			return AKAAnswer{}, fmt.Errorf("answer aka: %w", err)
		}
		a.QOP, a.NC = QOPAuth, fmt.Sprintf("%08x", nc)
	}
	res, ck, ik, err := card.RunAKA(r, autn)
	var synch *aka.SynchFailureError
	switch {
	case errors.As(err, &synch):
		a.AUTS = base64.StdEncoding.EncodeToString(synch.AUTS[:])
		a.Response = respond(a, method, nil)
		return AKAAnswer{Authorization: a, Resync: true}, nil
	case err != nil:
		return AKAAnswer{}, fmt.Errorf("answer aka for %q: %w", username, err)
	}
	a.Response = respond(a, method, res)
	return AKAAnswer{Authorization: a, CK: ck, IK: ik}, nil
}

func respond(a Authorization, method string, password []byte) string {
	return DigestResponse(DigestInput{
		Username: a.Username, Realm: a.Realm, Password: password,
		Method: method, URI: a.URI, Nonce: a.Nonce,
		QOP: a.QOP, NC: a.NC, CNonce: a.CNonce,
	})
}

// InitialAuthorization is the Authorization of an initial REGISTER (TS
// 24.229 5.1.1.2.1): the private identity, empty nonce and response.
func InitialAuthorization(impi, realm, uri string) Authorization {
	return Authorization{Username: impi, Realm: realm, URI: uri}
}

func newCNonce() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cnonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
