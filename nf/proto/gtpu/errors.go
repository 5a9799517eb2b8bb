package gtpu

import "errors"

// ParseError says why a datagram is not a well-formed GTP-U message. It is
// a small integer so that returning one never allocates and counters can be
// kept per kind (Stats.Malformed).
type ParseError uint8

// Parse errors.
const (
	ErrTooShort       ParseError = iota + 1 // shorter than the 8-octet mandatory header
	ErrVersion                              // version is not 1
	ErrProtocolType                         // PT=0: GTP', not GTP
	ErrLength                               // length field disagrees with the datagram size
	ErrOptionalFields                       // E, S or PN set but no room for the optional fields
	ErrExtTruncated                         // an extension header runs past the datagram
	ErrExtZeroLength                        // an extension header has length 0
	ErrTooManyExt                           // longer extension chain than MaxExtHeaders
	ErrPDUSession                           // malformed PDU Session Container
	ErrIE                                   // malformed or unknown information element
	ErrMissingIE                            // a mandatory information element is absent

	numParseErrors
)

var parseErrorText = [numParseErrors]string{
	ErrTooShort:       "gtpu: datagram shorter than the mandatory header",
	ErrVersion:        "gtpu: not GTP version 1",
	ErrProtocolType:   "gtpu: protocol type is GTP'",
	ErrLength:         "gtpu: length field disagrees with the datagram",
	ErrOptionalFields: "gtpu: optional fields truncated",
	ErrExtTruncated:   "gtpu: extension header truncated",
	ErrExtZeroLength:  "gtpu: extension header of length 0",
	ErrTooManyExt:     "gtpu: too many extension headers",
	ErrPDUSession:     "gtpu: malformed PDU Session Container",
	ErrIE:             "gtpu: malformed information element",
	ErrMissingIE:      "gtpu: mandatory information element missing",
}

func (e ParseError) Error() string {
	if e == 0 || e >= numParseErrors {
		return "gtpu: unknown parse error"
	}
	return parseErrorText[e]
}

// String names the kind, for metric labels.
func (e ParseError) String() string {
	if e == 0 || e >= numParseErrors {
		return "unknown"
	}
	return parseErrorNames[e]
}

var parseErrorNames = [numParseErrors]string{
	ErrTooShort:       "too_short",
	ErrVersion:        "version",
	ErrProtocolType:   "protocol_type",
	ErrLength:         "length",
	ErrOptionalFields: "optional_fields",
	ErrExtTruncated:   "ext_truncated",
	ErrExtZeroLength:  "ext_zero_length",
	ErrTooManyExt:     "too_many_ext",
	ErrPDUSession:     "pdu_session_container",
	ErrIE:             "ie",
	ErrMissingIE:      "missing_ie",
}

// ParseErrors lists every ParseError, for registering metrics up front.
func ParseErrors() []ParseError {
	out := make([]ParseError, 0, numParseErrors-1)
	for e := ErrTooShort; e < numParseErrors; e++ {
		out = append(out, e)
	}
	return out
}

// Encoding errors.
var (
	ErrNoHeadroom      = errors.New("gtpu: not enough headroom before the payload")
	ErrBufferTooSmall  = errors.New("gtpu: buffer too small for the header")
	ErrPayloadTooLong  = errors.New("gtpu: message longer than the length field can say")
	ErrExtContentLen   = errors.New("gtpu: extension content must be 4n-2 octets, at most 1018")
	ErrExtType         = errors.New("gtpu: extension header type 0 inside a chain")
	ErrBadPDUSession   = errors.New("gtpu: PDU session fields out of range")
	ErrNumExt          = errors.New("gtpu: NumExt out of range")
	ErrEndpointClosed  = errors.New("gtpu: endpoint closed")
	ErrTunnelExists    = errors.New("gtpu: TEID already has a handler")
	ErrEchoMismatch    = errors.New("gtpu: echo response from another address")
	ErrUnsupportedAddr = errors.New("gtpu: address family does not match the socket")
)
