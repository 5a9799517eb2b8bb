package gtpu

import (
	"encoding/binary"
	"math"
)

// hasOptional reports whether the 4-octet optional field is present.
func (h *Header) hasOptional() bool {
	return h.HasSeq || h.HasNPDU || h.NumExt > 0
}

// extContentLen is the content length ext i will be encoded with.
func (h *Header) extContentLen(i int) int {
	e := &h.Ext[i]
	if e.Content == nil && e.Type == ExtPDUSessionContainer {
		return h.PDUSession.contentLen()
	}
	return len(e.Content)
}

// Len is the encoded header length in octets.
func (h *Header) Len() int {
	if !h.hasOptional() {
		return MandatoryHeaderLen
	}
	n := MandatoryHeaderLen + OptionalFieldsLen
	for i := 0; i < h.NumExt && i < MaxExtHeaders; i++ {
		n += h.extContentLen(i) + 2
	}
	return n
}

// validate checks what the encoder cannot represent.
func (h *Header) validate() error {
	if h.NumExt < 0 || h.NumExt > MaxExtHeaders {
		return ErrNumExt
	}
	for i := 0; i < h.NumExt; i++ {
		e := &h.Ext[i]
		if e.Type == ExtNone {
			return ErrExtType
		}
		if e.Content == nil && e.Type == ExtPDUSessionContainer {
			if err := h.PDUSession.validate(); err != nil {
				return err
			}
			continue
		}
		if n := len(e.Content); n%4 != 2 || n > MaxExtContentLen {
			return ErrExtContentLen
		}
	}
	return nil
}

// MarshalTo writes the header for a payload of payloadLen octets into
// b[:h.Len()] and returns the header length. It does not allocate.
func (h *Header) MarshalTo(b []byte, payloadLen int) (int, error) {
	if err := h.validate(); err != nil {
		return 0, err
	}
	hl := h.Len()
	if len(b) < hl {
		return 0, ErrBufferTooSmall
	}
	if payloadLen < 0 || hl-MandatoryHeaderLen+payloadLen > math.MaxUint16 {
		return 0, ErrPayloadTooLong
	}
	flags := uint8(flagVersion1 | flagPT)
	if h.HasSeq {
		flags |= flagS
	}
	if h.HasNPDU {
		flags |= flagPN
	}
	if h.NumExt > 0 {
		flags |= flagE
	}
	b[0] = flags
	b[1] = h.Type
	binary.BigEndian.PutUint16(b[2:4], uint16(hl-MandatoryHeaderLen+payloadLen))
	binary.BigEndian.PutUint32(b[4:8], h.TEID)
	if !h.hasOptional() {
		return hl, nil
	}
	binary.BigEndian.PutUint16(b[8:10], h.Seq)
	b[10] = h.NPDU
	b[11] = h.nextExtType(0)
	h.putExtChain(b[12:hl])
	return hl, nil
}

// nextExtType is the type of extension i, or ExtNone past the chain.
func (h *Header) nextExtType(i int) uint8 {
	if i >= h.NumExt {
		return ExtNone
	}
	return h.Ext[i].Type
}

func (h *Header) putExtChain(b []byte) {
	off := 0
	for i := 0; i < h.NumExt; i++ {
		n := h.extContentLen(i)
		b[off] = uint8((n + 2) / 4)
		content := b[off+1 : off+1+n]
		if e := &h.Ext[i]; e.Content == nil && e.Type == ExtPDUSessionContainer {
			h.PDUSession.render(content)
		} else {
			copy(content, e.Content)
		}
		b[off+1+n] = h.nextExtType(i + 1)
		off += n + 2
	}
}

// Prepend writes h in front of the payload buf[off:], using the headroom
// buf[:off], and returns the whole message. It does not allocate or copy
// the payload.
func Prepend(buf []byte, off int, h *Header) ([]byte, error) {
	hl := h.Len()
	if off < hl || off > len(buf) {
		return nil, ErrNoHeadroom
	}
	start := off - hl
	if _, err := h.MarshalTo(buf[start:off], len(buf)-off); err != nil {
		return nil, err
	}
	return buf[start:], nil
}

// Append appends h and a copy of payload to dst.
func Append(dst []byte, h *Header, payload []byte) ([]byte, error) {
	hl := h.Len()
	start := len(dst)
	dst = grow(dst, hl+len(payload))
	if _, err := h.MarshalTo(dst[start:start+hl], len(payload)); err != nil {
		return dst[:start], err
	}
	copy(dst[start+hl:], payload)
	return dst, nil
}

// grow extends b by n octets, reallocating only when capacity runs out.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*len(b)+n)
	copy(nb, b)
	return nb
}
