package naseps

import (
	"fmt"
	"net/netip"
)

// Protocol and container identifiers of TS 24.008 10.5.6.3. A container
// the UE sends empty is a request for that item.
const (
	PCOPCSCFIPv6          uint16 = 0x0001
	PCOIMCNSignallingFlag uint16 = 0x0002
	PCODNSServerIPv6      uint16 = 0x0003
	PCOIPAddressViaNAS    uint16 = 0x000A
	PCOPCSCFIPv4          uint16 = 0x000C
	PCODNSServerIPv4      uint16 = 0x000D
	PCOIPv4LinkMTU        uint16 = 0x0010
	PCOIPCP               uint16 = 0x8021
	PCOPAP                uint16 = 0xC023
	PCOCHAP               uint16 = 0xC223
)

// maxPCOLen is the largest PCO value (TLV of 3..253 octets).
const maxPCOLen = 251

// PCO is the protocol configuration options IE (TS 24.008 10.5.6.3):
// protocol and container entries in order.
type PCO struct {
	Protocol   uint8 // configuration protocol, 0 for PPP
	Containers []PCOContainer
}

// PCOContainer is one protocol or container identifier with its contents.
type PCOContainer struct {
	ID       uint16
	Contents []byte
}

// Add appends a container.
func (p *PCO) Add(id uint16, contents []byte) {
	p.Containers = append(p.Containers, PCOContainer{ID: id, Contents: cloneBytes(contents)})
}

// AddIPv4 appends a container holding one IPv4 address (P-CSCF, DNS).
func (p *PCO) AddIPv4(id uint16, a netip.Addr) error {
	if !a.Is4() {
		return fmt.Errorf("%w: PCO container 0x%04X needs an IPv4 address, have %v", ErrInvalid, id, a)
	}
	b := a.As4()
	p.Add(id, b[:])
	return nil
}

// Find returns the contents of the first container with id.
func (p PCO) Find(id uint16) ([]byte, bool) {
	for _, c := range p.Containers {
		if c.ID == id {
			return c.Contents, true
		}
	}
	return nil, false
}

// Has reports whether a container with id is present (a request, when the
// UE sends it empty).
func (p PCO) Has(id uint16) bool {
	_, ok := p.Find(id)
	return ok
}

// IPv4s returns the addresses of every 4-octet container with id, in order.
func (p PCO) IPv4s(id uint16) []netip.Addr {
	var out []netip.Addr
	for _, c := range p.Containers {
		if c.ID == id && len(c.Contents) == 4 {
			out = append(out, netip.AddrFrom4([4]byte(c.Contents)))
		}
	}
	return out
}

func (p PCO) encode() ([]byte, error) {
	if p.Protocol > 7 {
		return nil, rangeErr("PCO configuration protocol", int(p.Protocol), 7)
	}
	out := []byte{0x80 | p.Protocol}
	for _, c := range p.Containers {
		if len(c.Contents) > 0xFF {
			return nil, rangeErr("PCO container octets", len(c.Contents), 0xFF)
		}
		out = append(out, byte(c.ID>>8), byte(c.ID), byte(len(c.Contents)))
		out = append(out, c.Contents...)
	}
	if len(out) > maxPCOLen {
		return nil, rangeErr("PCO octets", len(out), maxPCOLen)
	}
	return out, nil
}

func decodePCO(b []byte) (PCO, error) {
	if len(b) == 0 || len(b) > maxPCOLen {
		return PCO{}, fmt.Errorf("PCO of %d octets, want 1..%d", len(b), maxPCOLen)
	}
	p := PCO{Protocol: b[0] & 0x07}
	for rest := b[1:]; len(rest) > 0; {
		if len(rest) < 3 {
			return PCO{}, fmt.Errorf("%w: PCO container header of %d octets", ErrTruncated, len(rest))
		}
		n := int(rest[2])
		if len(rest) < 3+n {
			return PCO{}, fmt.Errorf("%w: PCO container 0x%04X of %d octets, %d left", ErrTruncated, uint16(rest[0])<<8|uint16(rest[1]), n, len(rest)-3)
		}
		p.Containers = append(p.Containers, PCOContainer{ID: uint16(rest[0])<<8 | uint16(rest[1]), Contents: cloneBytes(rest[3 : 3+n])})
		rest = rest[3+n:]
	}
	return p, nil
}

const ieiPCO = 0x27

func writePCO(w *writer, p *PCO) {
	if p == nil {
		return
	}
	if v, ok := encodeIE(w, "protocol configuration options", p.encode); ok {
		w.tlv("protocol configuration options", ieiPCO, v, 1, maxPCOLen)
	}
}

func readPCO(r *reader, v []byte) *PCO {
	p, err := decodePCO(v)
	if !r.check("protocol configuration options", err) {
		return nil
	}
	return &p
}
