package aka

import (
	"crypto/subtle"
	"fmt"
)

// Vector is a 5G home environment authentication vector (TS 33.501
// 6.1.3.2): what the UDM hands the AUSF, plus HXRES* for the SEAF.
type Vector struct {
	RAND      RAND
	AUTN      AUTN
	XRESStar  RESStar
	HXRESStar RESStar
	KAUSF     Key256
	// SQN and ServingNetworkName are the inputs the vector was built for.
	SQN                SQN
	ServingNetworkName string
}

// GenerateVector builds the 5G HE AV for sqn, amf (AMF5G for 5G AKA), the
// serving network name and a RAND (from NewRAND, or fixed in tests).
func (m *Milenage) GenerateVector(sqn SQN, amf AMF, snn string, rand RAND) (Vector, error) {
	if err := checkSNN(snn); err != nil {
		return Vector{}, err
	}
	temp := m.temp(rand)
	out1 := m.out1(temp, sqn, amf)
	res, ck, ik, ak := m.f2345(temp)

	v := Vector{RAND: rand, SQN: sqn, ServingNetworkName: snn}
	conc := xor6(sqn.Bytes(), ak)
	a := amf.Bytes()
	copy(v.AUTN[:], conc[:])
	copy(v.AUTN[SQNLen:], a[:])
	copy(v.AUTN[SQNLen+AMFLen:], out1[:MACLen])

	var err error
	if v.KAUSF, err = DeriveKAUSF(ck, ik, snn, conc); err != nil {
		return Vector{}, fmt.Errorf("aka: vector KAUSF: %w", err)
	}
	if v.XRESStar, err = DeriveRESStar(ck, ik, snn, rand, res[:]); err != nil {
		return Vector{}, fmt.Errorf("aka: vector XRES*: %w", err)
	}
	v.HXRESStar = DeriveHXRESStar(rand, v.XRESStar)
	return v, nil
}

// KSEAF derives the anchor key the AUSF hands the SEAF once RES* verified.
func (v Vector) KSEAF() (Key256, error) { return DeriveKSEAF(v.KAUSF, v.ServingNetworkName) }

// VerifyRESStar is the AUSF check RES* == XRES*, in constant time.
func (v Vector) VerifyRESStar(resStar RESStar) bool {
	return subtle.ConstantTimeCompare(resStar[:], v.XRESStar[:]) == 1
}

// VerifyHRESStar is the SEAF check: HRES* computed from the UE's RES*
// equals HXRES*.
func VerifyHRESStar(rand RAND, resStar, hxresStar RESStar) bool {
	h := DeriveHXRESStar(rand, resStar)
	return subtle.ConstantTimeCompare(h[:], hxresStar[:]) == 1
}

// VerifyAUTS is the home network side of resynchronisation (TS 33.102
// 6.3.5): it recovers SQNms from the AUTS of a synch failure to the
// challenge RAND and checks MAC-S (f1* with AMFResync). A bad MAC-S gives
// an error matching ErrMACSFailure. The next vector should use
// ResyncSQN(sqnMS).
func (m *Milenage) VerifyAUTS(rand RAND, auts AUTS) (sqnMS SQN, err error) {
	temp := m.temp(rand)
	akStar := m.outN(temp, 12, 8)
	sqnMS = SQNFromBytes(xor6(auts.ConcealedSQN(), [AKLen]byte(akStar[:AKLen])))
	xmac := m.out1(temp, sqnMS, AMFResync)
	mac := auts.MAC()
	if subtle.ConstantTimeCompare(xmac[MACLen:], mac[:]) != 1 {
		return 0, fmt.Errorf("%w (AUTS %v)", ErrMACSFailure, auts)
	}
	return sqnMS, nil
}

// BuildAUTS is the USIM side: (SQNms xor AK*) || f1*(SQNms, AMFResync).
func (m *Milenage) BuildAUTS(rand RAND, sqnMS SQN) AUTS {
	temp := m.temp(rand)
	akStar := m.outN(temp, 12, 8)
	conc := xor6(sqnMS.Bytes(), [AKLen]byte(akStar[:AKLen]))
	out1 := m.out1(temp, sqnMS, AMFResync)
	var a AUTS
	copy(a[:], conc[:])
	copy(a[SQNLen:], out1[MACLen:])
	return a
}
