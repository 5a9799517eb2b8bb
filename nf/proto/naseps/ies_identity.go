package naseps

import (
	"encoding/binary"
	"fmt"

	"github.com/corebox/corebox/nf/aka"
)

// PLMN is a PLMN identity: a 3-digit MCC and a 2- or 3-digit MNC.
type PLMN struct {
	MCC, MNC string
}

func (p PLMN) String() string { return p.MCC + "-" + p.MNC }

func (p PLMN) encode() ([3]byte, error) {
	id, err := aka.EncodePLMNID(p.MCC, p.MNC)
	if err != nil {
		return id, fmt.Errorf("PLMN %q/%q: %w", p.MCC, p.MNC, err)
	}
	return id, nil
}

// decodePLMN reads TS 24.008 10.5.1.3 octets 2-4 (MNC digit 3 0xF for a
// 2-digit MNC).
func decodePLMN(b []byte) (PLMN, error) {
	if len(b) < 3 {
		return PLMN{}, fmt.Errorf("%w: PLMN of %d octets", ErrTruncated, len(b))
	}
	d := [6]byte{b[0] & 0x0F, b[0] >> 4, b[1] & 0x0F, b[2] & 0x0F, b[2] >> 4, b[1] >> 4}
	n := 6
	if d[5] == 0xF {
		n = 5
	}
	out := make([]byte, n)
	for i := range n {
		if d[i] > 9 {
			return PLMN{}, fmt.Errorf("PLMN digit %d is 0x%X", i+1, d[i])
		}
		out[i] = '0' + d[i]
	}
	return PLMN{MCC: string(out[:3]), MNC: string(out[3:])}, nil
}

// TAI is a tracking area identity (TS 24.301 9.9.3.32).
type TAI struct {
	PLMN PLMN
	TAC  uint16
}

func (t TAI) encode() ([]byte, error) {
	id, err := t.PLMN.encode()
	if err != nil {
		return nil, err
	}
	return append(id[:], byte(t.TAC>>8), byte(t.TAC)), nil
}

func decodeTAI(b []byte) (TAI, error) {
	if len(b) != 5 {
		return TAI{}, fmt.Errorf("TAI of %d octets, want 5", len(b))
	}
	p, err := decodePLMN(b)
	return TAI{PLMN: p, TAC: binary.BigEndian.Uint16(b[3:])}, err
}

// TAIList is a tracking area identity list (TS 24.301 9.9.3.33) of 1 to
// 16 TAIs. Marshal groups runs of TAIs of one PLMN into "non-consecutive
// TACs" partial lists; Parse expands every partial list type into TAIs.
type TAIList []TAI

const maxTAIs = 16

func (l TAIList) encode() ([]byte, error) {
	if len(l) == 0 || len(l) > maxTAIs {
		return nil, fmt.Errorf("%w: %d TAIs, want 1..%d", errValue, len(l), maxTAIs)
	}
	var out []byte
	for i := 0; i < len(l); {
		j := i + 1
		for j < len(l) && l[j].PLMN == l[i].PLMN {
			j++
		}
		id, err := l[i].PLMN.encode()
		if err != nil {
			return nil, err
		}
		out = append(out, byte(j-i-1)) // type 00, number of elements - 1
		out = append(out, id[:]...)
		for _, t := range l[i:j] {
			out = append(out, byte(t.TAC>>8), byte(t.TAC))
		}
		i = j
	}
	return out, nil
}

func decodeTAIList(b []byte) (TAIList, error) {
	var l TAIList
	for len(b) > 0 {
		typ, n := b[0]>>5&0x3, int(b[0]&0x1F)+1
		b = b[1:]
		var need int
		switch typ {
		case 0:
			need = 3 + 2*n
		case 1:
			need = 5
		case 2:
			need = 5 * n
		default:
			return nil, fmt.Errorf("partial TAI list type %d is reserved", typ)
		}
		if len(b) < need {
			return nil, fmt.Errorf("%w: partial TAI list needs %d octets, has %d", ErrTruncated, need, len(b))
		}
		if len(l)+n > maxTAIs {
			return nil, fmt.Errorf("more than %d TAIs", maxTAIs)
		}
		part, err := decodePartialTAIs(typ, n, b[:need])
		if err != nil {
			return nil, err
		}
		l = append(l, part...)
		b = b[need:]
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("empty TAI list")
	}
	return l, nil
}

