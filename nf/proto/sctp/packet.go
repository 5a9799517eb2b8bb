package sctp

import (
	"encoding/binary"
	"hash/crc32"
	"time"
)

// The little SCTP parsing we own: enough of RFC 9260 to decide, for a
// datagram from an address with no association, whether it opens one (an
// INIT), must be answered as "out of the blue" (section 8.4), or is not
// SCTP at all. Everything else is pion's.

const (
	commonHeaderLen = 12
	chunkHeaderLen  = 4
	initChunkMinLen = chunkHeaderLen + 16 // tag, a_rwnd, streams, initial TSN

	ctInit             = 1
	ctHeartbeat        = 4
	ctHeartbeatAck     = 5
	ctAbort            = 6
	ctShutdownAck      = 8
	ctError            = 9
	ctCookieAck        = 11
	ctShutdownComplete = 14

	flagT = 0x01 // verification tag reflected (RFC 9260 section 3.3.7)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// verdict is what the listener does with a datagram from an unknown address.
type verdict uint8

const (
	dropMalformed         verdict = iota // not SCTP: count and drop
	openAssociation                      // a lone INIT: start a handshake
	dropOutOfTheBlue                     // ABORT, SHUTDOWN COMPLETE, ...: drop silently
	replyShutdownComplete                // SHUTDOWN ACK: answer SHUTDOWN COMPLETE
	replyAbort                           // anything else: answer ABORT
)

// commonHeader is the SCTP common header.
type commonHeader struct {
	srcPort, dstPort uint16
	vtag             uint32
}

// inspect checks the checksum and chunk layout of b and classifies it per
// RFC 9260 section 8.4.
func inspect(b []byte) (verdict, commonHeader) {
	if len(b) < commonHeaderLen+chunkHeaderLen {
		return dropMalformed, commonHeader{}
	}
	h := commonHeader{
		srcPort: binary.BigEndian.Uint16(b[0:]),
		dstPort: binary.BigEndian.Uint16(b[2:]),
		vtag:    binary.BigEndian.Uint32(b[4:]),
	}
	if h.srcPort == 0 || h.dstPort == 0 || !checksumOK(b) {
		return dropMalformed, h
	}
	types, ok := chunkTypes(b[commonHeaderLen:])
	if !ok {
		return dropMalformed, h
	}
	return classify(types, b, h), h
}

// classify applies the out-of-the-blue rules to a well-formed packet.
func classify(types []byte, b []byte, h commonHeader) verdict {
	if types[0] == ctInit {
		// An INIT must be alone, carry tag 0 and its fixed fields.
		l := binary.BigEndian.Uint16(b[commonHeaderLen+2:])
		if len(types) != 1 || h.vtag != 0 || l < initChunkMinLen {
			return dropMalformed
		}
		return openAssociation
	}
	reply := replyAbort
	for _, t := range types {
		switch t {
		case ctInit:
			return dropMalformed // bundled INIT
		case ctAbort, ctShutdownComplete, ctCookieAck, ctError:
			return dropOutOfTheBlue
		case ctShutdownAck:
			reply = replyShutdownComplete
		}
	}
	return reply
}

// chunkTypes walks the chunks of a packet body; every chunk must fit and
// the last must end, padded, exactly at the end (as pion requires).
func chunkTypes(body []byte) ([]byte, bool) {
	var types []byte
	for off := 0; off < len(body); {
		if len(body)-off < chunkHeaderLen {
			return nil, false
		}
		l := int(binary.BigEndian.Uint16(body[off+2:]))
		if l < chunkHeaderLen || l > len(body)-off {
			return nil, false
		}
		types = append(types, body[off])
		off += (l + 3) &^ 3
		if off > len(body) {
			return nil, false
		}
	}
	return types, len(types) > 0
}

// checksumOK verifies the CRC32c, computed with the checksum field zeroed
// and stored least significant byte first (RFC 9260 appendix A).
func checksumOK(b []byte) bool {
	var zero [4]byte
	sum := crc32.Update(0, castagnoli, b[:8])
	sum = crc32.Update(sum, castagnoli, zero[:])
	sum = crc32.Update(sum, castagnoli, b[commonHeaderLen:])
	return sum == binary.LittleEndian.Uint32(b[8:])
}

// putChecksum fills in the checksum of a packet whose checksum field is zero.
func putChecksum(b []byte) {
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b, castagnoli))
}

// outOfTheBlueReply builds the T-bit ABORT or SHUTDOWN COMPLETE that answers
// a packet with header h: ports swapped, the packet's own tag reflected.
func outOfTheBlueReply(h commonHeader, chunkType byte) []byte {
	b := make([]byte, commonHeaderLen+chunkHeaderLen)
	binary.BigEndian.PutUint16(b[0:], h.dstPort)
	binary.BigEndian.PutUint16(b[2:], h.srcPort)
	binary.BigEndian.PutUint32(b[4:], h.vtag)
	b[12], b[13] = chunkType, flagT
	binary.BigEndian.PutUint16(b[14:], chunkHeaderLen)
	putChecksum(b)
	return b
}

// heartbeatPacket is a HEARTBEAT whose Heartbeat Info is the send time
// (8 bytes, big-endian Unix nanoseconds: pion measures RTT from that when
// the ACK comes back). pion v1.12.1's own ActiveHeartbeat sends the chunk
// without its parameter, which peers ignore, so we build ours.
func heartbeatPacket(h commonHeader, now time.Time) []byte {
	const infoLen = 8
	const paramLen = 4 + infoLen
	b := make([]byte, commonHeaderLen+chunkHeaderLen+paramLen)
	binary.BigEndian.PutUint16(b[0:], h.srcPort)
	binary.BigEndian.PutUint16(b[2:], h.dstPort)
	binary.BigEndian.PutUint32(b[4:], h.vtag)
	c := b[commonHeaderLen:]
	c[0] = ctHeartbeat
	binary.BigEndian.PutUint16(c[2:], chunkHeaderLen+paramLen)
	binary.BigEndian.PutUint16(c[4:], 1) // Heartbeat Info
	binary.BigEndian.PutUint16(c[6:], paramLen)
	binary.BigEndian.PutUint64(c[8:], uint64(now.UnixNano()))
	putChecksum(b)
	return b
}

// isHeartbeatAck reports a packet holding just a HEARTBEAT ACK. pion
// v1.12.1 cannot parse that chunk type (it drops such packets with a
// warning), so the packet conns consume these themselves: the arrival
// is all liveness needs.
func isHeartbeatAck(b []byte) bool {
	if len(b) < commonHeaderLen+chunkHeaderLen || b[commonHeaderLen] != ctHeartbeatAck {
		return false
	}
	l := int(binary.BigEndian.Uint16(b[commonHeaderLen+2:]))
	return (l+3)&^3 == len(b)-commonHeaderLen
}

// isEmptyHeartbeat reports pion's own HEARTBEAT (sent when its probe
// timer finds nothing in flight): it lacks the mandatory Heartbeat Info,
// so peers ignore it with a warning. The packet conns do not send it.
func isEmptyHeartbeat(b []byte) bool {
	return len(b) == commonHeaderLen+chunkHeaderLen && b[commonHeaderLen] == ctHeartbeat &&
		binary.BigEndian.Uint16(b[commonHeaderLen+2:]) == chunkHeaderLen
}
