package s1ap

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// pcapSCTPInUDP writes each PDU as one SCTP DATA chunk (PPID 18) in a UDP
// datagram to port 9899, which Wireshark decodes as SCTP by default, in a
// classic pcap of raw IPv4 packets (link type 101).
func pcapSCTPInUDP(pdus [][]byte) []byte {
	var buf bytes.Buffer
	for _, v := range []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 65535, 101} {
		_ = binary.Write(&buf, binary.LittleEndian, v)
	}
	for i, pdu := range pdus {
		pkt := ipv4UDP(sctpData(pdu, uint32(i+1)))
		_ = binary.Write(&buf, binary.LittleEndian, []uint32{uint32(i), 0, uint32(len(pkt)), uint32(len(pkt))})
		buf.Write(pkt)
	}
	return buf.Bytes()
}

// sctpData is an SCTP packet (ports 36412) with one unfragmented DATA
// chunk carrying pdu on stream 1 with PPID 18, CRC32c filled in.
func sctpData(pdu []byte, tsn uint32) []byte {
	chunkLen := 16 + len(pdu)
	p := make([]byte, 12+chunkLen+(4-chunkLen%4)%4)
	binary.BigEndian.PutUint16(p[0:], SCTPPort)
	binary.BigEndian.PutUint16(p[2:], SCTPPort)
	binary.BigEndian.PutUint32(p[4:], 0x5c7a0001) // verification tag
	c := p[12:]
	c[0], c[1] = 0, 0x03 // DATA, beginning and end of a message
	binary.BigEndian.PutUint16(c[2:], uint16(chunkLen))
	binary.BigEndian.PutUint32(c[4:], tsn)
	binary.BigEndian.PutUint16(c[8:], 1)
	binary.BigEndian.PutUint16(c[10:], uint16(tsn))
	binary.BigEndian.PutUint32(c[12:], SCTPPPID)
	copy(c[16:], pdu)
	binary.LittleEndian.PutUint32(p[8:], crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
	return p
}

// ipv4UDP wraps payload in UDP 9899 -> 9899 in IPv4 127.0.0.1 -> 127.0.0.2.
func ipv4UDP(payload []byte) []byte {
	p := make([]byte, 28+len(payload))
	p[0], p[8], p[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	copy(p[12:], []byte{127, 0, 0, 1, 127, 0, 0, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(p[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(p[20:], 9899)
	binary.BigEndian.PutUint16(p[22:], 9899)
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	copy(p[28:], payload)
	return p
}
