package naseps

import (
	"fmt"
)

// Protocol discriminators (TS 24.007 11.2.3.1.1).
const (
	PDESM byte = 0x2 // EPS session management
	PDEMM byte = 0x7 // EPS mobility management
)

// MessageType is an EMM or ESM message type (TS 24.301 9.8).
type MessageType uint8

// EMM message types (TS 24.301 Table 9.8.1).
const (
	MsgAttachRequest        MessageType = 0x41
	MsgAttachAccept         MessageType = 0x42
	MsgAttachComplete       MessageType = 0x43
	MsgAttachReject         MessageType = 0x44
	MsgDetachRequest        MessageType = 0x45
	MsgDetachAccept         MessageType = 0x46
	MsgTAURequest           MessageType = 0x48
	MsgTAUAccept            MessageType = 0x49
	MsgTAUComplete          MessageType = 0x4A
	MsgTAUReject            MessageType = 0x4B
	MsgServiceReject        MessageType = 0x4E
	MsgAuthenticationReq    MessageType = 0x52
	MsgAuthenticationResp   MessageType = 0x53
	MsgAuthenticationReject MessageType = 0x54
	MsgAuthenticationFail   MessageType = 0x5C
	MsgIdentityRequest      MessageType = 0x55
	MsgIdentityResponse     MessageType = 0x56
	MsgSecurityModeCommand  MessageType = 0x5D
	MsgSecurityModeComplete MessageType = 0x5E
	MsgSecurityModeReject   MessageType = 0x5F
	MsgEMMStatus            MessageType = 0x60
	MsgEMMInformation       MessageType = 0x61

	// MsgServiceRequest is not a message type octet: the SERVICE REQUEST
	// is recognised by its security header type (TS 24.301 8.2.25). This
	// value, unused by TS 24.301, only names it in MessageType().
	MsgServiceRequest MessageType = 0xFF
)

// ESM message types (TS 24.301 Table 9.8.2).
const (
	MsgActivateDefaultBearerRequest   MessageType = 0xC1
	MsgActivateDefaultBearerAccept    MessageType = 0xC2
	MsgActivateDefaultBearerReject    MessageType = 0xC3
	MsgActivateDedicatedBearerRequest MessageType = 0xC5
	MsgActivateDedicatedBearerAccept  MessageType = 0xC6
	MsgActivateDedicatedBearerReject  MessageType = 0xC7
	MsgDeactivateBearerRequest        MessageType = 0xCD
	MsgDeactivateBearerAccept         MessageType = 0xCE
	MsgPDNConnectivityRequest         MessageType = 0xD0
	MsgPDNConnectivityReject          MessageType = 0xD1
	MsgPDNDisconnectRequest           MessageType = 0xD2
	MsgESMInformationRequest          MessageType = 0xD9
	MsgESMInformationResponse         MessageType = 0xDA
	MsgESMStatus                      MessageType = 0xE8
)

// Message is a plain NAS message with a typed view in this package.
type Message interface {
	MessageType() MessageType
	// Marshal returns the plain NAS message.
	Marshal() ([]byte, error)
	// decode fills the message from its body (the octets after the
	// header); errors stick in r.
	decode(r *reader)
}

type kind struct {
	name string
	pd   byte
	// build returns an empty message for a body; only the Detach Request,
	// whose two directions share a type, looks at it.
	build func(body []byte) Message
}

var kinds = map[MessageType]kind{}

// register adds a message type; each message file registers its own.
func register[T Message](mt MessageType, name string, pd byte, newT func() T) {
	kinds[mt] = kind{name: name, pd: pd, build: func([]byte) Message { return newT() }}
}

func (t MessageType) String() string {
	if k, ok := kinds[t]; ok {
		return k.name
	}
	if t == MsgServiceRequest {
		return "Service Request"
	}
	return fmt.Sprintf("MessageType(0x%02X)", uint8(t))
}

// ESMHeader is the EPS bearer identity and procedure transaction identity
// every ESM message carries (TS 24.301 9.3.2, 9.4).
type ESMHeader struct {
	EBI uint8 // EPS bearer identity, 0..15 (0: none assigned)
	PTI uint8 // procedure transaction identity (0: none)
}

