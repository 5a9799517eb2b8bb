package nas5g

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

var (
	// ErrMACMismatch: the NAS-MAC of a protected PDU did not verify.
	ErrMACMismatch = errors.New("nas5g: NAS-MAC mismatch")
	// ErrReplay: the PDU verifies, but only with a NAS COUNT already used.
	ErrReplay = errors.New("nas5g: replayed NAS COUNT")
	// ErrMalformed: the bytes are not a well-formed NAS message.
	ErrMalformed = errors.New("nas5g: malformed NAS message")
	// ErrUnsupported: a well-formed message this package has no typed view for.
	ErrUnsupported = errors.New("nas5g: unsupported NAS message")
	// ErrNotProtected: Unprotect was given a plain NAS message.
	ErrNotProtected = errors.New("nas5g: NAS message is not security protected")
	// ErrCountExhausted: the 24-bit NAS COUNT would wrap; re-key first.
	ErrCountExhausted = errors.New("nas5g: NAS COUNT exhausted")
	// ErrDecoderPanic: free5gc's decoder panicked (and recovered) on the input.
	ErrDecoderPanic = errors.New("nas5g: decoder panicked on input")
)

var decoderPanics atomic.Uint64

// DecoderPanics is how many inputs made free5gc's NAS decoder panic since
// start. free5gc recovers those itself; NFs export this as a metric.
func DecoderPanics() uint64 { return decoderPanics.Load() }

// classifyDecodeErr maps free5gc's recovered panics (an error whose text
// starts with "Parse...(): panic" and carries a stack dump) onto
// ErrDecoderPanic, dropping the stack, and everything else onto ErrMalformed.
func classifyDecodeErr(err error) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "(): panic: ") {
		decoderPanics.Add(1)
		return ErrDecoderPanic
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}
