package nas5g

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/free5gc/nas/ie"
)

// Conversions between our value types and free5gc's IE structs.

func plmnToIE(p PLMN) (ie.PlmnId, error) {
	if err := p.Validate(); err != nil {
		return ie.PlmnId{}, err
	}
	return ie.PlmnId{MCC: p.MCC, MNC: p.MNC}, nil
}

func plmnFromIE(p ie.PlmnId) (PLMN, error) {
	out := PLMN{MCC: p.MCC, MNC: p.MNC}
	return out, out.Validate()
}

func snssaiToIE(s SNSSAI) (ie.SNSSAI, error) {
	if err := s.validate(); err != nil {
		return ie.SNSSAI{}, err
	}
	return ie.SNSSAI{SST: s.SST, SD: s.sdHex()}, nil
}

func snssaiFromIE(s *ie.SNSSAI) (SNSSAI, error) {
	if s == nil {
		return SNSSAI{}, fmt.Errorf("nas5g: missing S-NSSAI")
	}
	return snssaiFromHex(s.SST, s.SD)
}

func nssaiToIE(list []SNSSAI) (*ie.NSSAI, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := &ie.NSSAI{SNSSAIs: make([]ie.SNSSAI, 0, len(list))}
	for _, s := range list {
		v, err := snssaiToIE(s)
		if err != nil {
			return nil, err
		}
		out.SNSSAIs = append(out.SNSSAIs, v)
	}
	return out, nil
}

func nssaiFromIE(n *ie.NSSAI) ([]SNSSAI, error) {
	if n == nil || len(n.SNSSAIs) == 0 {
		return nil, nil
	}
	out := make([]SNSSAI, 0, len(n.SNSSAIs))
	for i := range n.SNSSAIs {
		s, err := snssaiFromIE(&n.SNSSAIs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// TAI is a 5GS tracking area identity; TAC is 24 bits.
type TAI struct {
	PLMN PLMN
	TAC  uint32
}

func taiToIE(t TAI) (ie.TrackingAreaId5GS, error) {
	p, err := plmnToIE(t.PLMN)
	if err != nil {
		return ie.TrackingAreaId5GS{}, err
	}
	if t.TAC > 0xFFFFFF {
		return ie.TrackingAreaId5GS{}, fmt.Errorf("nas5g: TAC %#x is over 24 bits", t.TAC)
	}
	return ie.TrackingAreaId5GS{PlmnId: p, TAC: fmt.Sprintf("%06x", t.TAC)}, nil
}

func taiFromIE(t ie.TrackingAreaId5GS) (TAI, error) {
	p, err := plmnFromIE(t.PlmnId)
	if err != nil {
		return TAI{}, err
	}
	tac, err := strconv.ParseUint(t.TAC, 16, 32)
	if err != nil || len(t.TAC) != 6 {
		return TAI{}, fmt.Errorf("nas5g: bad TAC %q", t.TAC)
	}
	return TAI{PLMN: p, TAC: uint32(tac)}, nil
}

func ksiToIE(k KSI) (*ie.NASKeySetId, error) {
	if k.Value > 7 {
		return nil, fmt.Errorf("nas5g: ngKSI %d is over 3 bits", k.Value)
	}
	tsc := ie.SecCtxTypeNative
	if k.Mapped {
		tsc = ie.SecCtxTypeMapped
	}
	return &ie.NASKeySetId{Tsc: tsc, Ksi: k.Value}, nil
}

func ksiFromIE(k *ie.NASKeySetId) KSI {
	if k == nil {
		return NoKey
	}
	return KSI{Mapped: k.Tsc == ie.SecCtxTypeMapped, Value: k.Ksi}
}

// capBits lists free5gc's capability flags octet by octet, bit 8 first.
func capBits(c *ie.UESecCapability) [4][8]*bool {
	return [4][8]*bool{
		{&c.EA05G, &c.EA1_128_5G, &c.EA2_128_5G, &c.EA3_128_5G, &c.EA45G, &c.EA55G, &c.EA65G, &c.EA75G},
		{&c.IA05G, &c.IA1_128_5G, &c.IA2_128_5G, &c.IA3_128_5G, &c.IA45G, &c.IA55G, &c.IA65G, &c.IA75G},
		{&c.EEA0, &c.EEA1_128, &c.EEA2_128, &c.EEA3_128, &c.EEA4, &c.EEA5, &c.EEA6, &c.EEA7},
		{&c.EIA0, &c.EIA1_128, &c.EIA2_128, &c.EIA3_128, &c.EIA4, &c.EIA5, &c.EIA6, &c.EIA7},
	}
}

func secCapToIE(c UESecurityCapability) *ie.UESecCapability {
	out := &ie.UESecCapability{Length: 2}
	octets := []uint8{c.EA, c.IA, c.EEA, c.EIA}
	if c.HasEPS {
		out.Length = 4
	}
	for i, bits := range capBits(out) {
		for j, b := range bits {
			*b = octets[i]&(0x80>>j) != 0
		}
	}
	return out
}

func secCapFromIE(c *ie.UESecCapability) UESecurityCapability {
	if c == nil {
		return UESecurityCapability{}
	}
	var octets [4]uint8
	for i, bits := range capBits(c) {
		for j, b := range bits {
			if *b {
				octets[i] |= 0x80 >> j
			}
		}
	}
	out := UESecurityCapability{EA: octets[0], IA: octets[1]}
	if c.Length >= 4 {
		out.EEA, out.EIA, out.HasEPS = octets[2], octets[3], true
	}
	return out
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
