package aka

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// ProtectionScheme is the SUCI protection scheme identifier (TS 33.501
// Annex C, TS 24.501 9.11.3.4).
type ProtectionScheme uint8

const (
	SchemeNull     ProtectionScheme = 0
	SchemeProfileA ProtectionScheme = 1 // X25519
	SchemeProfileB ProtectionScheme = 2 // secp256r1, compressed points
)

// ECIES parameters common to both profiles (TS 33.501 C.3.4.1/C.3.4.2).
const (
	eciesEncKeyLen = 16 // AES-128
	eciesICBLen    = 16
	eciesMACKeyLen = 32 // HMAC-SHA-256
	eciesMACLen    = 8
	x25519KeyLen   = 32
	p256PubLen     = 33 // compressed
	p256FullLen    = 65 // uncompressed
)

func (s ProtectionScheme) curve() (ecdh.Curve, error) {
	switch s {
	case SchemeProfileA:
		return ecdh.X25519(), nil
	case SchemeProfileB:
		return ecdh.P256(), nil
	}
	return nil, fmt.Errorf("%w: %d has no ECIES curve", ErrUnsupportedScheme, s)
}

// ephPubLen is the length of the ephemeral public key in a scheme output.
func (s ProtectionScheme) ephPubLen() int {
	if s == SchemeProfileB {
		return p256PubLen
	}
	return x25519KeyLen
}

// GenerateHNKey makes a home network key pair for profile A or B.
func GenerateHNKey(s ProtectionScheme) (*ecdh.PrivateKey, error) {
	c, err := s.curve()
	if err != nil {
		return nil, err
	}
	k, err := c.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("aka: generate home network key: %w", err)
	}
	return k, nil
}

// ParseHNPrivateKey reads a 32-octet home network private key.
func ParseHNPrivateKey(s ProtectionScheme, b []byte) (*ecdh.PrivateKey, error) {
	c, err := s.curve()
	if err != nil {
		return nil, err
	}
	k, err := c.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: home network private key: %v", ErrInvalidKey, err)
	}
	return k, nil
}

// ParseHNPublicKey reads a home network public key: 32 octets for profile
// A; for profile B a compressed (33) or uncompressed (65) point.
func ParseHNPublicKey(s ProtectionScheme, b []byte) (*ecdh.PublicKey, error) {
	c, err := s.curve()
	if err != nil {
		return nil, err
	}
	if s == SchemeProfileB && len(b) == p256PubLen {
		if b, err = decompressP256(b); err != nil {
			return nil, err
		}
	}
	k, err := c.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: home network public key: %v", ErrInvalidKey, err)
	}
	return k, nil
}

// MarshalHNPublicKey is the form a USIM is provisioned with: 32 octets for
// profile A, the compressed point for profile B.
func MarshalHNPublicKey(s ProtectionScheme, k *ecdh.PublicKey) ([]byte, error) {
	if _, err := s.curve(); err != nil {
		return nil, err
	}
	return encodeEphemeral(s, k), nil
}

func decompressP256(b []byte) ([]byte, error) {
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, fmt.Errorf("%w: not a compressed P-256 point", ErrInvalidKey)
	}
	out := make([]byte, p256FullLen)
	out[0] = 0x04
	x.FillBytes(out[1:33])
	y.FillBytes(out[33:])
	return out, nil
}

// encodeEphemeral gives the public key as it travels in the scheme output.
func encodeEphemeral(s ProtectionScheme, k *ecdh.PublicKey) []byte {
	b := k.Bytes()
	if s != SchemeProfileB {
		return b
	}
	out := make([]byte, p256PubLen)
	out[0] = 0x02 | b[p256FullLen-1]&1 // parity of y
	copy(out[1:], b[1:33])
	return out
}

// eciesKeys are the KDF outputs of TS 33.501 C.3.2.
type eciesKeys struct {
	enc [eciesEncKeyLen]byte
	icb [eciesICBLen]byte
	mac [eciesMACKeyLen]byte
}

