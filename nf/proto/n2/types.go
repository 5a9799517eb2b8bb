package n2

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"

	"github.com/corebox/corebox/nf/proto/nas5g"
)

// The identity types NAS and NGAP share.
type (
	PLMN   = nas5g.PLMN
	SNSSAI = nas5g.SNSSAI
	TAI    = nas5g.TAI
	STMSI  = nas5g.STMSI
	AMBR   = nas5g.AMBR
)

// UEIDs is the pair of UE NGAP IDs of a UE-associated message.
type UEIDs struct {
	AMFUENGAPID uint64 // 40 bits
	RANUENGAPID uint32
}

func (u UEIDs) toIE() (*ie.AMFUENGAPID, *ie.RANUENGAPID, error) {
	if u.AMFUENGAPID > maxAMFUENGAPID {
		return nil, nil, fmt.Errorf("n2: AMF UE NGAP ID %d is over 40 bits", u.AMFUENGAPID)
	}
	return &ie.AMFUENGAPID{Value: int64(u.AMFUENGAPID)}, &ie.RANUENGAPID{Value: int64(u.RANUENGAPID)}, nil
}

const maxAMFUENGAPID = 1<<40 - 1

func uePair(amf *ie.AMFUENGAPID, ran *ie.RANUENGAPID) (UEIDs, error) {
	if amf == nil || ran == nil {
		return UEIDs{}, fmt.Errorf("missing UE NGAP ID")
	}
	return UEIDs{AMFUENGAPID: uint64(amf.Value), RANUENGAPID: uint32(ran.Value)}, nil
}

// NRCGI is an NR cell global identity; CellID is 36 bits.
type NRCGI struct {
	PLMN   PLMN
	CellID uint64
}

// UserLocation is the NR user location information: TAI and cell.
type UserLocation struct {
	TAI   TAI
	NRCGI NRCGI
}

// GlobalGNBID is a global gNB ID; the gNB ID is IDBits (22 to 32) long.
type GlobalGNBID struct {
	PLMN   PLMN
	ID     uint32
	IDBits uint8
}

// GUAMI is a globally unique AMF identifier.
type GUAMI struct {
	PLMN     PLMN
	RegionID uint8
	SetID    uint16 // 10 bits
	Pointer  uint8  // 6 bits
}

// GTPTunnel is a GTP-U endpoint: IPv4 transport address and TEID.
type GTPTunnel struct {
	Addr netip.Addr
	TEID uint32
}

// UESecurityCapabilities (TS 38.413 9.3.1.86): 16-bit maps whose first
// (most significant) bit is 128-NEA1/NIA1, then 2, then 3.
type UESecurityCapabilities struct {
	NREncryption, NRIntegrity       uint16
	EUTRAEncryption, EUTRAIntegrity uint16
}

// Alg128Bit is the capability bit of algorithm 1, 2 or 3.
func Alg128Bit(alg uint8) uint16 { return 0x8000 >> (alg - 1) }

// bitString left-aligns the low n bits of v, as APER BIT STRINGs are laid out.
func bitString(v uint64, n int) aper.BitString {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v<<(64-n))
	return aper.BitString{Bytes: b[:(n+7)/8], BitLength: uint64(n)}
}

func fromBitString(bs aper.BitString, n int) (uint64, error) {
	if bs.BitLength != uint64(n) || len(bs.Bytes) < (n+7)/8 {
		return 0, fmt.Errorf("bit string of %d bits, want %d", bs.BitLength, n)
	}
	var b [8]byte
	copy(b[:], bs.Bytes[:(n+7)/8])
	return binary.BigEndian.Uint64(b[:]) >> (64 - n), nil
}

// plmnBytes is the NGAP layout of a PLMN identity (TS 38.413 9.3.3.5):
// the digits MCC1..3 then F or MNC1, then the rest of the MNC, two to an
// octet, low nibble first. For a 3-digit MNC this is not the NAS layout
// (TS 24.008 puts MNC3 next to MCC3); free5gc's AMF, open5gs and Wireshark
// agree with this one.
func plmnBytes(p PLMN) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d := []byte(p.MCC + p.MNC)
	for i := range d {
		d[i] -= '0'
	}
	if len(p.MNC) == 2 {
		d = append(d[:3], append([]byte{0xF}, d[3:]...)...)
	}
	return []byte{d[1]<<4 | d[0], d[3]<<4 | d[2], d[5]<<4 | d[4]}, nil
}

