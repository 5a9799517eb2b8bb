package rtp

import (
	"bytes"
	"errors"
	"testing"
)

func TestMarshalParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
	}{
		{"pcmu frame", Packet{PayloadType: PayloadPCMU, Seq: 1, Timestamp: 160, SSRC: 0xdeadbeef, Payload: bytes.Repeat([]byte{0xff}, SamplesPerFrame)}},
		{"marker", Packet{PayloadType: 8, Marker: true, Seq: 65535, Timestamp: 0xffffffff, SSRC: 1, Payload: []byte{1, 2, 3}}},
		{"empty payload", Packet{PayloadType: 127, Seq: 0, Timestamp: 0, SSRC: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.p.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if len(b) != headerLen+len(tt.p.Payload) {
				t.Fatalf("len %d, want %d", len(b), headerLen+len(tt.p.Payload))
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertPacket(t, got, &tt.p)
			appended, err := tt.p.AppendTo([]byte{0xaa})
			if err != nil || !bytes.Equal(appended[1:], b) || appended[0] != 0xaa {
				t.Fatalf("AppendTo = %x, %v; want aa%x", appended, err, b)
			}
		})
	}
}

func assertPacket(t *testing.T, got, want *Packet) {
	t.Helper()
	if got.PayloadType != want.PayloadType || got.Marker != want.Marker || got.Seq != want.Seq ||
		got.Timestamp != want.Timestamp || got.SSRC != want.SSRC || !bytes.Equal(got.Payload, want.Payload) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestMarshalRejectsPayloadType(t *testing.T) {
	p := Packet{PayloadType: 128}
	if _, err := p.Marshal(); !errors.Is(err, ErrPayloadType) {
		t.Fatalf("Marshal PT 128: err %v, want ErrPayloadType", err)
	}
}

// header builds a 12-byte header with the given first byte, PT 0, seq 7,
// timestamp 8, SSRC 9.
func header(first byte) []byte {
	return []byte{first, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9}
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseSkipsCSRCExtensionPadding(t *testing.T) {
	payload := []byte{0xa, 0xb}
	tests := []struct {
		name string
		b    []byte
	}{
		{"two CSRCs", join(header(0x82), make([]byte, 8), payload)},
		{"extension of one word", join(header(0x90), []byte{0xbe, 0xde, 0, 1}, make([]byte, 4), payload)},
		{"padding of three", join(header(0xa0), payload, []byte{0, 0, 3})},
		{"all three", join(header(0xb1), make([]byte, 4), []byte{0, 0, 0, 0}, payload, []byte{1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertPacket(t, got, &Packet{Seq: 7, Timestamp: 8, SSRC: 9, Payload: payload})
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"short header", header(0x80)[:11], ErrShort},
		{"version 0", header(0x00), ErrVersion},
		{"version 1", header(0x40), ErrVersion},
		{"version 3", header(0xc0), ErrVersion},
		{"padding count 0", join(header(0xa0), []byte{1, 0}), ErrPadding},
		{"padding beyond payload", join(header(0xa0), []byte{1, 4}), ErrPadding},
		{"padding on bare header", header(0xa0), ErrPadding},
		{"CSRC beyond packet", join(header(0x81), []byte{0, 0, 0}), ErrShort},
		{"CSRC inside padding", join(header(0xa1), []byte{0, 0, 0, 2}), ErrShort},
		{"extension header cut", join(header(0x90), []byte{0xbe, 0xde, 0}), ErrShort},
		{"extension body cut", join(header(0x90), []byte{0xbe, 0xde, 0, 2}, make([]byte, 7)), ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%x) = %+v, %v; want %v", tt.b, p, err, tt.want)
			}
		})
	}
}
