package aka

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"

	f5gmilenage "github.com/free5gc/util/milenage"
)

// Milenage computes f1..f5* of TS 35.206 for one subscriber (K, OPc).
//
// free5gc/util's milenage package keeps f1 and f2345 unexported: its
// exported calls give AUTN/AUTS/OPc but not f1* with a chosen AMF nor f5*
// alone, and they rebuild the AES key schedule on each call. So the
// functions are ours (checked against util's exported calls in tests); OPc
// comes from util.
type Milenage struct {
	block cipher.Block
	opc   [OPLen]byte
}

// NewMilenage takes K and OPc (16 octets each).
func NewMilenage(k, opc []byte) (*Milenage, error) {
	if err := checkLen("K", k, KLen); err != nil {
		return nil, err
	}
	if err := checkLen("OPc", opc, OPLen); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("aka: milenage cipher: %w", err)
	}
	m := &Milenage{block: block}
	copy(m.opc[:], opc)
	return m, nil
}

// NewMilenageOP takes K and the operator variant OP, deriving OPc.
func NewMilenageOP(k, op []byte) (*Milenage, error) {
	opc, err := ComputeOPc(k, op)
	if err != nil {
		return nil, err
	}
	return NewMilenage(k, opc)
}

// ComputeOPc is OPc = OP xor E_K(OP) (TS 35.206 4.1).
func ComputeOPc(k, op []byte) ([]byte, error) {
	if err := checkLen("K", k, KLen); err != nil {
		return nil, err
	}
	if err := checkLen("OP", op, OPLen); err != nil {
		return nil, err
	}
	opc, err := f5gmilenage.GenerateOPc(k, op)
	if err != nil {
		return nil, fmt.Errorf("aka: compute OPc: %w", err)
	}
	return opc, nil
}

// OPc returns the OPc in use.
func (m *Milenage) OPc() [OPLen]byte { return m.opc }

// F1 is MAC-A = f1(K, RAND, SQN, AMF).
func (m *Milenage) F1(rand RAND, sqn SQN, amf AMF) [MACLen]byte {
	out := m.out1(m.temp(rand), sqn, amf)
	return [MACLen]byte(out[:MACLen])
}

// F1Star is MAC-S = f1*(K, RAND, SQN, AMF).
func (m *Milenage) F1Star(rand RAND, sqn SQN, amf AMF) [MACLen]byte {
	out := m.out1(m.temp(rand), sqn, amf)
	return [MACLen]byte(out[MACLen:])
}

// F2345 gives RES (f2), CK (f3), IK (f4) and AK (f5).
func (m *Milenage) F2345(rand RAND) (res [RESLen]byte, ck [CKLen]byte, ik [IKLen]byte, ak [AKLen]byte) {
	return m.f2345(m.temp(rand))
}

// F5Star is AK* = f5*(K, RAND), the resynchronisation anonymity key.
func (m *Milenage) F5Star(rand RAND) [AKLen]byte {
	out := m.outN(m.temp(rand), 12, 8)
	return [AKLen]byte(out[:AKLen])
}

func (m *Milenage) f2345(temp [16]byte) (res [RESLen]byte, ck [CKLen]byte, ik [IKLen]byte, ak [AKLen]byte) {
	out2 := m.outN(temp, 0, 1)
	copy(ak[:], out2[:AKLen])
	copy(res[:], out2[8:])
	ck = m.outN(temp, 4, 2)
	ik = m.outN(temp, 8, 4)
	return res, ck, ik, ak
}

// temp is TEMP = E_K(RAND xor OPc).
func (m *Milenage) temp(rand RAND) [16]byte {
	var in, out [16]byte
	subtle.XORBytes(in[:], rand[:], m.opc[:])
	m.block.Encrypt(out[:], in[:])
	return out
}

// out1 is OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, with
// IN1 = SQN || AMF || SQN || AMF, r1 = 64 bits and c1 = 0.
func (m *Milenage) out1(temp [16]byte, sqn SQN, amf AMF) [16]byte {
	var in1 [16]byte
	s, a := sqn.Bytes(), amf.Bytes()
	copy(in1[0:], s[:])
	copy(in1[6:], a[:])
	copy(in1[8:], in1[:8])
	var x [16]byte
	for i := range in1 {
		x[(i+8)%16] = in1[i] ^ m.opc[i] // rotate left by r1 = 8 octets
	}
	subtle.XORBytes(x[:], x[:], temp[:])
	var out [16]byte
	m.block.Encrypt(out[:], x[:])
	subtle.XORBytes(out[:], out[:], m.opc[:])
	return out
}

// outN is OUTn = E_K(rot(TEMP xor OPc, r) xor c) xor OPc for n = 2..5,
// with the rotation r in octets and c the last octet of the constant.
func (m *Milenage) outN(temp [16]byte, rotOctets int, c byte) [16]byte {
	var x [16]byte
	for i := range temp {
		x[(i+16-rotOctets)%16] = temp[i] ^ m.opc[i]
	}
	x[15] ^= c
	var out [16]byte
	m.block.Encrypt(out[:], x[:])
	subtle.XORBytes(out[:], out[:], m.opc[:])
	return out
}
