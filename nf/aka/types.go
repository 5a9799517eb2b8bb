package aka

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// RAND is the 128-bit random challenge.
type RAND [RANDLen]byte

// NewRAND draws a RAND from crypto/rand.
func NewRAND() (RAND, error) {
	var r RAND
	if _, err := rand.Read(r[:]); err != nil {
		return r, fmt.Errorf("aka: draw RAND: %w", err)
	}
	return r, nil
}

// ParseRAND copies a 16-octet RAND.
func ParseRAND(b []byte) (RAND, error) {
	var r RAND
	if err := checkLen("RAND", b, RANDLen); err != nil {
		return r, err
	}
	copy(r[:], b)
	return r, nil
}

func (r RAND) String() string { return hex.EncodeToString(r[:]) }

// SQN is a 48-bit sequence number, SEQ || IND (TS 33.102 Annex C).
type SQN uint64

// NewSQN builds SEQ || IND; bits above 48 are dropped.
func NewSQN(seq uint64, ind uint8) SQN {
	return SQN((seq<<INDBits | uint64(ind)&(INDCount-1)) & SQNMax)
}

// SQNFromBytes reads a big-endian 6-octet SQN.
func SQNFromBytes(b [SQNLen]byte) SQN {
	var w [8]byte
	copy(w[2:], b[:])
	return SQN(binary.BigEndian.Uint64(w[:]))
}

// Bytes is the big-endian 6-octet form.
func (s SQN) Bytes() [SQNLen]byte {
	var w [8]byte
	binary.BigEndian.PutUint64(w[:], uint64(s)&SQNMax)
	var b [SQNLen]byte
	copy(b[:], w[2:])
	return b
}

// SEQ is the 43 high bits.
func (s SQN) SEQ() uint64 { return uint64(s) & SQNMax >> INDBits }

// IND is the 5 low bits.
func (s SQN) IND() uint8 { return uint8(s & (INDCount - 1)) }

// Next is the SQN the home network uses for its next vector: SEQ+1, same
// IND. Once SEQ is exhausted it wraps, as 48-bit arithmetic does.
func (s SQN) Next() SQN { return NewSQN(s.SEQ()+1, s.IND()) }

// ResyncSQN is the SQN the home network uses after a resynchronisation
// that reported sqnMS: the next one after it (TS 33.102 6.3.5).
func ResyncSQN(sqnMS SQN) SQN { return sqnMS.Next() }

func (s SQN) String() string { return fmt.Sprintf("%012x", uint64(s)&SQNMax) }

// AMF is the 16-bit authentication management field.
type AMF uint16

const (
	// AMF5G has the separation bit set, as 5G AKA requires (TS 33.501
	// 6.1.3.2, TS 33.102 Annex H).
	AMF5G AMF = 0x8000
	// AMFResync is the dummy AMF of f1* for MAC-S (TS 33.102 6.3.3).
	AMFResync AMF = 0x0000
)

// SeparationBit reports bit 0 (the most significant), which must be 1 for
// 5G and EPS authentication.
func (a AMF) SeparationBit() bool { return a&0x8000 != 0 }

// Bytes is the big-endian form.
func (a AMF) Bytes() [AMFLen]byte { return [AMFLen]byte{byte(a >> 8), byte(a)} }

// AUTN is (SQN xor AK) || AMF || MAC-A.
type AUTN [AUTNLen]byte

// ParseAUTN copies a 16-octet AUTN.
func ParseAUTN(b []byte) (AUTN, error) {
	var a AUTN
	if err := checkLen("AUTN", b, AUTNLen); err != nil {
		return a, err
	}
	copy(a[:], b)
	return a, nil
}

// ConcealedSQN is SQN xor AK.
func (a AUTN) ConcealedSQN() [SQNLen]byte { return [SQNLen]byte(a[:SQNLen]) }

// AMF is the clear AMF field.
func (a AUTN) AMF() AMF { return AMF(binary.BigEndian.Uint16(a[SQNLen:])) }

// MAC is MAC-A.
func (a AUTN) MAC() [MACLen]byte { return [MACLen]byte(a[SQNLen+AMFLen:]) }

func (a AUTN) String() string { return hex.EncodeToString(a[:]) }

// AUTS is (SQNms xor AK*) || MAC-S, sent by the UE on synch failure.
type AUTS [AUTSLen]byte

// ParseAUTS copies a 14-octet AUTS.
func ParseAUTS(b []byte) (AUTS, error) {
	var a AUTS
	if err := checkLen("AUTS", b, AUTSLen); err != nil {
		return a, err
	}
	copy(a[:], b)
	return a, nil
}

// ConcealedSQN is SQNms xor AK*.
func (a AUTS) ConcealedSQN() [SQNLen]byte { return [SQNLen]byte(a[:SQNLen]) }

// MAC is MAC-S.
func (a AUTS) MAC() [MACLen]byte { return [MACLen]byte(a[SQNLen:]) }

func (a AUTS) String() string { return hex.EncodeToString(a[:]) }

// RESStar holds RES*, XRES*, HRES* or HXRES* (128 bits each).
type RESStar [RESStarLen]byte

func (r RESStar) String() string { return hex.EncodeToString(r[:]) }

// Key256 is a 256-bit key: KAUSF, KSEAF, KAMF, KgNB.
type Key256 [Key256Len]byte

func (k Key256) String() string { return hex.EncodeToString(k[:]) }

// Key128 is a 128-bit algorithm key: KNASenc, KNASint.
type Key128 [Key128Len]byte

func (k Key128) String() string { return hex.EncodeToString(k[:]) }

func xor6(a, b [SQNLen]byte) [SQNLen]byte {
	for i := range a {
		a[i] ^= b[i]
	}
	return a
}
