package nfkittest

import (
	"bytes"
	"encoding/binary"
)

// TCPFlow writes one TCP connection client:port -> server:port as IPv4
// packets, from its three-way handshake on, with sequence and
// acknowledgement numbers kept, so that Wireshark's TCP analysis has
// nothing to remark. Tests build captures of a stream protocol with it
// (Diameter on 3868) for tshark to decode.
type TCPFlow struct {
	cli, srv     [4]byte
	cport, sport uint16
	cseq, sseq   uint32
	started      bool
}

// NewTCPFlow starts a flow from cli:cport to srv:sport.
func NewTCPFlow(cli, srv [4]byte, cport, sport uint16) *TCPFlow {
	return &TCPFlow{cli: cli, srv: srv, cport: cport, sport: sport, cseq: 1000, sseq: 5000}
}

const (
	tcpSYN = 0x02
	tcpACK = 0x10
	tcpPSH = 0x08
)

// Segment gives the packets that carry payload from the client (up) or
// the server (the handshake first, the first time).
func (f *TCPFlow) Segment(up bool, payload []byte) [][]byte {
	var out [][]byte
	if !f.started {
		f.started = true
		out = append(out, f.packet(true, f.cseq, 0, tcpSYN, nil))
		f.cseq++
		out = append(out, f.packet(false, f.sseq, f.cseq, tcpSYN|tcpACK, nil))
		f.sseq++
		out = append(out, f.packet(true, f.cseq, f.sseq, tcpACK, nil))
	}
	if up {
		out = append(out, f.packet(true, f.cseq, f.sseq, tcpACK|tcpPSH, payload))
		f.cseq += uint32(len(payload))
	} else {
		out = append(out, f.packet(false, f.sseq, f.cseq, tcpACK|tcpPSH, payload))
		f.sseq += uint32(len(payload))
	}
	return out
}

// packet is an IPv4 + TCP packet with valid checksums.
func (f *TCPFlow) packet(up bool, seq, ack uint32, flags byte, payload []byte) []byte {
	src, dst, sport, dport := f.cli, f.srv, f.cport, f.sport
	if !up {
		src, dst, sport, dport = dst, src, dport, sport
	}
	tcp := binary.BigEndian.AppendUint16(nil, sport)
	tcp = binary.BigEndian.AppendUint16(tcp, dport)
	tcp = binary.BigEndian.AppendUint32(tcp, seq)
	tcp = binary.BigEndian.AppendUint32(tcp, ack)
	tcp = append(tcp, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0)
	tcp = append(tcp, payload...)
	pseudo := append(append(append([]byte(nil), src[:]...), dst[:]...), 0, 6, byte(len(tcp)>>8), byte(len(tcp)))
	binary.BigEndian.PutUint16(tcp[16:], inetChecksum(append(pseudo, tcp...)))
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
	ip = append(append(ip, src[:]...), dst[:]...)
	binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip))
	return append(ip, tcp...)
}

// inetChecksum is the Internet checksum (RFC 1071).
func inetChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// RawPcap wraps IPv4 packets in a classic pcap of link type RAW, one
// millisecond apart.
func RawPcap(packets [][]byte) []byte {
	var buf bytes.Buffer
	for _, v := range []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 262144, 101} {
		_ = binary.Write(&buf, binary.LittleEndian, v) // bytes.Buffer writes do not fail
	}
	for i, p := range packets {
		_ = binary.Write(&buf, binary.LittleEndian, []uint32{1700000000 + uint32(i/1000), uint32(i%1000) * 1000,
			uint32(len(p)), uint32(len(p))})
		buf.Write(p)
	}
	return buf.Bytes()
}
