package nas5g

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// PLMN is a PLMN identity: a 3-digit MCC and a 2- or 3-digit MNC.
type PLMN struct {
	MCC string
	MNC string
}

func (p PLMN) String() string { return p.MCC + "-" + p.MNC }

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Validate checks the digit counts.
func (p PLMN) Validate() error {
	if len(p.MCC) != 3 || !digitsOnly(p.MCC) {
		return fmt.Errorf("nas5g: PLMN: MCC %q is not 3 digits", p.MCC)
	}
	if (len(p.MNC) != 2 && len(p.MNC) != 3) || !digitsOnly(p.MNC) {
		return fmt.Errorf("nas5g: PLMN: MNC %q is not 2 or 3 digits", p.MNC)
	}
	return nil
}

// Bytes is the 3-octet NAS encoding (TS 24.008 10.5.1.13): MCC2 MCC1 |
// MNC3 MCC3 | MNC2 MNC1, MNC3 = F for 2 digits. NGAP places a 3-digit MNC
// differently (TS 38.413 9.3.3.5); package n2 has that layout.
func (p PLMN) Bytes() ([3]byte, error) {
	var b [3]byte
	if err := p.Validate(); err != nil {
		return b, err
	}
	d := func(s string, i int) byte { return s[i] - '0' }
	mnc3 := byte(0xF)
	if len(p.MNC) == 3 {
		mnc3 = d(p.MNC, 2)
	}
	b[0] = d(p.MCC, 1)<<4 | d(p.MCC, 0)
	b[1] = mnc3<<4 | d(p.MCC, 2)
	b[2] = d(p.MNC, 1)<<4 | d(p.MNC, 0)
	return b, nil
}

// PLMNFromBytes decodes the 3-octet BCD form.
func PLMNFromBytes(b []byte) (PLMN, error) {
	if len(b) != 3 {
		return PLMN{}, fmt.Errorf("nas5g: PLMN of %d octets", len(b))
	}
	nib := []byte{b[0] & 0xF, b[0] >> 4, b[1] & 0xF, b[2] & 0xF, b[2] >> 4, b[1] >> 4}
	n := len(nib)
	if nib[5] == 0xF {
		n--
	}
	var s strings.Builder
	for _, x := range nib[:n] {
		if x > 9 {
			return PLMN{}, fmt.Errorf("nas5g: PLMN %x: non-decimal digit", b)
		}
		s.WriteByte('0' + x)
	}
	d := s.String()
	return PLMN{MCC: d[:3], MNC: d[3:]}, nil
}

// NoSD is the SD value that means "no SD" (TS 23.003 28.4.2).
const NoSD uint32 = 0xFFFFFF

// SNSSAI is an S-NSSAI: a slice/service type and an optional slice
// differentiator (24 bits).
type SNSSAI struct {
	SST   uint8
	SD    uint32
	HasSD bool
}

func (s SNSSAI) String() string {
	if s.HasSD {
		return fmt.Sprintf("%d-%06x", s.SST, s.SD)
	}
	return fmt.Sprintf("%d", s.SST)
}

func (s SNSSAI) validate() error {
	if s.SST == 0 {
		return fmt.Errorf("nas5g: S-NSSAI: SST 0 cannot be encoded by free5gc")
	}
	if s.HasSD && (s.SD > 0xFFFFFF || s.SD == NoSD) {
		return fmt.Errorf("nas5g: S-NSSAI: SD %#x out of range", s.SD)
	}
	return nil
}

func (s SNSSAI) sdHex() string {
	if !s.HasSD {
		return ""
	}
	return fmt.Sprintf("%06x", s.SD)
}

func snssaiFromHex(sst uint8, sd string) (SNSSAI, error) {
	s := SNSSAI{SST: sst}
	if sd == "" || strings.EqualFold(sd, "ffffff") {
		return s, nil
	}
	b, err := hex.DecodeString(sd)
	if err != nil || len(b) != 3 {
		return s, fmt.Errorf("nas5g: S-NSSAI: bad SD %q", sd)
	}
	s.SD, s.HasSD = uint32(b[0])<<16|uint32(b[1])<<8|uint32(b[2]), true
	return s, nil
}

// GUTI is a 5G-GUTI (TS 23.003 2.10).
type GUTI struct {
	PLMN        PLMN
	AMFRegionID uint8
	AMFSetID    uint16 // 10 bits
	AMFPointer  uint8  // 6 bits
	TMSI        uint32
}

