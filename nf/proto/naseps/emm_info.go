package naseps

import (
	"fmt"
	"time"
	"unicode/utf16"
)

func init() {
	register(MsgEMMInformation, "EMM Information", PDEMM, func() *EMMInformation { return &EMMInformation{} })
	register(MsgEMMStatus, "EMM Status", PDEMM, func() *EMMStatus { return &EMMStatus{} })
}

const (
	ieiFullName       = 0x43
	ieiShortName      = 0x45
	ieiLocalTimeZone  = 0x46
	ieiUniversalTime  = 0x47
	ieiDaylightSaving = 0x49
)

// EMMInformation (TS 24.301 8.2.13); every IE is optional.
type EMMInformation struct {
	FullName       *NetworkName
	ShortName      *NetworkName
	LocalTimeZone  *TimeZone
	UniversalTime  *TimeAndZone
	DaylightSaving *uint8 // hours added for daylight saving, 0..2
}

func (*EMMInformation) MessageType() MessageType { return MsgEMMInformation }

func (m *EMMInformation) Marshal() ([]byte, error) {
	return marshalEMM(MsgEMMInformation, func(w *writer) {
		for _, n := range []struct {
			iei   byte
			field string
			name  *NetworkName
		}{{ieiFullName, "full name for network", m.FullName}, {ieiShortName, "short name for network", m.ShortName}} {
			if n.name != nil {
				if v, ok := encodeIE(w, n.field, n.name.encode); ok {
					w.tlv(n.field, n.iei, v, 1, 255)
				}
			}
		}
		if m.LocalTimeZone != nil {
			z, err := m.LocalTimeZone.encode()
			if w.check("local time zone", err) {
				w.tv(ieiLocalTimeZone, []byte{z})
			}
		}
		if m.UniversalTime != nil {
			if v, ok := encodeIE(w, "universal time and local time zone", m.UniversalTime.encode); ok {
				w.tv(ieiUniversalTime, v)
			}
		}
		if m.DaylightSaving != nil {
			if *m.DaylightSaving > 3 {
				w.fail("network daylight saving time", rangeErr("daylight saving", int(*m.DaylightSaving), 3))
				return
			}
			w.tlv("network daylight saving time", ieiDaylightSaving, []byte{*m.DaylightSaving}, 1, 1)
		}
	})
}

func (m *EMMInformation) decode(r *reader) {
	for _, e := range r.optionals(map[byte]int{ieiLocalTimeZone: 2, ieiUniversalTime: 8}) {
		switch e.iei {
		case ieiFullName, ieiShortName:
			n, err := decodeNetworkName(e.v)
			if !r.check("network name", err) {
				return
			}
			if e.iei == ieiFullName {
				m.FullName = &n
			} else {
				m.ShortName = &n
			}
		case ieiLocalTimeZone:
			z, err := decodeTimeZone(e.v[0])
			if r.check("local time zone", err) {
				m.LocalTimeZone = &z
			}
		case ieiUniversalTime:
			t, err := decodeTimeAndZone(e.v)
			if r.check("universal time and local time zone", err) {
				m.UniversalTime = &t
			}
		case ieiDaylightSaving:
			if r.check("network daylight saving time", lenIn(e.v, 1, 1)) {
				d := e.v[0] & 0x03
				m.DaylightSaving = &d
			}
		}
	}
}

// EMMStatus (TS 24.301 8.2.14).
type EMMStatus struct {
	Cause EMMCause
}

func (*EMMStatus) MessageType() MessageType { return MsgEMMStatus }

func (m *EMMStatus) Marshal() ([]byte, error) {
	return marshalEMM(MsgEMMStatus, func(w *writer) { w.u8(byte(m.Cause)) })
}

func (m *EMMStatus) decode(r *reader) {
	m.Cause = EMMCause(r.u8("EMM cause"))
	r.optionals(nil)
}

// NetworkName is TS 24.008 10.5.3.5a. Marshal uses the GSM 7-bit default
// alphabet when every character has a code there that this package maps
// (letters, digits, space, most ASCII punctuation), UCS2 otherwise.
type NetworkName struct {
	Text  string
	AddCI bool // add the country's initials
}

const (
	codingGSM7 = 0
	codingUCS2 = 1
)

func (n NetworkName) encode() ([]byte, error) {
	head := byte(0x80)
	if n.AddCI {
		head |= 0x08
	}
	if septets, ok := toGSM7(n.Text); ok {
		packed, spare := packGSM7(septets)
		if len(packed) > 254 {
			return nil, rangeErr("network name octets", len(packed), 254)
		}
		return append([]byte{head | codingGSM7<<4 | spare}, packed...), nil
	}
	units := utf16.Encode([]rune(n.Text))
	if 2*len(units) > 254 {
		return nil, rangeErr("network name octets", 2*len(units), 254)
	}
	out := []byte{head | codingUCS2<<4}
	for _, u := range units {
		out = append(out, byte(u>>8), byte(u))
	}
	return out, nil
}

