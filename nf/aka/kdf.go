package aka

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/free5gc/util/ueauth"
)

// KDF is the generic key derivation function of TS 33.220 B.2.0:
// HMAC-SHA-256(key, FC || P0 || L0 || ... || Pn || Ln), where Li is the
// two-octet length of Pi. It runs on free5gc/util's ueauth.GetKDFValue.
func KDF(key []byte, fc FC, params ...[]byte) (Key256, error) {
	var out Key256
	args := make([][]byte, 0, 2*len(params))
	for i, p := range params {
		if len(p) > maxKDFParam {
			return out, fmt.Errorf("aka: KDF P%d is %d octets, over %d: %w", i, len(p), maxKDFParam, ErrInvalidLength)
		}
		args = append(args, p, ueauth.KDFLen(p))
	}
	sum, err := ueauth.GetKDFValue(key, fmt.Sprintf("%02X", byte(fc)), args...)
	if err != nil {
		return out, fmt.Errorf("aka: KDF FC 0x%02X: %w", byte(fc), err)
	}
	copy(out[:], sum)
	return out, nil
}

// ServingNetworkName builds "5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org" (TS 24.501
// 9.12.1, TS 23.003 28.7.3), padding a 2-digit MNC with a leading zero.
func ServingNetworkName(mcc, mnc string) (string, error) {
	if err := checkPLMN(mcc, mnc); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidServingNetworkName, err)
	}
	if len(mnc) == 2 {
		mnc = "0" + mnc
	}
	return "5G:mnc" + mnc + ".mcc" + mcc + ".3gppnetwork.org", nil
}

func checkSNN(snn string) error {
	if !strings.HasPrefix(snn, "5G:") || len(snn) == len("5G:") || len(snn) > maxKDFParam {
		return fmt.Errorf("%w: %q", ErrInvalidServingNetworkName, snn)
	}
	return nil
}

// DeriveKAUSF is TS 33.501 A.2: KDF(CK||IK, 0x6A, SNN, SQN xor AK).
func DeriveKAUSF(ck [CKLen]byte, ik [IKLen]byte, snn string, sqnXorAK [SQNLen]byte) (Key256, error) {
	if err := checkSNN(snn); err != nil {
		return Key256{}, err
	}
	return KDF(ckik(ck, ik), FCKAUSF, []byte(snn), sqnXorAK[:])
}

// DeriveRESStar is TS 33.501 A.4: the 128 least significant bits of
// KDF(CK||IK, 0x6B, SNN, RAND, RES). The same function gives XRES*.
func DeriveRESStar(ck [CKLen]byte, ik [IKLen]byte, snn string, rand RAND, res []byte) (RESStar, error) {
	if err := checkSNN(snn); err != nil {
		return RESStar{}, err
	}
	if len(res) < 4 || len(res) > 16 {
		return RESStar{}, &LengthError{Field: "RES", Got: len(res), Want: RESLen}
	}
	k, err := KDF(ckik(ck, ik), FCRESStar, []byte(snn), rand[:], res)
	if err != nil {
		return RESStar{}, err
	}
	return RESStar(k[16:]), nil
}

// DeriveHXRESStar is TS 33.501 A.5: HXRES* (and HRES*) is "the 128 least
// significant bits" of SHA-256(RAND || XRES*), i.e. the last 16 octets of
// the digest. open5gs (lib/crypt/ogs-kdf.c, ogs_kdf_hxres_star) agrees.
func DeriveHXRESStar(rand RAND, xresStar RESStar) RESStar {
	var in [RANDLen + RESStarLen]byte
	copy(in[:], rand[:])
	copy(in[RANDLen:], xresStar[:])
	sum := sha256.Sum256(in[:])
	return RESStar(sum[16:])
}

// DeriveKSEAF is TS 33.501 A.6: KDF(KAUSF, 0x6C, SNN).
func DeriveKSEAF(kausf Key256, snn string) (Key256, error) {
	if err := checkSNN(snn); err != nil {
		return Key256{}, err
	}
	return KDF(kausf[:], FCKSEAF, []byte(snn))
}

// DeriveKAMF is TS 33.501 A.7: KDF(KSEAF, 0x6D, SUPI, ABBA). supi is
// "imsi-<digits>" (P0 is then the IMSI digits) or "nai-<NAI>"; a nil abba
// means DefaultABBA.
func DeriveKAMF(kseaf Key256, supi string, abba []byte) (Key256, error) {
	p0, err := supiKDFValue(supi)
	if err != nil {
		return Key256{}, err
	}
	if abba == nil {
		abba = DefaultABBA[:]
	}
	if len(abba) < ABBALen {
		return Key256{}, &LengthError{Field: "ABBA", Got: len(abba), Want: ABBALen}
	}
	return KDF(kseaf[:], FCKAMF, p0, abba)
}

// DeriveAlgorithmKey is TS 33.501 A.8: the 128 least significant bits of
// KDF(key, 0x69, distinguisher, algorithm identity). With KAMF and
// NNASEncAlg/NNASIntAlg it gives KNASenc/KNASint; with KgNB the RRC and UP
// keys.
func DeriveAlgorithmKey(key Key256, d AlgorithmDistinguisher, algID uint8) (Key128, error) {
	k, err := KDF(key[:], FCAlgorithmKey, []byte{byte(d)}, []byte{algID})
	if err != nil {
		return Key128{}, err
	}
	return Key128(k[16:]), nil
}

// DeriveNASKeys gives KNASenc and KNASint for the selected 5G-EA and 5G-IA
// algorithm identities (0 for NEA0/NIA0, 1, 2, 3 ...).
func DeriveNASKeys(kamf Key256, encAlg, intAlg uint8) (enc, integ Key128, err error) {
	if enc, err = DeriveAlgorithmKey(kamf, NNASEncAlg, encAlg); err != nil {
		return enc, integ, err
	}
	integ, err = DeriveAlgorithmKey(kamf, NNASIntAlg, intAlg)
	return enc, integ, err
}

// DeriveKgNB is TS 33.501 A.9: KDF(KAMF, 0x6E, uplink NAS COUNT, access
// type distinguisher).
func DeriveKgNB(kamf Key256, ulNASCount uint32, access AccessType) (Key256, error) {
	var count [4]byte
	binary.BigEndian.PutUint32(count[:], ulNASCount)
	return KDF(kamf[:], FCKgNB, count[:], []byte{byte(access)})
}

func ckik(ck [CKLen]byte, ik [IKLen]byte) []byte {
	k := make([]byte, 0, CKLen+IKLen)
	return append(append(k, ck[:]...), ik[:]...)
}

// supiKDFValue is the P0 of A.7: the IMSI digits, or the NAI.
func supiKDFValue(supi string) ([]byte, error) {
	switch {
	case strings.HasPrefix(supi, "imsi-"):
		digits := supi[len("imsi-"):]
		if len(digits) < 6 || len(digits) > 15 || !isDigits(digits) {
			return nil, fmt.Errorf("%w: %q", ErrInvalidSUPI, supi)
		}
		return []byte(digits), nil
	case strings.HasPrefix(supi, "nai-") && len(supi) > len("nai-") && len(supi) <= maxKDFParam:
		return []byte(supi[len("nai-"):]), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrInvalidSUPI, supi)
}
