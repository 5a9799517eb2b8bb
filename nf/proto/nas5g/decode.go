package nas5g

import (
	"errors"
	"fmt"

	"github.com/free5gc/nas/message"
)

// MessageType is a NAS message type (TS 24.501 9.7).
type MessageType uint8

// The message types this package builds and parses.
const (
	MsgRegistrationRequest                MessageType = 0x41
	MsgRegistrationAccept                 MessageType = 0x42
	MsgRegistrationComplete               MessageType = 0x43
	MsgRegistrationReject                 MessageType = 0x44
	MsgDeregistrationRequestUEOriginating MessageType = 0x45
	MsgDeregistrationAcceptUEOriginating  MessageType = 0x46
	MsgServiceRequest                     MessageType = 0x4C
	MsgServiceReject                      MessageType = 0x4D
	MsgServiceAccept                      MessageType = 0x4E
	MsgAuthenticationRequest              MessageType = 0x56
	MsgAuthenticationResponse             MessageType = 0x57
	MsgAuthenticationReject               MessageType = 0x58
	MsgAuthenticationFailure              MessageType = 0x59
	MsgSecurityModeCommand                MessageType = 0x5D
	MsgSecurityModeComplete               MessageType = 0x5E
	MsgSecurityModeReject                 MessageType = 0x5F
	MsgULNASTransport                     MessageType = 0x67
	MsgDLNASTransport                     MessageType = 0x68

	MsgPDUSessionEstablishmentRequest MessageType = 0xC1
	MsgPDUSessionEstablishmentAccept  MessageType = 0xC2
	MsgPDUSessionEstablishmentReject  MessageType = 0xC3
	MsgPDUSessionReleaseRequest       MessageType = 0xD1
	MsgPDUSessionReleaseCommand       MessageType = 0xD3
	MsgPDUSessionReleaseComplete      MessageType = 0xD4
)

func (t MessageType) String() string {
	if s := message.MsgType(t).String(); s != "" {
		return s
	}
	return fmt.Sprintf("MessageType(%#x)", uint8(t))
}

// Message is a NAS message with a typed view in this package.
type Message interface {
	MessageType() MessageType
	// Encode returns the plain NAS message.
	Encode() ([]byte, error)
}

// PeekType reads the message type of a plain NAS message without decoding
// it, and whether it is a 5GSM message.
func PeekType(plain []byte) (mt MessageType, session bool, err error) {
	ht, err := HeaderTypeOf(plain)
	if err != nil {
		return 0, false, err
	}
	if ht != Plain {
		return 0, false, fmt.Errorf("%w: security protected; Unprotect it first", ErrMalformed)
	}
	if plain[0] == epd5GSM {
		if len(plain) < 4 {
			return 0, true, fmt.Errorf("%w: 5GSM message of %d octets", ErrMalformed, len(plain))
		}
		return MessageType(plain[3]), true, nil
	}
	if len(plain) < 3 {
		return 0, false, fmt.Errorf("%w: 5GMM message of %d octets", ErrMalformed, len(plain))
	}
	return MessageType(plain[2]), false, nil
}

// DecodeRaw decodes a plain NAS message into free5gc's struct for it. It
// never panics: free5gc recovers its own panics, and we count them (see
// DecoderPanics).
func DecodeRaw(plain []byte) (message.Message, error) {
	_, session, err := PeekType(plain)
	if err != nil {
		return nil, err
	}
	var m message.Message
	if session {
		var gsm message.GSMMessage
		gsm, err = message.ParseGSM(plain)
		if gsm != nil {
			m = gsm
		}
	} else {
		m, err = message.ParseGMM(plain)
	}
	if err != nil && m != nil && onlyUnknownIEs(err) {
		// free5gc skips IEs it does not implement and says so; optional
		// IEs we do not understand are ignored (TS 24.501 7.6).
		err = nil
	}
	if err != nil {
		return nil, classifyDecodeErr(err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: decoder returned nothing", ErrMalformed)
	}
	return m, nil
}

func onlyUnknownIEs(err error) bool {
	var e *message.Error
	return errors.As(err, &e) && e.MACFailure == nil && len(e.IEToDoList) > 0
}

// Decode decodes a plain NAS message into this package's typed view. A
// well-formed message without one gives ErrUnsupported; DecodeRaw still
// decodes it.
func Decode(plain []byte) (Message, error) {
	raw, err := DecodeRaw(plain)
	if err != nil {
		return nil, err
	}
	conv, ok := fromFree5gc[MessageType(raw.MsgType())]
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, raw.MsgType())
	}
	m, err := conv(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v: %w", ErrMalformed, raw.MsgType(), err)
	}
	return m, nil
}

// fromFree5gc maps each message type to the converter from free5gc's
// struct to ours; each message file registers its own.
var fromFree5gc = map[MessageType]func(message.Message) (Message, error){}

// parseAs decodes plain and checks it is message type want.
func parseAs[T Message](plain []byte, want MessageType) (T, error) {
	var zero T
	m, err := Decode(plain)
	if err != nil {
		return zero, fmt.Errorf("parse %v: %w", want, err)
	}
	t, ok := m.(T)
	if !ok || m.MessageType() != want {
		return zero, fmt.Errorf("parse %v: %w: got %v", want, ErrMalformed, m.MessageType())
	}
	return t, nil
}

// register adds a converter; conv receives free5gc's concrete type F.
func register[F message.Message](mt MessageType, conv func(F) (Message, error)) {
	fromFree5gc[mt] = func(m message.Message) (Message, error) {
		f, ok := m.(F)
		if !ok {
			return nil, fmt.Errorf("decoder produced %T", m)
		}
		return conv(f)
	}
}