func (h *ESMHeader) header() *ESMHeader { return h }

type esmMessage interface {
	Message
	header() *ESMHeader
}

// Parse decodes a plain NAS message: an EMM message with security header
// type 0, an ESM message, or the SERVICE REQUEST (whose short MAC Parse
// does not check; see SecurityContext.VerifyServiceRequest). A security
// protected message gives ErrProtected; a well-formed message without a
// typed view, ErrUnsupported; anything else an error matching ErrMalformed.
func Parse(plain []byte) (Message, error) {
	if len(plain) < 2 {
		return nil, &DecodeError{Field: "header", Err: fmt.Errorf("%w: %d octets", ErrTruncated, len(plain))}
	}
	pd := plain[0] & 0x0F
	var mt MessageType
	var body []byte
	switch pd {
	case PDEMM:
		sht := HeaderType(plain[0] >> 4)
		switch {
		case sht == Plain:
		case sht.isServiceRequest():
			return parseServiceRequest(plain)
		case sht <= IntegrityProtectedAndCipheredNewContext:
			return nil, ErrProtected
		default:
			return nil, fmt.Errorf("%w: security header type %d", ErrUnsupported, sht)
		}
		mt, body = MessageType(plain[1]), plain[2:]
	case PDESM:
		if len(plain) < 3 {
			return nil, &DecodeError{Field: "ESM header", Err: fmt.Errorf("%w: %d octets", ErrTruncated, len(plain))}
		}
		mt, body = MessageType(plain[2]), plain[3:]
	default:
		return nil, &DecodeError{Field: "header", Err: fmt.Errorf("protocol discriminator 0x%X is not EMM or ESM", pd)}
	}
	k, ok := kinds[mt]
	if !ok || k.pd != pd {
		return nil, fmt.Errorf("%w: message type 0x%02X with protocol discriminator 0x%X", ErrUnsupported, byte(mt), pd)
	}
	m := k.build(body)
	if e, ok := m.(esmMessage); ok {
		*e.header() = ESMHeader{EBI: plain[0] >> 4, PTI: plain[1]}
	}
	r := &reader{msg: k.name, b: body}
	m.decode(r)
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// ParseAs decodes a plain NAS message and checks it is a T.
func ParseAs[T Message](plain []byte) (T, error) {
	var zero T
	m, err := Parse(plain)
	if err != nil {
		return zero, err
	}
	t, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("%w: got %v, want %T", ErrUnsupported, m.MessageType(), zero)
	}
	return t, nil
}

// PeekType reads the protocol discriminator and message type of a plain
// NAS message without decoding it.
func PeekType(plain []byte) (pd byte, mt MessageType, err error) {
	if len(plain) < 2 {
		return 0, 0, &DecodeError{Field: "header", Err: ErrTruncated}
	}
	pd = plain[0] & 0x0F
	switch {
	case pd == PDEMM && HeaderType(plain[0]>>4).isServiceRequest():
		return pd, MsgServiceRequest, nil
	case pd == PDEMM && plain[0]>>4 != 0:
		return pd, 0, ErrProtected
	case pd == PDEMM:
		return pd, MessageType(plain[1]), nil
	case pd == PDESM && len(plain) >= 3:
		return pd, MessageType(plain[2]), nil
	}
	return pd, 0, &DecodeError{Field: "header", Err: fmt.Errorf("protocol discriminator 0x%X or length %d", pd, len(plain))}
}

// marshalEMM frames a plain EMM message: header, then what body writes.
func marshalEMM(mt MessageType, body func(w *writer)) ([]byte, error) {
	w := &writer{msg: mt.String(), b: make([]byte, 0, 32)}
	w.u8(PDEMM)
	w.u8(byte(mt))
	body(w)
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

// marshalESM frames a plain ESM message.
func marshalESM(h ESMHeader, mt MessageType, body func(w *writer)) ([]byte, error) {
	w := &writer{msg: mt.String(), b: make([]byte, 0, 32)}
	if h.EBI > 15 {
		w.fail("EPS bearer identity", rangeErr("EBI", int(h.EBI), 15))
		return nil, w.err
	}
	w.u8(h.EBI<<4 | PDESM)
	w.u8(h.PTI)
	w.u8(byte(mt))
	body(w)
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}
