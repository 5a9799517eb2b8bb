package aka

import (
	"crypto/subtle"
	"fmt"
	"sync"
)

// USIMConfig describes one simulated USIM.
type USIMConfig struct {
	K []byte
	// OPc, or OP when the card is provisioned with OP (OPc wins if both).
	OPc, OP []byte
	// SUPI is "imsi-<digits>"; it is P0 of the KAMF derivation.
	SUPI string
	// HighestSQN seeds the card as if that SQN had been accepted (zero: a
	// fresh card that accepts any SEQ >= 1).
	HighestSQN SQN
	// Delta bounds how far a fresh SEQ may run ahead of the highest
	// accepted one; zero means DefaultDelta.
	Delta uint64
}

// USIM is the UE side of 5G AKA: it verifies AUTN and keeps the SEQ/IND
// freshness state of TS 33.102 Annex C.2 (one SEQ per IND value). It is
// safe for concurrent use.
type USIM struct {
	mil   *Milenage
	supi  string
	delta uint64

	mu    sync.Mutex
	seqMS [INDCount]uint64
}

// UEResult is what a successful USIM.Authenticate yields.
type UEResult struct {
	SQN     SQN // the accepted SQN
	RES     [RESLen]byte
	CK      [CKLen]byte
	IK      [IKLen]byte
	RESStar RESStar
	KAUSF   Key256
	KSEAF   Key256
	KAMF    Key256
}

// NewUSIM validates the configuration and builds the card.
func NewUSIM(cfg USIMConfig) (*USIM, error) {
	var (
		mil *Milenage
		err error
	)
	if cfg.OPc != nil {
		mil, err = NewMilenage(cfg.K, cfg.OPc)
	} else {
		mil, err = NewMilenageOP(cfg.K, cfg.OP)
	}
	if err != nil {
		return nil, fmt.Errorf("aka: usim: %w", err)
	}
	if _, err := supiKDFValue(cfg.SUPI); err != nil {
		return nil, fmt.Errorf("aka: usim: %w", err)
	}
	u := &USIM{mil: mil, supi: cfg.SUPI, delta: cfg.Delta}
	if u.delta == 0 {
		u.delta = DefaultDelta
	}
	u.seqMS[cfg.HighestSQN.IND()] = cfg.HighestSQN.SEQ()
	return u, nil
}

// Authenticate runs the USIM/ME checks on an AUTHENTICATION REQUEST (TS
// 33.102 6.3.3, TS 33.501 6.1.3.2): MAC-A, then SQN freshness, then the
// AMF separation bit. Failures match ErrMACFailure, ErrSynchFailure (as a
// *SynchFailureError carrying AUTS) or ErrNon5GAuth; CauseOf maps them to
// the 5GMM cause. A nil abba means DefaultABBA. Only success advances the
// card's SQN state.
func (u *USIM) Authenticate(rand RAND, autn AUTN, snn string, abba []byte) (UEResult, error) {
	if err := checkSNN(snn); err != nil {
		return UEResult{}, err
	}
	if abba != nil && len(abba) < ABBALen {
		return UEResult{}, &LengthError{Field: "ABBA", Got: len(abba), Want: ABBALen}
	}
	temp := u.mil.temp(rand)
	res, ck, ik, ak := u.mil.f2345(temp)
	sqn := SQNFromBytes(xor6(autn.ConcealedSQN(), ak))
	xmac := u.mil.out1(temp, sqn, autn.AMF())
	mac := autn.MAC()
	if subtle.ConstantTimeCompare(xmac[:MACLen], mac[:]) != 1 {
		return UEResult{}, ErrMACFailure
	}
	if err := u.accept(rand, sqn, autn.AMF()); err != nil {
		return UEResult{}, err
	}
	return u.keys(rand, autn, snn, abba, sqn, res, ck, ik)
}

// accept checks freshness and the separation bit, and records sqn.
func (u *USIM) accept(rand RAND, sqn SQN, amf AMF) error { return u.acceptSQN(rand, sqn, amf, true) }

// acceptSQN checks freshness (and, with separation, the AMF separation
// bit that EPS and 5G vectors carry and IMS ones do not), and records sqn.
func (u *USIM) acceptSQN(rand RAND, sqn SQN, amf AMF, separation bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	seq, ind := sqn.SEQ(), sqn.IND()
	high := u.highestLocked()
	if seq <= u.seqMS[ind] || (seq > high.SEQ() && seq-high.SEQ() > u.delta) {
		return &SynchFailureError{AUTS: u.mil.BuildAUTS(rand, high), SQN: sqn}
	}
	if separation && !amf.SeparationBit() {
		return ErrNon5GAuth
	}
	u.seqMS[ind] = seq
	return nil
}

func (u *USIM) keys(rand RAND, autn AUTN, snn string, abba []byte, sqn SQN,
	res [RESLen]byte, ck [CKLen]byte, ik [IKLen]byte) (UEResult, error) {
	r := UEResult{SQN: sqn, RES: res, CK: ck, IK: ik}
	var err error
	if r.RESStar, err = DeriveRESStar(ck, ik, snn, rand, res[:]); err != nil {
		return UEResult{}, err
	}
	if r.KAUSF, err = DeriveKAUSF(ck, ik, snn, autn.ConcealedSQN()); err != nil {
		return UEResult{}, err
	}
	if r.KSEAF, err = DeriveKSEAF(r.KAUSF, snn); err != nil {
		return UEResult{}, err
	}
	if r.KAMF, err = DeriveKAMF(r.KSEAF, u.supi, abba); err != nil {
		return UEResult{}, err
	}
	return r, nil
}

// HighestSQN is SQNms: the highest accepted SEQ with its IND.
func (u *USIM) HighestSQN() SQN {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.highestLocked()
}

func (u *USIM) highestLocked() SQN {
	var best SQN
	for ind, seq := range u.seqMS {
		if seq > best.SEQ() {
			best = NewSQN(seq, uint8(ind))
		}
	}
	return best
}

// SUPI is the SUPI the card derives KAMF with.
func (u *USIM) SUPI() string { return u.supi }