func decodePartialTAIs(typ byte, n int, b []byte) ([]TAI, error) {
	out := make([]TAI, 0, n)
	if typ == 2 {
		for i := range n {
			t, err := decodeTAI(b[5*i : 5*i+5])
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	p, err := decodePLMN(b)
	if err != nil {
		return nil, err
	}
	first := int(binary.BigEndian.Uint16(b[3:]))
	for i := range n {
		tac := first + i
		if typ == 0 {
			tac = int(binary.BigEndian.Uint16(b[3+2*i:]))
		} else if tac > 0xFFFF {
			return nil, fmt.Errorf("consecutive TACs run past 0xFFFF")
		}
		out = append(out, TAI{PLMN: p, TAC: uint16(tac)})
	}
	return out, nil
}

// GUTI is the EPS globally unique temporary identity (TS 23.003 2.8).
type GUTI struct {
	PLMN       PLMN
	MMEGroupID uint16
	MMECode    uint8
	MTMSI      uint32
}

func (g GUTI) String() string {
	return fmt.Sprintf("%v-%04x-%02x-%08x", g.PLMN, g.MMEGroupID, g.MMECode, g.MTMSI)
}

// EPSIdentityType is the type of identity of an EPS mobile identity.
type EPSIdentityType uint8

const (
	EPSIdentityIMSI EPSIdentityType = 1
	EPSIdentityIMEI EPSIdentityType = 3
	EPSIdentityGUTI EPSIdentityType = 6
)

// EPSMobileIdentity is TS 24.301 9.9.3.12: an IMSI or IMEI (Digits) or a
// GUTI, as Type says.
type EPSMobileIdentity struct {
	Type   EPSIdentityType
	Digits string
	GUTI   GUTI
}

// IMSIIdentity and GUTIIdentity build the two usual EPS mobile identities.
func IMSIIdentity(imsi string) EPSMobileIdentity {
	return EPSMobileIdentity{Type: EPSIdentityIMSI, Digits: imsi}
}

func GUTIIdentity(g GUTI) EPSMobileIdentity {
	return EPSMobileIdentity{Type: EPSIdentityGUTI, GUTI: g}
}

func (id EPSMobileIdentity) encode() ([]byte, error) {
	switch id.Type {
	case EPSIdentityIMSI, EPSIdentityIMEI:
		if err := checkIdentityDigits(byte(id.Type), id.Digits, true); err != nil {
			return nil, err
		}
		return encodeDigits(id.Digits, byte(id.Type)), nil
	case EPSIdentityGUTI:
		p, err := id.GUTI.PLMN.encode()
		if err != nil {
			return nil, err
		}
		b := make([]byte, 11)
		b[0] = 0xF0 | byte(EPSIdentityGUTI)
		copy(b[1:], p[:])
		binary.BigEndian.PutUint16(b[4:], id.GUTI.MMEGroupID)
		b[6] = id.GUTI.MMECode
		binary.BigEndian.PutUint32(b[7:], id.GUTI.MTMSI)
		return b, nil
	}
	return nil, fmt.Errorf("%w: EPS identity type %d", errValue, id.Type)
}

func decodeEPSMobileIdentity(b []byte) (EPSMobileIdentity, error) {
	if len(b) == 0 {
		return EPSMobileIdentity{}, fmt.Errorf("%w: empty identity", ErrTruncated)
	}
	switch t := EPSIdentityType(b[0] & 0x07); t {
	case EPSIdentityIMSI, EPSIdentityIMEI:
		d, err := decodeDigits(b)
		if err == nil {
			err = checkIdentityDigits(byte(t), d, true)
		}
		return EPSMobileIdentity{Type: t, Digits: d}, err
	case EPSIdentityGUTI:
		if len(b) != 11 {
			return EPSMobileIdentity{}, fmt.Errorf("GUTI of %d octets, want 11", len(b))
		}
		p, err := decodePLMN(b[1:4])
		g := GUTI{PLMN: p, MMEGroupID: binary.BigEndian.Uint16(b[4:]), MMECode: b[6], MTMSI: binary.BigEndian.Uint32(b[7:])}
		return GUTIIdentity(g), err
	default:
		return EPSMobileIdentity{}, fmt.Errorf("EPS identity type %d", t)
	}
}

// IdentityType is the identity type 2 of TS 24.301 9.9.3.17 (TS 24.008
// 10.5.5.9), also the type of a MobileIdentity.
type IdentityType uint8

const (
	IdentityNone   IdentityType = 0
	IdentityIMSI   IdentityType = 1
	IdentityIMEI   IdentityType = 2
	IdentityIMEISV IdentityType = 3
	IdentityTMSI   IdentityType = 4
)

// MobileIdentity is TS 24.008 10.5.1.4 as EPS uses it (Identity Response,
// IMEISV in Security Mode Complete): digits for IMSI, IMEI and IMEISV, or
// a TMSI.
type MobileIdentity struct {
	Type   IdentityType
	Digits string
	TMSI   uint32
}

func (id MobileIdentity) encode() ([]byte, error) {
	switch id.Type {
	case IdentityIMSI, IdentityIMEI, IdentityIMEISV:
		if err := checkIdentityDigits(byte(id.Type), id.Digits, false); err != nil {
			return nil, err
		}
		return encodeDigits(id.Digits, byte(id.Type)), nil
	case IdentityTMSI:
		b := []byte{0xF0 | byte(IdentityTMSI), 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], id.TMSI)
		return b, nil
	case IdentityNone:
		return []byte{0xF0}, nil
	}
	return nil, fmt.Errorf("%w: identity type %d", errValue, id.Type)
}

func decodeMobileIdentity(b []byte) (MobileIdentity, error) {
	if len(b) == 0 {
		return MobileIdentity{}, fmt.Errorf("%w: empty identity", ErrTruncated)
	}
	switch t := IdentityType(b[0] & 0x07); t {
	case IdentityIMSI, IdentityIMEI, IdentityIMEISV:
		d, err := decodeDigits(b)
		if err == nil {
			err = checkIdentityDigits(byte(t), d, false)
		}
		return MobileIdentity{Type: t, Digits: d}, err
	case IdentityTMSI:
		if len(b) != 5 {
			return MobileIdentity{}, fmt.Errorf("TMSI identity of %d octets, want 5", len(b))
		}
		return MobileIdentity{Type: t, TMSI: binary.BigEndian.Uint32(b[1:])}, nil
	case IdentityNone:
		if len(b) != 1 {
			return MobileIdentity{}, fmt.Errorf("no-identity of %d octets, want 1", len(b))
		}
		return MobileIdentity{}, nil
	default:
		return MobileIdentity{}, fmt.Errorf("identity type %d", t)
	}
}

// checkIdentityDigits enforces the digit counts of TS 23.003: IMSI 6..15,
// IMEI 15 (14 with the check digit left out is also sent), IMEISV 16. eps
// selects the EPS numbering, where type 3 is IMEI rather than IMEISV.
func checkIdentityDigits(typ byte, d string, eps bool) error {
	lo, hi := 6, 15
	switch {
	case typ == byte(IdentityIMEI) && !eps, typ == byte(EPSIdentityIMEI) && eps:
		lo = 14
	case typ == byte(IdentityIMEISV) && !eps:
		lo, hi = 16, 16
	}
	if len(d) < lo || len(d) > hi {
		return fmt.Errorf("%w: %d identity digits, want %d..%d", errValue, len(d), lo, hi)
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return fmt.Errorf("%w: identity digit %q", errValue, d[i])
		}
	}
	return nil
}

