// Package ippkt builds and parses the IPv4/UDP packets the UE simulator
// sends without a kernel (memory data plane) and test doubles echo.
package ippkt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Header sizes.
const (
	IPv4HeaderLen = 20
	UDPHeaderLen  = 8
	protoUDP      = 17
	defaultTTL    = 64
)

// ErrNotUDP4: the packet is not an unfragmented IPv4 UDP datagram.
var ErrNotUDP4 = errors.New("ippkt: not an IPv4 UDP packet")

// AppendUDP4 appends an IPv4 packet carrying one UDP datagram from src to
// dst, with both checksums, to b.
func AppendUDP4(b []byte, src, dst netip.AddrPort, id uint16, payload []byte) ([]byte, error) {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return b, fmt.Errorf("ippkt: %s -> %s: IPv4 addresses only", src, dst)
	}
	total := IPv4HeaderLen + UDPHeaderLen + len(payload)
	if total > 0xFFFF {
		return b, fmt.Errorf("ippkt: packet of %d bytes is too long", total)
	}
	start := len(b)
	b = append(b, make([]byte, IPv4HeaderLen+UDPHeaderLen)...)
	b = append(b, payload...)
	ip := b[start:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(total))
	binary.BigEndian.PutUint16(ip[4:], id)
	ip[8], ip[9] = defaultTTL, protoUDP
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum(0, ip[:IPv4HeaderLen])))
	udp := ip[IPv4HeaderLen:]
	binary.BigEndian.PutUint16(udp[0:], src.Port())
	binary.BigEndian.PutUint16(udp[2:], dst.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(UDPHeaderLen+len(payload)))
	binary.BigEndian.PutUint16(udp[6:], udpChecksum(ip))
	return b, nil
}

// UDP4 is a parsed IPv4/UDP packet; Payload aliases the packet.
type UDP4 struct {
	Src, Dst netip.AddrPort
	ID       uint16
	Payload  []byte
}

// ParseUDP4 parses an unfragmented IPv4 packet carrying UDP. The checksums
// are not verified: the packet comes from our own stacks or a kernel.
func ParseUDP4(pkt []byte) (UDP4, error) {
	if len(pkt) < IPv4HeaderLen || pkt[0]>>4 != 4 {
		return UDP4{}, ErrNotUDP4
	}
	ihl := int(pkt[0]&0x0F) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:]))
	if ihl < IPv4HeaderLen || total < ihl+UDPHeaderLen || total > len(pkt) || pkt[9] != protoUDP {
		return UDP4{}, ErrNotUDP4
	}
	if frag := binary.BigEndian.Uint16(pkt[6:]); frag&0x3FFF != 0 {
		return UDP4{}, fmt.Errorf("%w: fragment", ErrNotUDP4)
	}
	udp := pkt[ihl:total]
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < UDPHeaderLen || ulen > len(udp) {
		return UDP4{}, ErrNotUDP4
	}
	src := netip.AddrFrom4([4]byte(pkt[12:16]))
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	return UDP4{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:])),
		ID:      binary.BigEndian.Uint16(pkt[4:]),
		Payload: udp[UDPHeaderLen:ulen],
	}, nil
}

// Source4 is the source address of an IPv4 packet.
func Source4(pkt []byte) (netip.Addr, bool) {
	if len(pkt) < IPv4HeaderLen || pkt[0]>>4 != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(pkt[12:16])), true
}

// Dest4 is the destination address of an IPv4 packet.
func Dest4(pkt []byte) (netip.Addr, bool) {
	if len(pkt) < IPv4HeaderLen || pkt[0]>>4 != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(pkt[16:20])), true
}

func udpChecksum(ip []byte) uint16 {
	udp := ip[IPv4HeaderLen:]
	var pseudo [12]byte
	copy(pseudo[0:8], ip[12:20])
	pseudo[9] = protoUDP
	binary.BigEndian.PutUint16(pseudo[10:], uint16(len(udp)))
	c := ^fold(sum(sum(0, pseudo[:]), udp))
	if c == 0 {
		return 0xFFFF // zero means "no checksum" in UDP over IPv4
	}
	return c
}

func sum(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xFFFF {
		acc = acc>>16 + acc&0xFFFF
	}
	return uint16(acc)
}
