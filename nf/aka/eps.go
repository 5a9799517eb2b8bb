package aka

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// EPS AKA (TS 33.401): the key hierarchy under KASME and the E-UTRAN
// authentication vector. Everything runs on the same generic KDF and
// Milenage as the 5G functions.

// Function codes of TS 33.401 Annex A.
const (
	FCKASME           FC = 0x10 // A.2
	FCKeNB            FC = 0x11 // A.3
	FCNH              FC = 0x12 // A.4
	FCEPSAlgorithmKey FC = 0x15 // A.7 NAS, RRC and UP algorithm keys
)

// The algorithm type distinguishers of TS 33.401 Table A.7-1 have the same
// values as the 5G ones of TS 33.501 Table A.8-1, so the EPS derivations
// take an AlgorithmDistinguisher too: NNASEncAlg is NAS-enc-alg (0x01),
// NNASIntAlg NAS-int-alg (0x02), NRRCEncAlg RRC-enc-alg (0x03), and so on.

// PLMNIDLen is the length of the serving network identity of A.2.
const PLMNIDLen = 3

// EncodePLMNID packs MCC and MNC as the 3-octet PLMN identity of TS 24.301
// 9.9.3.32 (TS 24.008 10.5.1.3): MCC2|MCC1, MNC3|MCC3, MNC2|MNC1, with
// 0xF as MNC digit 3 when the MNC has two digits. It is P0 of the KASME
// derivation.
func EncodePLMNID(mcc, mnc string) ([PLMNIDLen]byte, error) {
	var id [PLMNIDLen]byte
	if err := checkPLMN(mcc, mnc); err != nil {
		return id, fmt.Errorf("%w: %v", ErrInvalidServingNetworkName, err)
	}
	d := func(s string, i int) byte { return s[i] - '0' }
	mnc3 := byte(0xF)
	if len(mnc) == 3 {
		mnc3 = d(mnc, 2)
	}
	id[0] = d(mcc, 1)<<4 | d(mcc, 0)
	id[1] = mnc3<<4 | d(mcc, 2)
	id[2] = d(mnc, 1)<<4 | d(mnc, 0)
	return id, nil
}

// DeriveKASME is TS 33.401 A.2: KDF(CK||IK, 0x10, SN id, SQN xor AK), where
// SN id is the serving network's PLMN identity.
func DeriveKASME(ck [CKLen]byte, ik [IKLen]byte, mcc, mnc string, sqnXorAK [SQNLen]byte) (Key256, error) {
	snID, err := EncodePLMNID(mcc, mnc)
	if err != nil {
		return Key256{}, fmt.Errorf("aka: KASME serving network: %w", err)
	}
	return KDF(ckik(ck, ik), FCKASME, snID[:], sqnXorAK[:])
}

// DeriveEPSAlgorithmKey is TS 33.401 A.7: the 128 least significant bits
// of KDF(key, 0x15, distinguisher, algorithm identity). With KASME it gives
// KNASenc/KNASint; with KeNB the RRC and UP keys.
func DeriveEPSAlgorithmKey(key Key256, d AlgorithmDistinguisher, algID uint8) (Key128, error) {
	k, err := KDF(key[:], FCEPSAlgorithmKey, []byte{byte(d)}, []byte{algID})
	if err != nil {
		return Key128{}, err
	}
	return Key128(k[16:]), nil
}

// DeriveEPSNASKeys gives KNASenc and KNASint for the selected EEA and EIA
// algorithm identities (0 for EEA0/EIA0, 1, 2, 3).
func DeriveEPSNASKeys(kasme Key256, encAlg, intAlg uint8) (enc, integ Key128, err error) {
	if enc, err = DeriveEPSAlgorithmKey(kasme, NNASEncAlg, encAlg); err != nil {
		return enc, integ, err
	}
	integ, err = DeriveEPSAlgorithmKey(kasme, NNASIntAlg, intAlg)
	return enc, integ, err
}

// DeriveKeNB is TS 33.401 A.3: KDF(KASME, 0x11, uplink NAS COUNT).
func DeriveKeNB(kasme Key256, ulNASCount uint32) (Key256, error) {
	var count [4]byte
	binary.BigEndian.PutUint32(count[:], ulNASCount)
	return KDF(kasme[:], FCKeNB, count[:])
}

// DeriveNH is TS 33.401 A.4: KDF(KASME, 0x12, SYNC-input), where SYNC-input
// is the initial KeNB for the first NH and the previous NH after that.
func DeriveNH(kasme Key256, syncInput Key256) (Key256, error) {
	return KDF(kasme[:], FCNH, syncInput[:])
}

// EPSVector is an E-UTRAN authentication vector (TS 33.401 6.1.2): what the
// HSS hands the MME in an S6a Authentication-Information-Answer.
type EPSVector struct {
	RAND  RAND
	XRES  [RESLen]byte
	AUTN  AUTN
	KASME Key256
	// SQN is the sequence number the vector was built with.
	SQN SQN
}

