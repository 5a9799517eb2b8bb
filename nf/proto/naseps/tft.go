package naseps

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// TFTOperation is the TFT operation code (TS 24.008 10.5.6.12).
type TFTOperation uint8

const (
	TFTCreate         TFTOperation = 1
	TFTDeleteExisting TFTOperation = 2
	TFTAddFilters     TFTOperation = 3
	TFTReplaceFilters TFTOperation = 4
	TFTDeleteFilters  TFTOperation = 5
	TFTNoOperation    TFTOperation = 6
)

// FilterDirection is the packet filter direction.
type FilterDirection uint8

const (
	FilterPreRel7       FilterDirection = 0
	FilterDownlink      FilterDirection = 1
	FilterUplink        FilterDirection = 2
	FilterBidirectional FilterDirection = 3
)

// PortRange is a port or an inclusive range; Low == High is one port.
type PortRange struct {
	Low, High uint16
}

// TrafficClass is the type of service / traffic class and its mask.
type TrafficClass struct {
	Value, Mask uint8
}

// PacketFilter is one packet filter of a TFT. Unset fields (invalid
// prefixes, nil pointers) are components the filter does not have.
type PacketFilter struct {
	ID            uint8 // 0..15
	Direction     FilterDirection
	Precedence    uint8
	RemoteAddress netip.Prefix
	LocalAddress  netip.Prefix
	Protocol      *uint8 // protocol identifier / next header
	LocalPorts    *PortRange
	RemotePorts   *PortRange
	SPI           *uint32
	TrafficClass  *TrafficClass
	FlowLabel     *uint32 // 20 bits
}

// TFTParameter is one entry of the parameters list.
type TFTParameter struct {
	ID       uint8
	Contents []byte
}

// TFT is the traffic flow template of TS 24.008 10.5.6.12. Filters go with
// create, add and replace; DeleteIDs with "delete packet filters".
type TFT struct {
	Op         TFTOperation
	Filters    []PacketFilter
	DeleteIDs  []uint8
	Parameters []TFTParameter
}

// Packet filter component type identifiers.
const (
	compIPv4Remote       = 0x10
	compIPv4Local        = 0x11
	compIPv6Remote       = 0x20
	compIPv6RemotePrefix = 0x21
	compIPv6LocalPrefix  = 0x23
	compProtocol         = 0x30
	compLocalPort        = 0x40
	compLocalPortRange   = 0x41
	compRemotePort       = 0x50
	compRemotePortRange  = 0x51
	compSPI              = 0x60
	compTrafficClass     = 0x70
	compFlowLabel        = 0x80
)

const maxTFTLen = 255

func (t TFT) check() error {
	switch t.Op {
	case TFTCreate, TFTAddFilters, TFTReplaceFilters:
		if len(t.Filters) == 0 || len(t.DeleteIDs) != 0 {
			return fmt.Errorf("TFT operation %d needs packet filters and no identifiers to delete", t.Op)
		}
	case TFTDeleteFilters:
		if len(t.DeleteIDs) == 0 || len(t.Filters) != 0 {
			return fmt.Errorf("TFT operation %d needs packet filter identifiers only", t.Op)
		}
	case TFTDeleteExisting, TFTNoOperation:
		if len(t.Filters) != 0 || len(t.DeleteIDs) != 0 {
			return fmt.Errorf("TFT operation %d takes no packet filters", t.Op)
		}
	default:
		return fmt.Errorf("TFT operation code %d", t.Op)
	}
	if len(t.Filters) > 15 || len(t.DeleteIDs) > 15 {
		return fmt.Errorf("more than 15 packet filters")
	}
	return nil
}

func (t TFT) encode() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", errValue, err)
	}
	n := len(t.Filters) + len(t.DeleteIDs)
	head := byte(t.Op)<<5 | byte(n)
	if len(t.Parameters) > 0 {
		head |= 0x10
	}
	out := []byte{head}
	for _, id := range t.DeleteIDs {
		if id > 15 {
			return nil, rangeErr("packet filter identifier", int(id), 15)
		}
		out = append(out, id)
	}
	for _, f := range t.Filters {
		b, err := f.encode()
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	for _, p := range t.Parameters {
		if len(p.Contents) > 0xFF {
			return nil, rangeErr("TFT parameter octets", len(p.Contents), 0xFF)
		}
		out = append(out, p.ID, byte(len(p.Contents)))
		out = append(out, p.Contents...)
	}
	if len(out) > maxTFTLen {
		return nil, rangeErr("TFT octets", len(out), maxTFTLen)
	}
	return out, nil
}

