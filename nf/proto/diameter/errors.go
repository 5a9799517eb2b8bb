package diameter

import (
	"errors"
	"fmt"
)

var (
	// ErrMissingAVP: a mandatory AVP is absent; see *MissingAVPError.
	ErrMissingAVP = errors.New("diameter: missing mandatory AVP")
	// ErrInvalidAVP: an AVP has the wrong type, length or value; see
	// *InvalidAVPError.
	ErrInvalidAVP = errors.New("diameter: invalid AVP")
	// ErrWrongCommand: a parse function got another command.
	ErrWrongCommand = errors.New("diameter: unexpected command")
	// ErrMalformed: bytes that do not decode as a Diameter message.
	ErrMalformed = errors.New("diameter: malformed message")
	// ErrPeerClosed: the connection closed before the answer came.
	ErrPeerClosed = errors.New("diameter: peer connection closed")
	// ErrNotConnected: no connection is up to send on.
	ErrNotConnected = errors.New("diameter: not connected")
)

// MissingAVPError names the command and the AVP (with its path inside
// grouped AVPs) that a message lacks. A server answers it with
// DIAMETER_MISSING_AVP (5005).
type MissingAVPError struct {
	Command string // e.g. "AIR"
	AVP     string // e.g. "Requested-EUTRAN-Authentication-Info/Number-Of-Requested-Vectors"
}

func (e *MissingAVPError) Error() string {
	return fmt.Sprintf("diameter: %s: missing mandatory AVP %s", e.Command, e.AVP)
}

func (e *MissingAVPError) Is(target error) bool { return target == ErrMissingAVP }

// InvalidAVPError says which AVP of which command is wrong and why. A
// server answers it with DIAMETER_INVALID_AVP_VALUE (5004).
type InvalidAVPError struct {
	Command string
	AVP     string
	Reason  string
}

func (e *InvalidAVPError) Error() string {
	return fmt.Sprintf("diameter: %s: invalid AVP %s: %s", e.Command, e.AVP, e.Reason)
}

func (e *InvalidAVPError) Is(target error) bool { return target == ErrInvalidAVP }

// ResultError makes a handler's answer an error answer with Code as
// Result-Code, or as Experimental-Result-Code (vendor 3GPP) when
// Experimental is set.
type ResultError struct {
	Result
	Msg string // Error-Message, optional
}

func (e *ResultError) Error() string {
	if e.Msg == "" {
		return "diameter: " + e.Result.String()
	}
	return fmt.Sprintf("diameter: %s: %s", e.Result, e.Msg)
}

// AnswerError is what a typed request call returns when the peer answered
// with a result other than success.
type AnswerError struct {
	Command string
	Result  Result
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("diameter: %s answered %s", e.Command, e.Result)
}
