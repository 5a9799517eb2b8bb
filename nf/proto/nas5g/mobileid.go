package nas5g

import (
	"fmt"

	"github.com/free5gc/nas/ie"
)

// Lengths of the parts of a SUCI scheme output (TS 33.501 C.3.4).
const (
	macTagLen      = 8
	profileAKeyLen = 32
	profileBKeyLen = 33
)

func suciToIE(s SUCI) (*ie.MobileId5GS, error) {
	p, err := plmnToIE(s.PLMN)
	if err != nil {
		return nil, err
	}
	m := &ie.MobileId5GS{
		TypeOfId:           ie.IdType_5GS_SUCI,
		SUPIFormat:         uint8(ie.SupiIMSI),
		PlmnId:             p,
		ProtectionSchemeId: s.ProtectionScheme,
		HomeNwPubKeyId:     s.HomeNetworkKeyID,
	}
	if m.RoutingIndDigit, err = routingDigits(s.RoutingIndicator); err != nil {
		return nil, err
	}
	switch s.ProtectionScheme {
	case SchemeNull:
		err = setNullScheme(m, s.SchemeOutput)
	case SchemeProfileA:
		err = setProfileA(m, s.SchemeOutput)
	case SchemeProfileB:
		err = setProfileB(m, s.SchemeOutput)
	default:
		err = fmt.Errorf("nas5g: SUCI protection scheme %d not supported", s.ProtectionScheme)
	}
	return m, err
}

func routingDigits(ri string) ([4]uint8, error) {
	d := [4]uint8{0xF, 0xF, 0xF, 0xF}
	if len(ri) == 0 || len(ri) > 4 || !digitsOnly(ri) {
		return d, fmt.Errorf("nas5g: routing indicator %q is not 1 to 4 digits", ri)
	}
	for i := 0; i < len(ri); i++ {
		d[i] = ri[i] - '0'
	}
	return d, nil
}

func setNullScheme(m *ie.MobileId5GS, out []byte) error {
	msin, err := msinFromBCD(out)
	if err != nil {
		return err
	}
	for i := 0; i < len(msin); i++ {
		m.MSINDigits[i] = msin[i] - '0'
	}
	m.MSINLength = len(msin)
	return nil
}

func setProfileA(m *ie.MobileId5GS, out []byte) error {
	if len(out) < profileAKeyLen+macTagLen {
		return fmt.Errorf("nas5g: profile A scheme output of %d octets", len(out))
	}
	m.ECCEphPubKey = out[:profileAKeyLen]
	m.CipherVal = out[profileAKeyLen : len(out)-macTagLen]
	m.MACTag = out[len(out)-macTagLen:]
	return nil
}

// setProfileB works around free5gc v1.3.0, which sizes a profile B SUCI four
// octets too long (12 instead of 8 before the key). Shortening CipherVal by
// four and moving those octets in front of the MAC tag yields exactly the
// right octets.
func setProfileB(m *ie.MobileId5GS, out []byte) error {
	const extra = 4
	if len(out) < profileBKeyLen+extra+macTagLen {
		return fmt.Errorf("nas5g: profile B scheme output of %d octets", len(out))
	}
	m.ECCEphPubKey = out[:profileBKeyLen]
	cut := len(out) - macTagLen - extra
	m.CipherVal = out[profileBKeyLen:cut]
	m.MACTag = out[cut:]
	return nil
}