// encodeDigits packs identity digits after TS 24.008 Figure 10.5.4: digit
// 1 beside the odd/even flag and type, then two digits an octet, low
// nibble first, 0xF filling an even count.
func encodeDigits(d string, typ byte) []byte {
	b := make([]byte, len(d)/2+1)
	odd := byte(len(d) % 2)
	b[0] = (d[0]-'0')<<4 | odd<<3 | typ
	for i := 1; i < len(d); i++ {
		o := (i + 1) / 2
		if i%2 == 1 {
			b[o] = 0xF0 | (d[i] - '0')
		} else {
			b[o] = b[o]&0x0F | (d[i]-'0')<<4
		}
	}
	return b
}

func decodeDigits(b []byte) (string, error) {
	odd := b[0]&0x08 != 0
	n := 2*len(b) - 1
	if !odd {
		n--
	}
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		var d byte
		if i%2 == 0 {
			d = b[(i+1)/2] >> 4
		} else {
			d = b[(i+1)/2] & 0x0F
		}
		if d > 9 {
			return "", fmt.Errorf("identity digit %d is 0x%X", i+1, d)
		}
		out = append(out, '0'+d)
	}
	if !odd && b[len(b)-1]>>4 != 0xF {
		return "", fmt.Errorf("even identity without 0xF filler")
	}
	return string(out), nil
}