func decodeNetworkName(b []byte) (NetworkName, error) {
	if len(b) == 0 {
		return NetworkName{}, fmt.Errorf("%w: empty network name", ErrTruncated)
	}
	n := NetworkName{AddCI: b[0]&0x08 != 0}
	spare, text := int(b[0]&0x07), b[1:]
	switch b[0] >> 4 & 0x07 {
	case codingGSM7:
		bits := 8*len(text) - spare
		if bits < 0 || bits%7 != 0 {
			return n, fmt.Errorf("GSM 7-bit text of %d octets with %d spare bits", len(text), spare)
		}
		s, err := fromGSM7(unpackGSM7(text, bits/7))
		n.Text = s
		return n, err
	case codingUCS2:
		if len(text)%2 != 0 || spare != 0 {
			return n, fmt.Errorf("UCS2 text of %d octets, %d spare bits", len(text), spare)
		}
		units := make([]uint16, len(text)/2)
		for i := range units {
			units[i] = uint16(text[2*i])<<8 | uint16(text[2*i+1])
		}
		n.Text = string(utf16.Decode(units))
		if n.encodeIsGSM7() {
			return n, fmt.Errorf("UCS2 text %q has a GSM 7-bit form", n.Text)
		}
		return n, nil
	}
	return n, fmt.Errorf("network name coding scheme %d", b[0]>>4&0x07)
}

// encodeIsGSM7 keeps decode/encode symmetric: a name we would send in
// 7-bit is not accepted in UCS2, so what decodes re-encodes identically.
func (n NetworkName) encodeIsGSM7() bool {
	_, ok := toGSM7(n.Text)
	return ok
}

// gsm7 maps the characters whose GSM 03.38 default alphabet code this
// package handles; most printable ASCII has the same code.
func gsm7Code(c rune) (byte, bool) {
	switch {
	case c == '@':
		return 0x00, true
	case c == '$':
		return 0x02, true
	case c == '_':
		return 0x11, true
	case c >= 0x20 && c <= 0x3F && c != '$', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return byte(c), true
	}
	return 0, false
}

func toGSM7(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, c := range s {
		b, ok := gsm7Code(c)
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

func fromGSM7(septets []byte) (string, error) {
	out := make([]rune, 0, len(septets))
	for _, s := range septets {
		var c rune
		switch {
		case s == 0x00:
			c = '@'
		case s == 0x02:
			c = '$'
		case s == 0x11:
			c = '_'
		case s >= 0x20 && s <= 0x3F && s != 0x24, s >= 'A' && s <= 'Z', s >= 'a' && s <= 'z':
			c = rune(s)
		default:
			return "", fmt.Errorf("GSM 7-bit code 0x%02X is not supported", s)
		}
		out = append(out, c)
	}
	return string(out), nil
}

// packGSM7 packs septets low bit first (TS 23.038 6.1.2.1.1) and returns
// the number of spare bits in the last octet.
func packGSM7(septets []byte) ([]byte, byte) {
	out := make([]byte, (7*len(septets)+7)/8)
	for i, s := range septets {
		p := 7 * i
		out[p/8] |= s << (p % 8)
		if p%8 > 1 {
			out[p/8+1] |= s >> (8 - p%8)
		}
	}
	return out, byte(8*len(out) - 7*len(septets))
}

func unpackGSM7(b []byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		p := 7 * i
		v := uint16(b[p/8]) >> (p % 8)
		if p/8+1 < len(b) {
			v |= uint16(b[p/8+1]) << (8 - p%8)
		}
		out[i] = byte(v) & 0x7F
	}
	return out
}

// TimeZone is the offset from UTC in quarters of an hour (TS 24.008
// 10.5.3.8), -79..79.
type TimeZone int8

func (z TimeZone) encode() (byte, error) {
	v, sign := int(z), byte(0)
	if v < 0 {
		v, sign = -v, 0x08
	}
	if v > 79 {
		return 0, rangeErr("time zone quarters", v, 79)
	}
	return byte(v%10)<<4 | byte(v/10) | sign, nil
}

func decodeTimeZone(o byte) (TimeZone, error) {
	tens, units := int(o&0x07), int(o>>4)
	if units > 9 {
		return 0, fmt.Errorf("time zone digit 0x%X", units)
	}
	v := tens*10 + units
	if o&0x08 != 0 {
		v = -v
	}
	return TimeZone(v), nil
}

// TimeAndZone is the universal time and local time zone of TS 24.008
// 10.5.3.9: a UTC time to the second, years 2000..2099.
type TimeAndZone struct {
	Time time.Time
	Zone TimeZone
}

func (t TimeAndZone) encode() ([]byte, error) {
	u := t.Time.UTC()
	if u.Year() < 2000 || u.Year() > 2099 {
		return nil, rangeErr("year", u.Year(), 2099)
	}
	z, err := t.Zone.encode()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 7)
	for _, v := range []int{u.Year() - 2000, int(u.Month()), u.Day(), u.Hour(), u.Minute(), u.Second()} {
		out = append(out, byte(v%10)<<4|byte(v/10))
	}
	return append(out, z), nil
}

func decodeTimeAndZone(b []byte) (TimeAndZone, error) {
	var f [6]int
	for i := range f {
		lo, hi := int(b[i]&0x0F), int(b[i]>>4)
		if lo > 9 || hi > 9 {
			return TimeAndZone{}, fmt.Errorf("time octet %d is 0x%02X, not BCD", i+1, b[i])
		}
		f[i] = lo*10 + hi
	}
	t := time.Date(2000+f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, time.UTC)
	if int(t.Month()) != f[1] || t.Day() != f[2] || t.Hour() != f[3] || t.Minute() != f[4] || t.Second() != f[5] {
		return TimeAndZone{}, fmt.Errorf("time %02d-%02d-%02d %02d:%02d:%02d does not exist", f[0], f[1], f[2], f[3], f[4], f[5])
	}
	z, err := decodeTimeZone(b[6])
	return TimeAndZone{Time: t, Zone: z}, err
}
