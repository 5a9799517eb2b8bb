package pfcp

import (
	"errors"
	"fmt"
)

// Cause is a PFCP cause value (TS 29.244 §8.2.1).
type Cause uint8

// Causes.
const (
	CauseRequestAccepted                 Cause = 1
	CauseRequestRejected                 Cause = 64
	CauseSessionContextNotFound          Cause = 65
	CauseMandatoryIEMissing              Cause = 66
	CauseConditionalIEMissing            Cause = 67
	CauseInvalidLength                   Cause = 68
	CauseMandatoryIEIncorrect            Cause = 69
	CauseInvalidForwardingPolicy         Cause = 70
	CauseInvalidFTEIDAllocationOption    Cause = 71
	CauseNoEstablishedPFCPAssociation    Cause = 72
	CauseRuleCreationModificationFailure Cause = 73
	CausePFCPEntityInCongestion          Cause = 74
	CauseNoResourcesAvailable            Cause = 75
	CauseServiceNotSupported             Cause = 76
	CauseSystemFailure                   Cause = 77
)

var causeNames = map[Cause]string{
	CauseRequestAccepted:                 "request accepted",
	CauseRequestRejected:                 "request rejected",
	CauseSessionContextNotFound:          "session context not found",
	CauseMandatoryIEMissing:              "mandatory IE missing",
	CauseConditionalIEMissing:            "conditional IE missing",
	CauseInvalidLength:                   "invalid length",
	CauseMandatoryIEIncorrect:            "mandatory IE incorrect",
	CauseInvalidForwardingPolicy:         "invalid forwarding policy",
	CauseInvalidFTEIDAllocationOption:    "invalid F-TEID allocation option",
	CauseNoEstablishedPFCPAssociation:    "no established PFCP association",
	CauseRuleCreationModificationFailure: "rule creation/modification failure",
	CausePFCPEntityInCongestion:          "PFCP entity in congestion",
	CauseNoResourcesAvailable:            "no resources available",
	CauseServiceNotSupported:             "service not supported",
	CauseSystemFailure:                   "system failure",
}

func (c Cause) String() string {
	if s, ok := causeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("cause %d", uint8(c))
}

// Accepted reports whether c is an acceptance (values 1-63).
func (c Cause) Accepted() bool { return c >= 1 && c < 64 }

// CauseError is a peer's rejection of our request.
type CauseError struct {
	Cause       Cause
	OffendingIE uint16 // 0 when the peer named none
}

func (e *CauseError) Error() string {
	if e.OffendingIE != 0 {
		return fmt.Sprintf("pfcp: peer answered %s (offending IE %d)", e.Cause, e.OffendingIE)
	}
	return "pfcp: peer answered " + e.Cause.String()
}

// CauseOf extracts the cause of a rejection, or 0 if err is not one.
func CauseOf(err error) Cause {
	var ce *CauseError
	if errors.As(err, &ce) {
		return ce.Cause
	}
	return 0
}

// IEError is an information element we could not turn into the rule model;
// Cause is what to answer the peer.
type IEError struct {
	Type  uint16 // the IE's type
	Cause Cause
	Err   error
}

func (e *IEError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("pfcp: IE %d: %s", e.Type, e.Cause)
	}
	return fmt.Sprintf("pfcp: IE %d: %s: %v", e.Type, e.Cause, e.Err)
}

func (e *IEError) Unwrap() error { return e.Err }

func missingIE(t uint16) error { return &IEError{Type: t, Cause: CauseMandatoryIEMissing} }

func badIE(t uint16, err error) error {
	return &IEError{Type: t, Cause: CauseMandatoryIEIncorrect, Err: err}
}

// Errors of the Node.
var (
	ErrTimeout        = errors.New("pfcp: no response after retransmissions")
	ErrNotAssociated  = errors.New("pfcp: no association with the peer")
	ErrUnknownSession = errors.New("pfcp: unknown session")
	ErrWrongRole      = errors.New("pfcp: not available in this node's role")
	ErrClosed         = errors.New("pfcp: node closed")
	ErrMalformed      = errors.New("pfcp: malformed message")
)