func (f PacketFilter) encode() ([]byte, error) {
	if f.ID > 15 || f.Direction > 3 {
		return nil, fmt.Errorf("%w: packet filter identifier %d, direction %d", errValue, f.ID, f.Direction)
	}
	c, err := f.components()
	if err != nil {
		return nil, err
	}
	if len(c) > 0xFF {
		return nil, rangeErr("packet filter contents", len(c), 0xFF)
	}
	return append([]byte{byte(f.Direction)<<4 | f.ID, f.Precedence, byte(len(c))}, c...), nil
}

// components writes the filter's components: addresses, then the others
// in type order.
func (f PacketFilter) components() ([]byte, error) {
	out := appendAddress(nil, f.RemoteAddress, true)
	out = appendAddress(out, f.LocalAddress, false)
	ports := func(r *PortRange, single, rng byte) {
		switch {
		case r == nil:
		case r.Low == r.High:
			out = binary.BigEndian.AppendUint16(append(out, single), r.Low)
		default:
			out = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(append(out, rng), r.Low), r.High)
		}
	}
	if f.Protocol != nil {
		out = append(out, compProtocol, *f.Protocol)
	}
	if f.LocalPorts != nil && f.LocalPorts.Low > f.LocalPorts.High || f.RemotePorts != nil && f.RemotePorts.Low > f.RemotePorts.High {
		return nil, fmt.Errorf("%w: port range low above high", errValue)
	}
	ports(f.LocalPorts, compLocalPort, compLocalPortRange)
	ports(f.RemotePorts, compRemotePort, compRemotePortRange)
	if f.SPI != nil {
		out = binary.BigEndian.AppendUint32(append(out, compSPI), *f.SPI)
	}
	if f.TrafficClass != nil {
		out = append(out, compTrafficClass, f.TrafficClass.Value, f.TrafficClass.Mask)
	}
	if f.FlowLabel != nil {
		if *f.FlowLabel > 0xFFFFF {
			return nil, rangeErr("flow label", int(*f.FlowLabel), 0xFFFFF)
		}
		l := *f.FlowLabel
		out = append(out, compFlowLabel, byte(l>>16), byte(l>>8), byte(l))
	}
	return out, nil
}

// appendAddress writes an address component: IPv4 as address and mask
// (remote 0x10, local 0x11); IPv6 remote as address and mask (0x20, which
// every release understands), IPv6 local as address and prefix length
// (0x23, the only local form).
func appendAddress(out []byte, p netip.Prefix, remote bool) []byte {
	if !p.IsValid() {
		return out
	}
	a := p.Addr()
	switch {
	case a.Is4():
		typ := byte(compIPv4Local)
		if remote {
			typ = compIPv4Remote
		}
		b := a.As4()
		return append(append(append(out, typ), b[:]...), maskBytes(p.Bits(), 4)...)
	case remote:
		b := a.As16()
		return append(append(append(out, compIPv6Remote), b[:]...), maskBytes(p.Bits(), 16)...)
	}
	b := a.As16()
	return append(append(append(out, compIPv6LocalPrefix), b[:]...), byte(p.Bits()))
}