// x963KDF is the ANSI X9.63 KDF with SHA-256 (SEC 1 3.6.1), SharedInfo1 =
// the ephemeral public key as sent, for the 64 octets of key material.
func x963KDF(z, sharedInfo []byte) eciesKeys {
	var material [2 * sha256.Size]byte
	for counter := uint32(1); counter <= 2; counter++ {
		h := sha256.New()
		h.Write(z)
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], counter)
		h.Write(c[:])
		h.Write(sharedInfo)
		copy(material[(counter-1)*sha256.Size:], h.Sum(nil))
	}
	var k eciesKeys
	copy(k.enc[:], material[:16])
	copy(k.icb[:], material[16:32])
	copy(k.mac[:], material[32:])
	return k
}

// crypt is AES-128-CTR with the ICB as initial counter block.
func (k eciesKeys) crypt(in []byte) ([]byte, error) {
	block, err := aes.NewCipher(k.enc[:])
	if err != nil {
		return nil, fmt.Errorf("aka: ECIES cipher: %w", err)
	}
	out := make([]byte, len(in))
	cipher.NewCTR(block, k.icb[:]).XORKeyStream(out, in)
	return out, nil
}

func (k eciesKeys) tag(ciphertext []byte) []byte {
	m := hmac.New(sha256.New, k.mac[:])
	m.Write(ciphertext)
	return m.Sum(nil)[:eciesMACLen]
}

// Protect is the UE side of ECIES (TS 33.501 C.3.2): scheme output =
// ephemeral public key || ciphertext || MAC tag. A nil eph draws a fresh
// ephemeral key; tests inject one.
func Protect(s ProtectionScheme, plaintext []byte, hnPub *ecdh.PublicKey, eph *ecdh.PrivateKey) ([]byte, error) {
	c, err := s.curve()
	if err != nil {
		return nil, err
	}
	if hnPub == nil || hnPub.Curve() != c {
		return nil, fmt.Errorf("%w: home network public key is not for scheme %d", ErrInvalidKey, s)
	}
	if eph == nil {
		if eph, err = c.GenerateKey(rand.Reader); err != nil {
			return nil, fmt.Errorf("aka: ephemeral key: %w", err)
		}
	} else if eph.Curve() != c {
		return nil, fmt.Errorf("%w: ephemeral key is not for scheme %d", ErrInvalidKey, s)
	}
	z, err := eph.ECDH(hnPub)
	if err != nil {
		return nil, fmt.Errorf("%w: ECDH: %v", ErrInvalidKey, err)
	}
	ephPub := encodeEphemeral(s, eph.PublicKey())
	k := x963KDF(z, ephPub)
	ct, err := k.crypt(plaintext)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(ephPub)+len(ct)+eciesMACLen)
	out = append(append(out, ephPub...), ct...)
	return append(out, k.tag(ct)...), nil
}

// Unprotect is the home network side (TS 33.501 C.3.3): it checks the MAC
// tag (ErrSchemeOutputMAC) and returns the plaintext.
func Unprotect(s ProtectionScheme, output []byte, hnPriv *ecdh.PrivateKey) ([]byte, error) {
	c, err := s.curve()
	if err != nil {
		return nil, err
	}
	if hnPriv == nil || hnPriv.Curve() != c {
		return nil, fmt.Errorf("%w: home network private key is not for scheme %d", ErrInvalidKey, s)
	}
	n := s.ephPubLen()
	if len(output) < n+1+eciesMACLen {
		return nil, fmt.Errorf("%w: scheme output is %d octets, want at least %d", ErrInvalidSUCI, len(output), n+1+eciesMACLen)
	}
	ephPub, ct, tag := output[:n], output[n:len(output)-eciesMACLen], output[len(output)-eciesMACLen:]
	if s == SchemeProfileB && ephPub[0] != 0x02 && ephPub[0] != 0x03 {
		return nil, fmt.Errorf("%w: profile B ephemeral key is not compressed", ErrInvalidSUCI)
	}
	pub, err := ParseHNPublicKey(s, ephPub)
	if err != nil {
		return nil, fmt.Errorf("%w: ephemeral public key: %v", ErrInvalidSUCI, err)
	}
	z, err := hnPriv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: ECDH: %v", ErrInvalidSUCI, err)
	}
	k := x963KDF(z, ephPub)
	if !hmac.Equal(k.tag(ct), tag) {
		return nil, ErrSchemeOutputMAC
	}
	return k.crypt(ct)
}
