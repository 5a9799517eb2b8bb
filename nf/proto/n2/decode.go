package n2

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/free5gc/ngap/message"
)

var (
	// ErrMalformed: the octets are not a well-formed NGAP PDU, or one of
	// our messages lacks a mandatory IE.
	ErrMalformed = errors.New("n2: malformed NGAP PDU")
	// ErrUnsupported: a well-formed PDU this package has no typed view for.
	ErrUnsupported = errors.New("n2: unsupported NGAP message")
	// ErrDecoderPanic: free5gc's decoder panicked on the input (recovered).
	ErrDecoderPanic = errors.New("n2: decoder panicked on input")
)

var decoderPanics atomic.Uint64

// DecoderPanics is how many inputs made free5gc's APER decoder panic since
// start; NFs export it as a metric.
func DecoderPanics() uint64 { return decoderPanics.Load() }

// guard runs a free5gc decoding step, turning a panic into ErrDecoderPanic.
func guard(step func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			decoderPanics.Add(1)
			err = fmt.Errorf("%w: %v", ErrDecoderPanic, p)
		}
	}()
	return step()
}

// DecodeRaw decodes an NGAP PDU into free5gc's struct for its message.
func DecodeRaw(pdu []byte) (message.Message, error) {
	if len(pdu) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	var m message.Message
	err := guard(func() error {
		var err error
		m, err = message.Parse(pdu)
		return err
	})
	if errors.Is(err, ErrDecoderPanic) {
		return nil, err
	}
	if err != nil || m == nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

// MessageType is the NGAP-PDU choice.
type MessageType int64

const (
	InitiatingMessage   = MessageType(message.MessageTypeInitiatingMessage)
	SuccessfulOutcome   = MessageType(message.MessageTypeSuccessfulOutcome)
	UnsuccessfulOutcome = MessageType(message.MessageTypeUnsuccessfulOutcome)
)

func (t MessageType) String() string {
	switch t {
	case InitiatingMessage:
		return "initiatingMessage"
	case SuccessfulOutcome:
		return "successfulOutcome"
	case UnsuccessfulOutcome:
		return "unsuccessfulOutcome"
	}
	return fmt.Sprintf("MessageType(%d)", int64(t))
}

// Procedure codes of the procedures this package builds (TS 38.413 9.4.7).
const (
	ProcDownlinkNASTransport      = message.ProcedureCodeDownlinkNASTransport
	ProcErrorIndication           = message.ProcedureCodeErrorIndication
	ProcInitialContextSetup       = message.ProcedureCodeInitialContextSetup
	ProcInitialUEMessage          = message.ProcedureCodeInitialUEMessage
	ProcNGSetup                   = message.ProcedureCodeNGSetup
	ProcPaging                    = message.ProcedureCodePaging
	ProcPDUSessionResourceModify  = message.ProcedureCodePDUSessionResourceModify
	ProcPDUSessionResourceRelease = message.ProcedureCodePDUSessionResourceRelease
	ProcPDUSessionResourceSetup   = message.ProcedureCodePDUSessionResourceSetup
	ProcUEContextRelease          = message.ProcedureCodeUEContextRelease
	ProcUEContextReleaseRequest   = message.ProcedureCodeUEContextReleaseRequest
	ProcUplinkNASTransport        = message.ProcedureCodeUplinkNASTransport
)

// Message is an NGAP message with a typed view in this package.
type Message interface {
	ProcedureCode() int64
	MessageType() MessageType
	// Encode returns the APER-encoded NGAP-PDU.
	Encode() ([]byte, error)
}

type msgKey struct {
	proc int64
	typ  MessageType
}

var fromFree5gc = map[msgKey]func(message.Message) (Message, error){}

// register adds the converter from free5gc's struct F to ours.
func register[F message.Message](proto F, conv func(F) (Message, error)) {
	key := msgKey{proto.ProcedureCode(), MessageType(proto.MessageType())}
	fromFree5gc[key] = func(m message.Message) (Message, error) {
		f, ok := m.(F)
		if !ok {
			return nil, fmt.Errorf("decoder produced %T", m)
		}
		return conv(f)
	}
}

// Decode decodes an NGAP PDU into this package's typed view. A
// well-formed PDU without one gives ErrUnsupported; DecodeRaw still takes it.
func Decode(pdu []byte) (Message, error) {
	raw, err := DecodeRaw(pdu)
	if err != nil {
		return nil, err
	}
	conv, ok := fromFree5gc[msgKey{raw.ProcedureCode(), MessageType(raw.MessageType())}]
	if !ok {
		return nil, fmt.Errorf("%w: procedure %d %v", ErrUnsupported, raw.ProcedureCode(), MessageType(raw.MessageType()))
	}
	var m Message
	err = guard(func() error {
		var err error
		m, err = conv(raw)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: procedure %d: %w", ErrMalformed, raw.ProcedureCode(), err)
	}
	return m, nil
}

func parseAs[T Message](pdu []byte) (T, error) {
	var zero T
	m, err := Decode(pdu)
	if err != nil {
		return zero, err
	}
	t, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("%w: got %T, want %T", ErrMalformed, m, zero)
	}
	return t, nil
}

func encode(m message.Message) (b []byte, err error) {
	defer func() {
		// A panic here is a bug of ours (a value we failed to validate);
		// report it rather than take the NF down.
		if p := recover(); p != nil {
			err = fmt.Errorf("n2: encode procedure %d: panic: %v", m.ProcedureCode(), p)
		}
	}()
	if b, err = m.MarshalBinary(); err != nil {
		return nil, fmt.Errorf("n2: encode procedure %d: %w", m.ProcedureCode(), err)
	}
	return b, nil
}
