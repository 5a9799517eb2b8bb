package diameter

import (
	"fmt"
)

// PLMNID is a PLMN identity in its 3-octet form (TS 24.008 10.5.1.13):
// MCC2|MCC1, MNC3|MCC3, MNC2|MNC1, with MNC3 = 0xF for a 2-digit MNC.
// Visited-PLMN-Id carries it, and so does the KASME derivation.
type PLMNID [3]byte

// NewPLMNID encodes a 3-digit MCC and a 2- or 3-digit MNC.
func NewPLMNID(mcc, mnc string) (PLMNID, error) {
	if len(mcc) != 3 || !digits(mcc) || (len(mnc) != 2 && len(mnc) != 3) || !digits(mnc) {
		return PLMNID{}, fmt.Errorf("diameter: PLMN %q/%q: want a 3-digit MCC and a 2- or 3-digit MNC", mcc, mnc)
	}
	d := func(s string, i int) byte { return s[i] - '0' }
	mnc3 := byte(0xF)
	if len(mnc) == 3 {
		mnc3 = d(mnc, 2)
	}
	return PLMNID{d(mcc, 1)<<4 | d(mcc, 0), mnc3<<4 | d(mcc, 2), d(mnc, 1)<<4 | d(mnc, 0)}, nil
}

// Split decodes the MCC and MNC.
func (p PLMNID) Split() (mcc, mnc string, err error) {
	n := [6]byte{p[0] & 0xF, p[0] >> 4, p[1] & 0xF, p[2] & 0xF, p[2] >> 4, p[1] >> 4}
	for i, v := range n[:5] {
		if v > 9 {
			return "", "", fmt.Errorf("diameter: PLMN id %x: digit %d is 0x%X", p[:], i+1, v)
		}
	}
	mcc = string([]byte{'0' + n[0], '0' + n[1], '0' + n[2]})
	mnc = string([]byte{'0' + n[3], '0' + n[4]})
	switch {
	case n[5] == 0xF:
	case n[5] <= 9:
		mnc += string('0' + n[5])
	default:
		return "", "", fmt.Errorf("diameter: PLMN id %x: MNC digit 3 is 0x%X", p[:], n[5])
	}
	return mcc, mnc, nil
}

func (p PLMNID) String() string {
	mcc, mnc, err := p.Split()
	if err != nil {
		return fmt.Sprintf("%x", p[:])
	}
	return mcc + "-" + mnc
}

// EncodeTBCD packs a digit string as TBCD (TS 29.002 17.7.8): two digits
// per octet, first in the low nibble, an odd tail filled with 0xF. MSISDN
// travels so.
func EncodeTBCD(s string) ([]byte, error) {
	if !digits(s) {
		return nil, fmt.Errorf("diameter: TBCD %q: digits only", s)
	}
	out := make([]byte, (len(s)+1)/2)
	for i := range len(s) {
		v := s[i] - '0'
		if i%2 == 0 {
			out[i/2] = 0xF0 | v
		} else {
			out[i/2] = out[i/2]&0x0F | v<<4
		}
	}
	return out, nil
}

// DecodeTBCD is the inverse of EncodeTBCD; only the last high nibble may
// be the 0xF filler.
func DecodeTBCD(b []byte) (string, error) {
	out := make([]byte, 0, 2*len(b))
	for i, o := range b {
		lo, hi := o&0xF, o>>4
		if lo > 9 {
			return "", fmt.Errorf("diameter: TBCD octet %d: low nibble 0x%X", i, lo)
		}
		out = append(out, '0'+lo)
		if hi == 0xF && i == len(b)-1 {
			break
		}
		if hi > 9 {
			return "", fmt.Errorf("diameter: TBCD octet %d: high nibble 0x%X", i, hi)
		}
		out = append(out, '0'+hi)
	}
	return string(out), nil
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
