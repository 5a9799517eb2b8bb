package sctp

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

func TestInspect(t *testing.T) {
	badCRC := sctpPacket(5000, 5000, 0, initChunk(7))
	badCRC[8] ^= 1
	zeroPort := sctpPacket(0, 5000, 0, initChunk(7))
	unpadded := sctpPacket(5000, 5000, 9, sctpChunk(3, 0, make([]byte, 12)))
	unpadded = append(unpadded[:commonHeaderLen], sctpChunk(0, 3, make([]byte, 13))[:chunkHeaderLen+13]...)
	putChecksum(zero4(unpadded))

	for _, tc := range []struct {
		name string
		b    []byte
		want verdict
	}{
		{"empty", nil, dropMalformed},
		{"header only", sctpPacket(5000, 5000, 0)[:commonHeaderLen], dropMalformed},
		{"text", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), dropMalformed},
		{"init", sctpPacket(5000, 5000, 0, initChunk(7)), openAssociation},
		{"init with bad checksum", badCRC, dropMalformed},
		{"init from port 0", zeroPort, dropMalformed},
		{"init with a tag", sctpPacket(5000, 5000, 1, initChunk(7)), dropMalformed},
		{"init bundled", sctpPacket(5000, 5000, 0, initChunk(7), sctpChunk(3, 0, make([]byte, 12))), dropMalformed},
		{"init too short", sctpPacket(5000, 5000, 0, sctpChunk(ctInit, 0, make([]byte, 8))), dropMalformed},
		{"chunk length past end", truncatedChunk(), dropMalformed},
		{"chunk length under 4", sctpPacket(5000, 5000, 9, []byte{0, 0, 0, 2}), dropMalformed},
		{"last chunk unpadded", unpadded, dropMalformed},
		{"data", sctpPacket(5000, 5000, 9, dataChunk([]byte("hello"))), replyAbort},
		{"cookie echo", sctpPacket(5000, 5000, 9, sctpChunk(10, 0, make([]byte, 32))), replyAbort},
		{"abort", sctpPacket(5000, 5000, 9, sctpChunk(ctAbort, 0, nil)), dropOutOfTheBlue},
		{"sack then abort", sctpPacket(5000, 5000, 9, sctpChunk(3, 0, make([]byte, 12)), sctpChunk(ctAbort, 0, nil)), dropOutOfTheBlue},
		{"shutdown complete", sctpPacket(5000, 5000, 9, sctpChunk(ctShutdownComplete, 0, nil)), dropOutOfTheBlue},
		{"cookie ack", sctpPacket(5000, 5000, 9, sctpChunk(ctCookieAck, 0, nil)), dropOutOfTheBlue},
		{"shutdown ack", sctpPacket(5000, 5000, 9, sctpChunk(ctShutdownAck, 0, nil)), replyShutdownComplete},
		{"heartbeat", heartbeatPacket(commonHeader{5000, 5000, 9}, time.Unix(1, 0)), replyAbort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := inspect(tc.b); got != tc.want {
				t.Fatalf("inspect = %d, want %d", got, tc.want)
			}
		})
	}
}

func zero4(b []byte) []byte {
	copy(b[8:12], []byte{0, 0, 0, 0})
	return b
}

func truncatedChunk() []byte {
	b := sctpPacket(5000, 5000, 9, sctpChunk(3, 0, make([]byte, 12)))
	binary.BigEndian.PutUint16(b[commonHeaderLen+2:], 200)
	putChecksum(zero4(b))
	return b
}

// TestOutOfTheBlueReply: the reply is itself well-formed SCTP that a
// listener would drop silently (no reply to a reply), with ports swapped,
// the tag reflected and the T bit set.
func TestOutOfTheBlueReply(t *testing.T) {
	h := commonHeader{srcPort: 1234, dstPort: 5000, vtag: 0xdeadbeef}
	for _, typ := range []byte{ctAbort, ctShutdownComplete} {
		b := outOfTheBlueReply(h, typ)
		v, got := inspect(b)
		if v != dropOutOfTheBlue {
			t.Fatalf("reply type %d classified %d", typ, v)
		}
		if got != (commonHeader{srcPort: 5000, dstPort: 1234, vtag: 0xdeadbeef}) {
			t.Fatalf("reply header %+v", got)
		}
		if b[12] != typ || b[13] != flagT {
			t.Fatalf("reply chunk % x", b[12:])
		}
	}
}

func TestHeartbeatPacket(t *testing.T) {
	now := time.Unix(1700000000, 42)
	b := heartbeatPacket(commonHeader{srcPort: 5000, dstPort: 5000, vtag: 77}, now)
	if !checksumOK(b) || b[12] != ctHeartbeat || binary.BigEndian.Uint32(b[4:]) != 77 {
		t.Fatalf("heartbeat % x", b)
	}
	if got := int64(binary.BigEndian.Uint64(b[20:])); got != now.UnixNano() {
		t.Fatalf("heartbeat info %d", got)
	}
	ack := bytes.Clone(b)
	ack[12] = ctHeartbeatAck
	if !isHeartbeatAck(ack) || isHeartbeatAck(b) || isHeartbeatAck(ack[:20]) {
		t.Fatal("isHeartbeatAck")
	}
	if empty := sctpPacket(1, 1, 1, sctpChunk(ctHeartbeat, 0, nil)); !isEmptyHeartbeat(empty) || isEmptyHeartbeat(b) {
		t.Fatal("isEmptyHeartbeat")
	}
	if !hasChunk(sctpPacket(1, 1, 1, sctpChunk(3, 0, make([]byte, 12)), sctpChunk(ctAbort, 0, nil)), ctAbort) {
		t.Fatal("hasChunk missed a bundled ABORT")
	}
}
