package gtpu

import "encoding/binary"

// Port is the GTP-U UDP port (TS 29.281 §4.4.2).
const Port = 2152

// Message types (TS 29.281 §6.1).
const (
	MsgEchoRequest                     uint8 = 1
	MsgEchoResponse                    uint8 = 2
	MsgErrorIndication                 uint8 = 26
	MsgSupportedExtHeadersNotification uint8 = 31
	MsgEndMarker                       uint8 = 254
	MsgGPDU                            uint8 = 255
)

// Extension header types (TS 29.281 §5.2.1).
const (
	ExtNone                uint8 = 0x00
	ExtUDPPort             uint8 = 0x40
	ExtRANContainer        uint8 = 0x81
	ExtNRRANContainer      uint8 = 0x84
	ExtPDUSessionContainer uint8 = 0x85
	ExtPDCPPDUNumber       uint8 = 0xc0
)

// Header sizes and limits.
const (
	MandatoryHeaderLen = 8    // flags, type, length, TEID
	OptionalFieldsLen  = 4    // sequence number, N-PDU number, next extension type
	MaxExtHeaders      = 8    // longest extension chain we accept
	MaxExtContentLen   = 1018 // 255*4 octets minus length and next-type octets
)

// First-octet flags.
const (
	flagVersion1 = 0x20 // version 1 in bits 8-6
	flagPT       = 0x10 // protocol type: GTP (not GTP')
	flagSpare    = 0x08
	flagE        = 0x04 // extension header present
	flagS        = 0x02 // sequence number present
	flagPN       = 0x01 // N-PDU number present
	flagsOpt     = flagE | flagS | flagPN
)

// ExtHeader is one extension header of the chain. Content is the 4n-2
// octets between the length octet and the next-type octet; after Parse it
// aliases the datagram. When encoding, a PDU Session Container with nil
// Content is rendered from Header.PDUSession.
type ExtHeader struct {
	Type    uint8
	Content []byte
}

// Header is a GTP-U header. Parse fills it without allocating; encoders
// read it. HasSeq and HasNPDU are the S and PN flags; the E flag follows
// from NumExt.
type Header struct {
	Type    uint8
	TEID    uint32
	Seq     uint16
	NPDU    uint8
	HasSeq  bool
	HasNPDU bool

	NumExt int
	Ext    [MaxExtHeaders]ExtHeader

	// PDUSession is the decoded PDU Session Container, if the chain has one.
	PDUSession PDUSessionInfo

	// PayloadOffset is where the payload starts in the parsed datagram.
	PayloadOffset int
}

// Exts returns the extension headers in chain order.
func (h *Header) Exts() []ExtHeader { return h.Ext[:h.NumExt] }

// Payload returns the part of the parsed datagram b after the header.
func (h *Header) Payload(b []byte) []byte { return b[h.PayloadOffset:] }

// Parse decodes the GTP-U header at the start of datagram b into h.
// The length field must account for exactly the rest of b. It neither
// allocates nor copies: extension contents alias b.
func Parse(b []byte, h *Header) error {
	if len(b) < MandatoryHeaderLen {
		return ErrTooShort
	}
	flags := b[0]
	if flags>>5 != 1 {
		return ErrVersion
	}
	if flags&flagPT == 0 {
		return ErrProtocolType
	}
	length := int(binary.BigEndian.Uint16(b[2:4]))
	if MandatoryHeaderLen+length != len(b) {
		return ErrLength
	}
	h.Type = b[1]
	h.TEID = binary.BigEndian.Uint32(b[4:8])
	h.Seq, h.NPDU = 0, 0
	h.HasSeq = flags&flagS != 0
	h.HasNPDU = flags&flagPN != 0
	h.NumExt = 0
	h.PDUSession = PDUSessionInfo{}
	h.PayloadOffset = MandatoryHeaderLen
	if flags&flagsOpt == 0 {
		return nil
	}
	if length < OptionalFieldsLen {
		return ErrOptionalFields
	}
	// Kept even when their flag is off so that re-encoding is exact.
	h.Seq = binary.BigEndian.Uint16(b[8:10])
	h.NPDU = b[10]
	h.PayloadOffset = MandatoryHeaderLen + OptionalFieldsLen
	if flags&flagE == 0 {
		return nil
	}
	return h.parseExtChain(b, b[11])
}

// parseExtChain walks the extension headers starting at h.PayloadOffset.
func (h *Header) parseExtChain(b []byte, next uint8) error {
	off := h.PayloadOffset
	for next != ExtNone {
		if h.NumExt == MaxExtHeaders {
			return ErrTooManyExt
		}
		if off >= len(b) {
			return ErrExtTruncated
		}
		n := int(b[off]) * 4
		if n == 0 {
			return ErrExtZeroLength
		}
		if off+n > len(b) {
			return ErrExtTruncated
		}
		content := b[off+1 : off+n-1]
		if next == ExtPDUSessionContainer {
			if err := h.PDUSession.decode(content); err != nil {
				return err
			}
		}
		h.Ext[h.NumExt] = ExtHeader{Type: next, Content: content}
		h.NumExt++
		next = b[off+n-1]
		off += n
	}
	h.PayloadOffset = off
	return nil
}