func plmnToIE(p PLMN) (*ie.PLMNIdentity, error) {
	b, err := plmnBytes(p)
	if err != nil {
		return nil, err
	}
	return &ie.PLMNIdentity{Value: b}, nil
}

func plmnFromIE(p *ie.PLMNIdentity) (PLMN, error) {
	if p == nil || len(p.Value) != 3 {
		return PLMN{}, fmt.Errorf("bad PLMN identity")
	}
	b := p.Value
	d := []byte{b[0] & 0xF, b[0] >> 4, b[1] & 0xF, b[1] >> 4, b[2] & 0xF, b[2] >> 4}
	if d[3] == 0xF {
		d = append(d[:3], d[4:]...)
	}
	for i := range d {
		if d[i] > 9 {
			return PLMN{}, fmt.Errorf("PLMN identity %x: non-decimal digit", b)
		}
		d[i] += '0'
	}
	return PLMN{MCC: string(d[:3]), MNC: string(d[3:])}, nil
}

func tacToIE(tac uint32) (*ie.TAC, error) {
	if tac > 0xFFFFFF {
		return nil, fmt.Errorf("n2: TAC %#x is over 24 bits", tac)
	}
	return &ie.TAC{Value: []byte{byte(tac >> 16), byte(tac >> 8), byte(tac)}}, nil
}

func tacFromIE(t *ie.TAC) (uint32, error) {
	if t == nil || len(t.Value) != 3 {
		return 0, fmt.Errorf("bad TAC")
	}
	return uint32(t.Value[0])<<16 | uint32(t.Value[1])<<8 | uint32(t.Value[2]), nil
}

func taiToIE(t TAI) (*ie.TAI, error) {
	p, err := plmnToIE(t.PLMN)
	if err != nil {
		return nil, err
	}
	tac, err := tacToIE(t.TAC)
	if err != nil {
		return nil, err
	}
	return &ie.TAI{PLMNIdentity: p, TAC: tac}, nil
}

func taiFromIE(t *ie.TAI) (TAI, error) {
	if t == nil {
		return TAI{}, fmt.Errorf("missing TAI")
	}
	p, err := plmnFromIE(t.PLMNIdentity)
	if err != nil {
		return TAI{}, err
	}
	tac, err := tacFromIE(t.TAC)
	return TAI{PLMN: p, TAC: tac}, err
}

func snssaiToIE(s SNSSAI) (*ie.SNSSAI, error) {
	out := &ie.SNSSAI{SST: &ie.SST{Value: []byte{s.SST}}}
	if s.HasSD {
		if s.SD > 0xFFFFFF {
			return nil, fmt.Errorf("n2: SD %#x is over 24 bits", s.SD)
		}
		out.SD = &ie.SD{Value: []byte{byte(s.SD >> 16), byte(s.SD >> 8), byte(s.SD)}}
	}
	return out, nil
}

func snssaiFromIE(s *ie.SNSSAI) (SNSSAI, error) {
	if s == nil || s.SST == nil || len(s.SST.Value) != 1 {
		return SNSSAI{}, fmt.Errorf("bad S-NSSAI")
	}
	out := SNSSAI{SST: s.SST.Value[0]}
	if s.SD != nil {
		if len(s.SD.Value) != 3 {
			return out, fmt.Errorf("SD of %d octets", len(s.SD.Value))
		}
		out.SD = uint32(s.SD.Value[0])<<16 | uint32(s.SD.Value[1])<<8 | uint32(s.SD.Value[2])
		out.HasSD = true
	}
	return out, nil
}

func sliceListToIE(list []SNSSAI) (*ie.SliceSupportList, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("n2: empty slice support list")
	}
	out := &ie.SliceSupportList{}
	for _, s := range list {
		v, err := snssaiToIE(s)
		if err != nil {
			return nil, err
		}
		out.List = append(out.List, ie.SliceSupportItem{SNSSAI: v})
	}
	return out, nil
}

