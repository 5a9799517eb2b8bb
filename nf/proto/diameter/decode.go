package diameter

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// MaxMessageLength bounds the messages we read (the header allows 16 MiB;
// the largest S6a/Gx/Rx messages we meet are a few KiB).
const MaxMessageLength = 1 << 20

// decodePanics counts panics of the codec that Decode recovered.
var decodePanics atomic.Uint64

// DecodePanics is how many times Decode recovered from a codec panic
// since the process started.
func DecodePanics() uint64 { return decodePanics.Load() }

// DecodeError is a message whose header is sound (so it can be answered:
// Header is set) but whose body did not decode.
type DecodeError struct {
	Header *diam.Header
	// UnknownCommand: the dictionary lacks the command (answer
	// DIAMETER_COMMAND_UNSUPPORTED rather than a malformed-AVP code).
	UnknownCommand bool
	Err            error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%v: %s: %v", ErrMalformed, CommandName(e.Header.ApplicationID, e.Header.CommandCode,
		e.Header.CommandFlags&diam.RequestFlag != 0), e.Err)
}

func (e *DecodeError) Unwrap() []error { return []error{ErrMalformed, e.Err} }

// Decode decodes exactly one Diameter message from b. It never panics:
// a panic of the codec is recovered, counted (DecodePanics) and returned
// as an error. Errors match ErrMalformed; those that leave the header
// usable are *DecodeError.
func Decode(b []byte) (m *diam.Message, err error) {
	h, err := checkHeader(b)
	if err != nil {
		return nil, err
	}
	if int(h.MessageLength) != len(b) {
		return nil, fmt.Errorf("%w: header says %d octets, have %d", ErrMalformed, h.MessageLength, len(b))
	}
	defer func() {
		if p := recover(); p != nil {
			decodePanics.Add(1)
			m, err = nil, &DecodeError{Header: h, Err: fmt.Errorf("codec panic: %v", p)}
		}
	}()
	if _, cerr := dict.Default.FindCommand(h.ApplicationID, h.CommandCode); cerr != nil {
		return nil, &DecodeError{Header: h, UnknownCommand: true, Err: cerr}
	}
	m, err = diam.ReadMessage(bytes.NewReader(b), dict.Default)
	if err != nil {
		return nil, &DecodeError{Header: h, Err: err}
	}
	return m, nil
}

// checkHeader validates what framing depends on: version 1, a length of
// at least a header, a multiple of 4, at most MaxMessageLength.
func checkHeader(b []byte) (*diam.Header, error) {
	if len(b) < diam.HeaderLength {
		return nil, fmt.Errorf("%w: %d octets, shorter than a header", ErrMalformed, len(b))
	}
	h, err := diam.DecodeHeader(b[:diam.HeaderLength])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case h.Version != 1:
		return nil, fmt.Errorf("%w: version %d", ErrMalformed, h.Version)
	case h.MessageLength < diam.HeaderLength || h.MessageLength%4 != 0:
		return nil, fmt.Errorf("%w: message length %d", ErrMalformed, h.MessageLength)
	case h.MessageLength > MaxMessageLength:
		return nil, fmt.Errorf("%w: message length %d over %d", ErrMalformed, h.MessageLength, MaxMessageLength)
	}
	return h, nil
}

// errFraming: the stream cannot be trusted past this point.
var errFraming = errors.New("diameter: framing lost")

// readFrame reads one whole message's octets off a stream. A bad header
// is errFraming (plus ErrMalformed): nothing after it can be delimited.
func readFrame(br *bufio.Reader) ([]byte, error) {
	hdr, err := br.Peek(diam.HeaderLength)
	if err != nil {
		if len(hdr) == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	if _, err := checkHeader(hdr); err != nil {
		return nil, errors.Join(errFraming, err)
	}
	n := int(binary.BigEndian.Uint32(hdr[0:4]) & 0xFFFFFF)
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, fmt.Errorf("read %d-octet message: %w", n, err)
	}
	return b, nil
}

// Encode serialises m, fixing the header's length to the AVPs it holds.
func Encode(m *diam.Message) ([]byte, error) {
	m.Header.MessageLength = uint32(m.Len())
	b, err := m.Serialize()
	if err != nil {
		return nil, fmt.Errorf("diameter: encode %s: %w", commandName(m), err)
	}
	return b, nil
}