// GenerateEPSVector builds an EPS AV for sqn, amf and the serving network
// mcc/mnc with the given RAND (from NewRAND, or fixed in tests).
//
// The AMF is used as given: EPS AKA needs its separation bit set (TS 33.401
// 6.1.2, TS 33.102 Annex H), so callers pass AMF5G or another AMF with bit
// 0 set. The USIM side rejects a clear separation bit with ErrNon5GAuth,
// which maps to EMM cause #26 as well.
func (m *Milenage) GenerateEPSVector(sqn SQN, amf AMF, mcc, mnc string, rand RAND) (EPSVector, error) {
	temp := m.temp(rand)
	out1 := m.out1(temp, sqn, amf)
	res, ck, ik, ak := m.f2345(temp)

	v := EPSVector{RAND: rand, XRES: res, SQN: sqn}
	conc := xor6(sqn.Bytes(), ak)
	a := amf.Bytes()
	copy(v.AUTN[:], conc[:])
	copy(v.AUTN[SQNLen:], a[:])
	copy(v.AUTN[SQNLen+AMFLen:], out1[:MACLen])

	var err error
	if v.KASME, err = DeriveKASME(ck, ik, mcc, mnc, conc); err != nil {
		return EPSVector{}, fmt.Errorf("aka: EPS vector: %w", err)
	}
	return v, nil
}

// VerifyRES is the MME check RES == XRES, in constant time. EPS AKA
// compares the whole RES; a length other than XRES's fails.
func (v EPSVector) VerifyRES(res []byte) bool {
	return subtle.ConstantTimeCompare(res, v.XRES[:]) == 1
}

// EPSResult is what a successful USIM.AuthenticateEPS yields.
type EPSResult struct {
	SQN   SQN // the accepted SQN
	RES   [RESLen]byte
	CK    [CKLen]byte
	IK    [IKLen]byte
	KASME Key256
}

// AuthenticateEPS runs the USIM/ME checks on an EPS AUTHENTICATION REQUEST
// (TS 33.401 6.1.1, TS 24.301 5.4.2.6): MAC-A, then SQN freshness, then the
// AMF separation bit, sharing the card's SQN state with Authenticate.
// Errors are those of Authenticate: ErrMACFailure (EMM cause #20),
// *SynchFailureError with AUTS (#21) and ErrNon5GAuth (#26, "non-EPS
// authentication unacceptable"); CauseOf maps them. Only success advances
// the SQN state.
func (u *USIM) AuthenticateEPS(rand RAND, autn AUTN, mcc, mnc string) (EPSResult, error) {
	if _, err := EncodePLMNID(mcc, mnc); err != nil {
		return EPSResult{}, fmt.Errorf("aka: usim: %w", err)
	}
	temp := u.mil.temp(rand)
	res, ck, ik, ak := u.mil.f2345(temp)
	sqn := SQNFromBytes(xor6(autn.ConcealedSQN(), ak))
	xmac := u.mil.out1(temp, sqn, autn.AMF())
	mac := autn.MAC()
	if subtle.ConstantTimeCompare(xmac[:MACLen], mac[:]) != 1 {
		return EPSResult{}, ErrMACFailure
	}
	if err := u.accept(rand, sqn, autn.AMF()); err != nil {
		return EPSResult{}, err
	}
	kasme, err := DeriveKASME(ck, ik, mcc, mnc, autn.ConcealedSQN())
	if err != nil {
		return EPSResult{}, err
	}
	return EPSResult{SQN: sqn, RES: res, CK: ck, IK: ik, KASME: kasme}, nil
}

// IMSResult is what the ISIM gives for an IMS AKA challenge (TS 33.203):
// RES is the Digest-AKAv1-MD5 password, CK and IK protect the Gm link.
type IMSResult struct {
	SQN SQN
	RES [RESLen]byte
	CK  [CKLen]byte
	IK  [IKLen]byte
}

// AuthenticateIMS runs the card as an ISIM: MAC-A and SQN freshness are
// checked as for EPS (same K, OPc and SQN array), but IMS vectors carry
// no AMF separation bit, so none is required. A stale SQN gives a
// *SynchFailureError with AUTS.
func (u *USIM) AuthenticateIMS(rand RAND, autn AUTN) (IMSResult, error) {
	temp := u.mil.temp(rand)
	res, ck, ik, ak := u.mil.f2345(temp)
	sqn := SQNFromBytes(xor6(autn.ConcealedSQN(), ak))
	xmac := u.mil.out1(temp, sqn, autn.AMF())
	mac := autn.MAC()
	if subtle.ConstantTimeCompare(xmac[:MACLen], mac[:]) != 1 {
		return IMSResult{}, ErrMACFailure
	}
	if err := u.acceptSQN(rand, sqn, autn.AMF(), false); err != nil {
		return IMSResult{}, err
	}
	return IMSResult{SQN: sqn, RES: res, CK: ck, IK: ik}, nil
}