func sliceListFromIE(l *ie.SliceSupportList) ([]SNSSAI, error) {
	if l == nil || len(l.List) == 0 {
		return nil, fmt.Errorf("missing slice support list")
	}
	var out []SNSSAI
	for _, it := range l.List {
		s, err := snssaiFromIE(it.SNSSAI)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func nrcgiToIE(c NRCGI) (*ie.NRCGI, error) {
	p, err := plmnToIE(c.PLMN)
	if err != nil {
		return nil, err
	}
	if c.CellID >= 1<<36 {
		return nil, fmt.Errorf("n2: NR cell identity %#x is over 36 bits", c.CellID)
	}
	return &ie.NRCGI{PLMNIdentity: p, NRCellIdentity: &ie.NRCellIdentity{Value: bitString(c.CellID, 36)}}, nil
}

func nrcgiFromIE(c *ie.NRCGI) (NRCGI, error) {
	if c == nil || c.NRCellIdentity == nil {
		return NRCGI{}, fmt.Errorf("missing NR CGI")
	}
	p, err := plmnFromIE(c.PLMNIdentity)
	if err != nil {
		return NRCGI{}, err
	}
	id, err := fromBitString(c.NRCellIdentity.Value, 36)
	return NRCGI{PLMN: p, CellID: id}, err
}

func locationToIE(l UserLocation) (*ie.UserLocationInformation, error) {
	tai, err := taiToIE(l.TAI)
	if err != nil {
		return nil, err
	}
	cgi, err := nrcgiToIE(l.NRCGI)
	if err != nil {
		return nil, err
	}
	return &ie.UserLocationInformation{Choice: &ie.UserLocationInformationNR{NRCGI: cgi, TAI: tai}}, nil
}

func locationFromIE(u *ie.UserLocationInformation) (UserLocation, error) {
	if u == nil {
		return UserLocation{}, fmt.Errorf("missing user location information")
	}
	nr, ok := u.Choice.(*ie.UserLocationInformationNR)
	if !ok {
		return UserLocation{}, fmt.Errorf("user location %T is not NR", u.Choice)
	}
	tai, err := taiFromIE(nr.TAI)
	if err != nil {
		return UserLocation{}, err
	}
	cgi, err := nrcgiFromIE(nr.NRCGI)
	return UserLocation{TAI: tai, NRCGI: cgi}, err
}

func guamiToIE(g GUAMI) (*ie.GUAMI, error) {
	p, err := plmnToIE(g.PLMN)
	if err != nil {
		return nil, err
	}
	if g.SetID > 0x3FF || g.Pointer > 0x3F {
		return nil, fmt.Errorf("n2: AMF set %d or pointer %d out of range", g.SetID, g.Pointer)
	}
	return &ie.GUAMI{
		PLMNIdentity: p,
		AMFRegionID:  &ie.AMFRegionID{Value: bitString(uint64(g.RegionID), 8)},
		AMFSetID:     &ie.AMFSetID{Value: bitString(uint64(g.SetID), 10)},
		AMFPointer:   &ie.AMFPointer{Value: bitString(uint64(g.Pointer), 6)},
	}, nil
}

func guamiFromIE(g *ie.GUAMI) (GUAMI, error) {
	if g == nil || g.AMFRegionID == nil || g.AMFSetID == nil || g.AMFPointer == nil {
		return GUAMI{}, fmt.Errorf("incomplete GUAMI")
	}
	p, err := plmnFromIE(g.PLMNIdentity)
	if err != nil {
		return GUAMI{}, err
	}
	region, err1 := fromBitString(g.AMFRegionID.Value, 8)
	set, err2 := fromBitString(g.AMFSetID.Value, 10)
	ptr, err3 := fromBitString(g.AMFPointer.Value, 6)
	if err := firstErr(err1, err2, err3); err != nil {
		return GUAMI{}, err
	}
	return GUAMI{PLMN: p, RegionID: uint8(region), SetID: uint16(set), Pointer: uint8(ptr)}, nil
}

func stmsiToIE(s STMSI) (*ie.FiveGSTMSI, error) {
	if s.AMFSetID > 0x3FF || s.AMFPointer > 0x3F {
		return nil, fmt.Errorf("n2: AMF set %d or pointer %d out of range", s.AMFSetID, s.AMFPointer)
	}
	t := make([]byte, 4)
	binary.BigEndian.PutUint32(t, s.TMSI)
	return &ie.FiveGSTMSI{
		AMFSetID:   &ie.AMFSetID{Value: bitString(uint64(s.AMFSetID), 10)},
		AMFPointer: &ie.AMFPointer{Value: bitString(uint64(s.AMFPointer), 6)},
		FiveGTMSI:  &ie.FiveGTMSI{Value: t},
	}, nil
}

func stmsiFromIE(s *ie.FiveGSTMSI) (STMSI, error) {
	if s == nil || s.AMFSetID == nil || s.AMFPointer == nil || s.FiveGTMSI == nil || len(s.FiveGTMSI.Value) != 4 {
		return STMSI{}, fmt.Errorf("incomplete 5G-S-TMSI")
	}
	set, err1 := fromBitString(s.AMFSetID.Value, 10)
	ptr, err2 := fromBitString(s.AMFPointer.Value, 6)
	if err := firstErr(err1, err2); err != nil {
		return STMSI{}, err
	}
	return STMSI{AMFSetID: uint16(set), AMFPointer: uint8(ptr), TMSI: binary.BigEndian.Uint32(s.FiveGTMSI.Value)}, nil
}

func tunnelToIE(t GTPTunnel) (*ie.UPTransportLayerInformation, error) {
	if !t.Addr.Is4() {
		return nil, fmt.Errorf("n2: GTP tunnel address %v is not IPv4", t.Addr)
	}
	a := t.Addr.As4()
	teid := make([]byte, 4)
	binary.BigEndian.PutUint32(teid, t.TEID)
	return &ie.UPTransportLayerInformation{Choice: &ie.GTPTunnel{
		TransportLayerAddress: &ie.TransportLayerAddress{Value: aper.BitString{Bytes: a[:], BitLength: 32}},
		GTPTEID:               &ie.GTPTEID{Value: teid},
	}}, nil
}

func tunnelFromIE(u *ie.UPTransportLayerInformation) (GTPTunnel, error) {
	if u == nil {
		return GTPTunnel{}, fmt.Errorf("missing UP transport layer information")
	}
	g, ok := u.Choice.(*ie.GTPTunnel)
	if !ok || g.TransportLayerAddress == nil || g.GTPTEID == nil || len(g.GTPTEID.Value) != 4 {
		return GTPTunnel{}, fmt.Errorf("bad GTP tunnel")
	}
	addr := g.TransportLayerAddress.Value
	if addr.BitLength != 32 || len(addr.Bytes) != 4 {
		return GTPTunnel{}, fmt.Errorf("transport address of %d bits is not IPv4", addr.BitLength)
	}
	return GTPTunnel{Addr: netip.AddrFrom4([4]byte(addr.Bytes)), TEID: binary.BigEndian.Uint32(g.GTPTEID.Value)}, nil
}

func secCapToIE(c UESecurityCapabilities) *ie.UESecurityCapabilities {
	bs := func(v uint16) aper.BitString { return bitString(uint64(v), 16) }
	return &ie.UESecurityCapabilities{
		NRencryptionAlgorithms:             &ie.NRencryptionAlgorithms{Value: bs(c.NREncryption)},
		NRintegrityProtectionAlgorithms:    &ie.NRintegrityProtectionAlgorithms{Value: bs(c.NRIntegrity)},
		EUTRAencryptionAlgorithms:          &ie.EUTRAencryptionAlgorithms{Value: bs(c.EUTRAEncryption)},
		EUTRAintegrityProtectionAlgorithms: &ie.EUTRAintegrityProtectionAlgorithms{Value: bs(c.EUTRAIntegrity)},
	}
}

func secCapFromIE(c *ie.UESecurityCapabilities) (UESecurityCapabilities, error) {
	if c == nil || c.NRencryptionAlgorithms == nil || c.NRintegrityProtectionAlgorithms == nil ||
		c.EUTRAencryptionAlgorithms == nil || c.EUTRAintegrityProtectionAlgorithms == nil {
		return UESecurityCapabilities{}, fmt.Errorf("incomplete UE security capabilities")
	}
	var v [4]uint64
	var err [4]error
	for i, bs := range []aper.BitString{c.NRencryptionAlgorithms.Value, c.NRintegrityProtectionAlgorithms.Value,
		c.EUTRAencryptionAlgorithms.Value, c.EUTRAintegrityProtectionAlgorithms.Value} {
		v[i], err[i] = fromBitString(bs, 16)
	}
	return UESecurityCapabilities{uint16(v[0]), uint16(v[1]), uint16(v[2]), uint16(v[3])},
		firstErr(err[:]...)
}

func octets(b []byte) *aper.OctetString {
	o := aper.OctetString(append([]byte(nil), b...))
	return &o
}

func nasPDU(b []byte) *ie.NASPDU {
	if len(b) == 0 {
		return nil
	}
	return &ie.NASPDU{Value: append([]byte(nil), b...)}
}

func nasBytes(n *ie.NASPDU) []byte {
	if n == nil || len(n.Value) == 0 {
		return nil
	}
	return append([]byte(nil), n.Value...)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
