package gtpv2c

import "errors"

// Errors of the transport.
var (
	// ErrMalformed wraps every reason a datagram is not a GTPv2-C message
	// we can decode.
	ErrMalformed = errors.New("gtpv2c: malformed message")
	// ErrTimeout is a request unanswered after N3 retransmissions.
	ErrTimeout = errors.New("gtpv2c: no response from peer")
	// ErrClosed is a request cut short because the Conn stopped.
	ErrClosed = errors.New("gtpv2c: connection closed")
	// ErrUnsupported is a well-formed message of a type we do not handle
	// (piggybacked messages, version 1 ...).
	ErrUnsupported = errors.New("gtpv2c: unsupported message")
)