// STMSI is the 5G-S-TMSI part of a GUTI: AMF set, pointer and 5G-TMSI.
type STMSI struct {
	AMFSetID   uint16
	AMFPointer uint8
	TMSI       uint32
}

// STMSI returns the GUTI's 5G-S-TMSI.
func (g GUTI) STMSI() STMSI {
	return STMSI{AMFSetID: g.AMFSetID, AMFPointer: g.AMFPointer, TMSI: g.TMSI}
}

func (s STMSI) validate() error {
	if s.AMFSetID > 0x3FF || s.AMFPointer > 0x3F {
		return fmt.Errorf("nas5g: 5G-S-TMSI: AMF set %d or pointer %d out of range", s.AMFSetID, s.AMFPointer)
	}
	return nil
}

func (g GUTI) validate() error {
	if err := g.PLMN.Validate(); err != nil {
		return err
	}
	return g.STMSI().validate()
}

// Protection schemes of a SUCI (TS 33.501 Annex C).
const (
	SchemeNull     uint8 = 0
	SchemeProfileA uint8 = 1
	SchemeProfileB uint8 = 2
)

// SUCI is an IMSI-based SUCI. SchemeOutput is the raw scheme output: for
// the null scheme the MSIN in BCD (see NullSchemeOutput); for profiles A/B
// the ephemeral public key, ciphertext and MAC tag as one byte string.
type SUCI struct {
	PLMN             PLMN
	RoutingIndicator string // 1 to 4 digits; "0" when none is configured
	ProtectionScheme uint8
	HomeNetworkKeyID uint8
	SchemeOutput     []byte
}

// NullSchemeOutput encodes an MSIN as the null-scheme output: BCD, two
// digits an octet, low nibble first, an odd last digit padded with F.
func NullSchemeOutput(msin string) ([]byte, error) {
	if len(msin) == 0 || len(msin) > 10 || !digitsOnly(msin) {
		return nil, fmt.Errorf("nas5g: MSIN %q is not 1 to 10 digits", msin)
	}
	out := make([]byte, (len(msin)+1)/2)
	for i := range out {
		lo, hi := msin[2*i]-'0', byte(0xF)
		if 2*i+1 < len(msin) {
			hi = msin[2*i+1] - '0'
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}

// MSIN decodes a null-scheme output back into digits.
func (s SUCI) MSIN() (string, error) {
	if s.ProtectionScheme != SchemeNull {
		return "", fmt.Errorf("nas5g: SUCI: scheme %d hides the MSIN", s.ProtectionScheme)
	}
	return msinFromBCD(s.SchemeOutput)
}

func msinFromBCD(b []byte) (string, error) {
	var sb strings.Builder
	for i, o := range b {
		for j, d := range []byte{o & 0xF, o >> 4} {
			if d == 0xF && i == len(b)-1 && j == 1 {
				break
			}
			if d > 9 {
				return "", fmt.Errorf("nas5g: MSIN %x: non-decimal digit", b)
			}
			sb.WriteByte('0' + d)
		}
	}
	if sb.Len() == 0 || sb.Len() > 10 {
		return "", fmt.Errorf("nas5g: MSIN of %d digits", sb.Len())
	}
	return sb.String(), nil
}

// KSI is a NAS key set identifier; Value 7 means "no key available".
type KSI struct {
	Mapped bool // type of security context: mapped from EPS, else native
	Value  uint8
}

// NoKey is the ngKSI a UE sends when it holds no key.
var NoKey = KSI{Value: 7}

// UESecurityCapability lists supported algorithms as the octets of TS
// 24.501 9.11.3.54: bit 8 is algorithm 0, bit 7 algorithm 1, and so on. The
// EPS octets are optional (HasEPS).
type UESecurityCapability struct {
	EA, IA   uint8
	EEA, EIA uint8
	HasEPS   bool
}

// AlgBit is the capability bit of algorithm alg (0..7).
func AlgBit(alg uint8) uint8 { return 0x80 >> (alg & 7) }

// Supports reports whether the 5G ciphering and integrity algorithms are
// both listed.
func (c UESecurityCapability) Supports(enc, integ uint8) bool {
	return enc < 8 && integ < 8 && c.EA&AlgBit(enc) != 0 && c.IA&AlgBit(integ) != 0
}