func maskBytes(bits, n int) []byte {
	m := make([]byte, n)
	for i := 0; i < bits; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// maskBits turns a contiguous mask into a prefix length.
func maskBits(m []byte) (int, error) {
	bits := 0
	for bits < 8*len(m) && m[bits/8]&(0x80>>(bits%8)) != 0 {
		bits++
	}
	for i := bits; i < 8*len(m); i++ {
		if m[i/8]&(0x80>>(i%8)) != 0 {
			return 0, fmt.Errorf("address mask %x is not contiguous", m)
		}
	}
	return bits, nil
}

func decodeTFT(b []byte) (TFT, error) {
	t := TFT{Op: TFTOperation(b[0] >> 5)}
	n, hasParams := int(b[0]&0x0F), b[0]&0x10 != 0
	rest := b[1:]
	var err error
	if t.Op == TFTDeleteFilters {
		if len(rest) < n {
			return t, fmt.Errorf("%w: %d packet filter identifiers, %d octets", ErrTruncated, n, len(rest))
		}
		for _, id := range rest[:n] {
			t.DeleteIDs = append(t.DeleteIDs, id&0x0F)
		}
		rest = rest[n:]
	} else {
		for range n {
			var f PacketFilter
			if f, rest, err = decodePacketFilter(rest); err != nil {
				return t, err
			}
			t.Filters = append(t.Filters, f)
		}
	}
	if t.Parameters, err = decodeTFTParameters(rest, hasParams); err != nil {
		return t, err
	}
	return t, t.check()
}

func decodeTFTParameters(b []byte, present bool) ([]TFTParameter, error) {
	if !present {
		if len(b) > 0 {
			return nil, fmt.Errorf("%w: %d octets after the packet filters", ErrTrailing, len(b))
		}
		return nil, nil
	}
	var out []TFTParameter
	for len(b) > 0 {
		if len(b) < 2 || len(b) < 2+int(b[1]) {
			return nil, fmt.Errorf("%w: TFT parameter", ErrTruncated)
		}
		out = append(out, TFTParameter{ID: b[0], Contents: cloneBytes(b[2 : 2+int(b[1])])})
		b = b[2+int(b[1]):]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("E bit set but no TFT parameters")
	}
	return out, nil
}

func decodePacketFilter(b []byte) (PacketFilter, []byte, error) {
	if len(b) < 3 || len(b) < 3+int(b[2]) {
		return PacketFilter{}, nil, fmt.Errorf("%w: packet filter", ErrTruncated)
	}
	f := PacketFilter{ID: b[0] & 0x0F, Direction: FilterDirection(b[0] >> 4 & 0x03), Precedence: b[1]}
	c, rest := b[3:3+int(b[2])], b[3+int(b[2]):]
	seen := map[byte]bool{}
	for len(c) > 0 {
		typ := c[0]
		n, ok := componentLen[typ]
		if !ok {
			return f, nil, fmt.Errorf("packet filter component type 0x%02X is not supported", typ)
		}
		if len(c) < 1+n {
			return f, nil, fmt.Errorf("%w: packet filter component 0x%02X", ErrTruncated, typ)
		}
		if seen[componentGroup(typ)] {
			return f, nil, fmt.Errorf("packet filter component 0x%02X repeated", typ)
		}
		seen[componentGroup(typ)] = true
		if err := f.setComponent(typ, c[1:1+n]); err != nil {
			return f, nil, err
		}
		c = c[1+n:]
	}
	return f, rest, nil
}

var componentLen = map[byte]int{
	compIPv4Remote: 8, compIPv4Local: 8, compIPv6Remote: 32, compIPv6RemotePrefix: 17, compIPv6LocalPrefix: 17,
	compProtocol: 1, compLocalPort: 2, compLocalPortRange: 4, compRemotePort: 2, compRemotePortRange: 4,
	compSPI: 4, compTrafficClass: 2, compFlowLabel: 3,
}

// componentGroup folds the types that fill the same field, so a filter
// cannot carry, say, a remote port and a remote port range.
func componentGroup(typ byte) byte {
	switch typ {
	case compIPv4Remote, compIPv6Remote, compIPv6RemotePrefix:
		return compIPv4Remote
	case compIPv4Local, compIPv6LocalPrefix:
		return compIPv4Local
	case compLocalPortRange:
		return compLocalPort
	case compRemotePortRange:
		return compRemotePort
	}
	return typ
}

func (f *PacketFilter) setComponent(typ byte, v []byte) error {
	switch typ {
	case compIPv4Remote, compIPv4Local, compIPv6Remote:
		half := len(v) / 2
		bits, err := maskBits(v[half:])
		if err != nil {
			return err
		}
		a, _ := netip.AddrFromSlice(v[:half])
		if typ == compIPv4Local {
			f.LocalAddress = netip.PrefixFrom(a, bits)
		} else {
			f.RemoteAddress = netip.PrefixFrom(a, bits)
		}
	case compIPv6RemotePrefix, compIPv6LocalPrefix:
		if v[16] > 128 {
			return fmt.Errorf("IPv6 prefix length %d", v[16])
		}
		p := netip.PrefixFrom(netip.AddrFrom16([16]byte(v[:16])), int(v[16]))
		if typ == compIPv6LocalPrefix {
			f.LocalAddress = p
		} else {
			f.RemoteAddress = p
		}
	case compProtocol:
		p := v[0]
		f.Protocol = &p
	case compLocalPort, compRemotePort, compLocalPortRange, compRemotePortRange:
		r := PortRange{Low: binary.BigEndian.Uint16(v), High: binary.BigEndian.Uint16(v[len(v)-2:])}
		if r.Low > r.High {
			return fmt.Errorf("port range %d-%d", r.Low, r.High)
		}
		if componentGroup(typ) == compLocalPort {
			f.LocalPorts = &r
		} else {
			f.RemotePorts = &r
		}
	case compSPI:
		s := binary.BigEndian.Uint32(v)
		f.SPI = &s
	case compTrafficClass:
		f.TrafficClass = &TrafficClass{Value: v[0], Mask: v[1]}
	case compFlowLabel:
		l := uint32(v[0]&0x0F)<<16 | uint32(v[1])<<8 | uint32(v[2])
		f.FlowLabel = &l
	}
	return nil
}
