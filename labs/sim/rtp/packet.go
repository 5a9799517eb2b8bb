package rtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

const (
	PayloadPCMU     = 0                     // RFC 3551 static PT for G.711 µ-law, 8 kHz
	ClockRate       = 8000                  // PCMU timestamp units per second
	Ptime           = 20 * time.Millisecond // one packet per 20 ms
	SamplesPerFrame = 160                   // 20 ms at 8 kHz
)

const (
	version    = 2
	headerLen  = 12
	maxPT      = 127
	extHdrLen  = 4
	csrcLen    = 4
	flagPad    = 0x20
	flagExt    = 0x10
	maskCC     = 0x0f
	flagMarker = 0x80
)

// Parse errors, wrapped with details; match them with errors.Is.
var (
	ErrShort       = errors.New("rtp: packet too short")
	ErrVersion     = errors.New("rtp: version is not 2")
	ErrPadding     = errors.New("rtp: bad padding count")
	ErrPayloadType = errors.New("rtp: payload type above 127")
)

// Packet is an RTP packet (RFC 3550 section 5.1): version 2, no padding;
// CSRCs and a header extension are parsed (and skipped) but not produced.
type Packet struct {
	PayloadType uint8
	Marker      bool
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
	Payload     []byte
}

// Marshal encodes p into a new buffer.
func (p *Packet) Marshal() ([]byte, error) {
	return p.AppendTo(make([]byte, 0, headerLen+len(p.Payload)))
}

// AppendTo appends p's encoding to b, so a sender can reuse one buffer.
func (p *Packet) AppendTo(b []byte) ([]byte, error) {
	if p.PayloadType > maxPT {
		return b, fmt.Errorf("marshal PT %d: %w", p.PayloadType, ErrPayloadType)
	}
	second := p.PayloadType
	if p.Marker {
		second |= flagMarker
	}
	b = append(b, version<<6, second)
	b = binary.BigEndian.AppendUint16(b, p.Seq)
	b = binary.BigEndian.AppendUint32(b, p.Timestamp)
	b = binary.BigEndian.AppendUint32(b, p.SSRC)
	return append(b, p.Payload...), nil
}

// Parse decodes one RTP packet. The returned Payload aliases b (no copy):
// callers that keep it past b's reuse must copy it.
func Parse(b []byte) (*Packet, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("parse %d bytes, need %d: %w", len(b), headerLen, ErrShort)
	}
	if v := b[0] >> 6; v != version {
		return nil, fmt.Errorf("parse version %d: %w", v, ErrVersion)
	}
	p := &Packet{
		PayloadType: b[1] &^ flagMarker,
		Marker:      b[1]&flagMarker != 0,
		Seq:         binary.BigEndian.Uint16(b[2:]),
		Timestamp:   binary.BigEndian.Uint32(b[4:]),
		SSRC:        binary.BigEndian.Uint32(b[8:]),
	}
	end := len(b)
	if b[0]&flagPad != 0 {
		// The last byte counts the padding, itself included.
		n := int(b[end-1])
		if n == 0 || n > end-headerLen {
			return nil, fmt.Errorf("parse padding count %d in %d bytes: %w", n, end, ErrPadding)
		}
		end -= n
	}
	off := headerLen + csrcLen*int(b[0]&maskCC)
	if off > end {
		return nil, fmt.Errorf("parse %d CSRCs in %d bytes: %w", b[0]&maskCC, end, ErrShort)
	}
	if b[0]&flagExt != 0 {
		if off+extHdrLen > end {
			return nil, fmt.Errorf("parse extension header at %d of %d: %w", off, end, ErrShort)
		}
		words := int(binary.BigEndian.Uint16(b[off+2:]))
		off += extHdrLen + 4*words
		if off > end {
			return nil, fmt.Errorf("parse extension of %d words, ends at %d of %d: %w", words, off, end, ErrShort)
		}
	}
	p.Payload = b[off:end:end]
	return p, nil
}
