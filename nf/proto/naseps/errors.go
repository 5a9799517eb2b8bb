package naseps

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed: the octets are not a well-formed NAS message. Every
	// decode error matches it; *DecodeError says where.
	ErrMalformed = errors.New("naseps: malformed NAS message")
	// ErrTruncated: an IE or header runs past the end of the input.
	ErrTruncated = errors.New("truncated")
	// ErrTrailing: octets left over after the last IE a message can have.
	ErrTrailing = errors.New("trailing octets")
	// ErrInvalid: a value cannot be encoded (out of range, too long, or a
	// required field is missing). Every encode error matches it.
	ErrInvalid = errors.New("naseps: invalid value")
	// ErrUnsupported: a well-formed message this package has no typed view
	// for, or a security header type it does not implement.
	ErrUnsupported = errors.New("naseps: unsupported NAS message")
	// ErrProtected: Parse was given a security protected message.
	ErrProtected = errors.New("naseps: NAS message is security protected; unprotect it first")
	// ErrNotProtected: Unprotect was given a plain NAS message.
	ErrNotProtected = errors.New("naseps: NAS message is not security protected")
	// ErrMACMismatch: the NAS-MAC (or short MAC) did not verify.
	ErrMACMismatch = errors.New("naseps: NAS-MAC mismatch")
	// ErrReplay: the PDU verifies, but only with a NAS COUNT already used.
	ErrReplay = errors.New("naseps: replayed NAS COUNT")
	// ErrCountExhausted: the 24-bit NAS COUNT would wrap; re-key first.
	ErrCountExhausted = errors.New("naseps: NAS COUNT exhausted")
	// ErrNullAlgorithm: EEA0 or EIA0 is selected but the security context
	// does not allow the null algorithms.
	ErrNullAlgorithm = errors.New("naseps: null algorithm not allowed")
	// ErrAlgorithm: an algorithm identity this package cannot run.
	ErrAlgorithm = errors.New("naseps: unsupported algorithm")
)

// DecodeError locates a decode failure: the message being decoded, the IE
// or field, and the cause (ErrTruncated, ErrTrailing or a description). It
// matches ErrMalformed.
type DecodeError struct {
	Message string // message name, or "" when the header itself is bad
	Field   string
	Err     error
}

func (e *DecodeError) Error() string {
	where := e.Field
	if e.Message != "" {
		where = e.Message + ": " + e.Field
	}
	return fmt.Sprintf("naseps: decode %s: %v", where, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

// EncodeError says which field of which message could not be encoded. It
// matches ErrInvalid.
type EncodeError struct {
	Message string
	Field   string
	Err     error
}

func (e *EncodeError) Error() string {
	return fmt.Sprintf("naseps: encode %s: %s: %v", e.Message, e.Field, e.Err)
}

func (e *EncodeError) Unwrap() error { return e.Err }

func (e *EncodeError) Is(target error) bool { return target == ErrInvalid }