func suciFromIE(m *ie.MobileId5GS) (*SUCI, error) {
	if m.SUPIFormat != uint8(ie.SupiIMSI) {
		return nil, fmt.Errorf("%w: SUCI with SUPI format %d", ErrUnsupported, m.SUPIFormat)
	}
	p, err := plmnFromIE(m.PlmnId)
	if err != nil {
		return nil, err
	}
	s := &SUCI{PLMN: p, ProtectionScheme: m.ProtectionSchemeId, HomeNetworkKeyID: m.HomeNwPubKeyId}
	for _, d := range m.RoutingIndDigit {
		if d == 0xF {
			break
		}
		if d > 9 {
			return nil, fmt.Errorf("nas5g: routing indicator digit %#x", d)
		}
		s.RoutingIndicator += string(rune('0' + d))
	}
	if s.RoutingIndicator == "" {
		return nil, fmt.Errorf("nas5g: empty routing indicator")
	}
	switch m.ProtectionSchemeId {
	case SchemeNull:
		digits := make([]byte, m.MSINLength)
		for i := range digits {
			digits[i] = '0' + m.MSINDigits[i]
		}
		s.SchemeOutput, err = NullSchemeOutput(string(digits))
	case SchemeProfileA, SchemeProfileB:
		out := append(append(append([]byte{}, m.ECCEphPubKey...), m.CipherVal...), m.MACTag...)
		s.SchemeOutput = out
	default:
		err = fmt.Errorf("%w: SUCI protection scheme %d", ErrUnsupported, m.ProtectionSchemeId)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func gutiToIE(g GUTI) (*ie.MobileId5GS, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	p, _ := plmnToIE(g.PLMN)
	m := &ie.MobileId5GS{
		TypeOfId:    ie.IdType_5GS_GUTI,
		PlmnId:      p,
		AMFRegionID: g.AMFRegionID,
		AMFSetID:    g.AMFSetID,
		AMFPointer:  g.AMFPointer,
	}
	putTMSI(&m.TMSI5G, g.TMSI)
	return m, nil
}

func gutiFromIE(m *ie.MobileId5GS) (*GUTI, error) {
	p, err := plmnFromIE(m.PlmnId)
	if err != nil {
		return nil, err
	}
	return &GUTI{PLMN: p, AMFRegionID: m.AMFRegionID, AMFSetID: m.AMFSetID,
		AMFPointer: m.AMFPointer, TMSI: getTMSI(m.TMSI5G)}, nil
}

func stmsiToIE(s STMSI) (*ie.MobileId5GS, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	m := &ie.MobileId5GS{TypeOfId: ie.IdType_5GS_TMSI, AMFSetID: s.AMFSetID, AMFPointer: s.AMFPointer}
	putTMSI(&m.TMSI5G, s.TMSI)
	return m, nil
}

func stmsiFromIE(m *ie.MobileId5GS) STMSI {
	return STMSI{AMFSetID: m.AMFSetID, AMFPointer: m.AMFPointer, TMSI: getTMSI(m.TMSI5G)}
}

func imeisvToIE(imeisv string) (*ie.MobileId5GS, error) {
	if len(imeisv) != 16 || !digitsOnly(imeisv) {
		return nil, fmt.Errorf("nas5g: IMEISV %q is not 16 digits", imeisv)
	}
	m := &ie.MobileId5GS{TypeOfId: ie.IdType_5GS_IMEISV}
	for i := range m.IMEISV {
		m.IMEISV[i] = imeisv[i] - '0'
	}
	return m, nil
}

func imeisvFromIE(m *ie.MobileId5GS) (string, error) {
	if m.TypeOfId != ie.IdType_5GS_IMEISV {
		return "", fmt.Errorf("nas5g: mobile identity type %d is not IMEISV", m.TypeOfId)
	}
	b := make([]byte, len(m.IMEISV))
	for i, d := range m.IMEISV {
		if d > 9 {
			return "", fmt.Errorf("nas5g: IMEISV digit %#x", d)
		}
		b[i] = '0' + d
	}
	return string(b), nil
}

func putTMSI(dst *[4]byte, v uint32) {
	dst[0], dst[1], dst[2], dst[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func getTMSI(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// UEIdentity is the mobile identity of a Registration or Deregistration
// Request: exactly one of SUCI and GUTI.
type UEIdentity struct {
	SUCI *SUCI
	GUTI *GUTI
}

func (u UEIdentity) toIE() (*ie.MobileId5GS, error) {
	switch {
	case u.SUCI != nil && u.GUTI != nil:
		return nil, fmt.Errorf("nas5g: identity has both SUCI and 5G-GUTI")
	case u.SUCI != nil:
		return suciToIE(*u.SUCI)
	case u.GUTI != nil:
		return gutiToIE(*u.GUTI)
	}
	return nil, fmt.Errorf("nas5g: identity has neither SUCI nor 5G-GUTI")
}

func identityFromIE(m *ie.MobileId5GS) (UEIdentity, error) {
	if m == nil {
		return UEIdentity{}, fmt.Errorf("nas5g: missing mobile identity")
	}
	switch m.TypeOfId {
	case ie.IdType_5GS_SUCI:
		s, err := suciFromIE(m)
		return UEIdentity{SUCI: s}, err
	case ie.IdType_5GS_GUTI:
		g, err := gutiFromIE(m)
		return UEIdentity{GUTI: g}, err
	}
	return UEIdentity{}, fmt.Errorf("%w: mobile identity type %s", ErrUnsupported, ie.IdType5GSStr(m.TypeOfId))
}
