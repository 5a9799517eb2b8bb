package aka

import (
	"errors"
	"fmt"
)

var (
	// ErrMACFailure: MAC-A did not verify; the UE answers 5GMM cause #20.
	ErrMACFailure = errors.New("aka: MAC-A verification failed")
	// ErrSynchFailure: SQN out of range; the UE answers cause #21 with the
	// AUTS carried by *SynchFailureError.
	ErrSynchFailure = errors.New("aka: SQN out of range (synch failure)")
	// ErrNon5GAuth: the AMF separation bit is 0; the UE answers cause #26.
	ErrNon5GAuth = errors.New("aka: AMF separation bit not set (non-5G authentication)")
	// ErrMACSFailure: the AUTS of a resynchronisation did not verify.
	ErrMACSFailure = errors.New("aka: MAC-S verification failed")
	// ErrInvalidLength: an input had the wrong length; see *LengthError.
	ErrInvalidLength = errors.New("aka: invalid length")
	// ErrInvalidServingNetworkName: not of the form "5G:<SN Id>".
	ErrInvalidServingNetworkName = errors.New("aka: invalid serving network name")
	// ErrInvalidSUPI: not "imsi-<digits>" or "nai-<nai>", or bad digits.
	ErrInvalidSUPI = errors.New("aka: invalid SUPI")
	// ErrInvalidSUCI: a SUCI string or its fields are malformed.
	ErrInvalidSUCI = errors.New("aka: invalid SUCI")
	// ErrUnsupportedScheme: a protection scheme other than 0, 1 or 2.
	ErrUnsupportedScheme = errors.New("aka: unsupported protection scheme")
	// ErrSchemeOutputMAC: the ECIES MAC tag of a SUCI scheme output did not
	// verify (wrong home network key, or tampered output).
	ErrSchemeOutputMAC = errors.New("aka: SUCI scheme output MAC tag mismatch")
	// ErrInvalidKey: a home network or ephemeral key is unusable.
	ErrInvalidKey = errors.New("aka: invalid key")
)

// LengthError says which field had which wrong length.
type LengthError struct {
	Field     string
	Got, Want int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("aka: %s is %d octets, want %d", e.Field, e.Got, e.Want)
}

func (e *LengthError) Is(target error) bool { return target == ErrInvalidLength }

func checkLen(field string, b []byte, want int) error {
	if len(b) != want {
		return &LengthError{Field: field, Got: len(b), Want: want}
	}
	return nil
}

// SynchFailureError carries the AUTS the UE returns with cause #21.
type SynchFailureError struct {
	AUTS AUTS
	SQN  SQN // the SQN received in AUTN, for diagnostics
}

func (e *SynchFailureError) Error() string {
	return fmt.Sprintf("%v: received SQN %v", ErrSynchFailure, e.SQN)
}

func (e *SynchFailureError) Unwrap() error { return ErrSynchFailure }

// CauseOf maps a USIM.Authenticate error to the 5GMM cause the UE sends in
// AUTHENTICATION FAILURE. ok is false for errors that are not such causes.
func CauseOf(err error) (cause uint8, ok bool) {
	switch {
	case errors.Is(err, ErrMACFailure):
		return CauseMACFailure, true
	case errors.Is(err, ErrSynchFailure):
		return CauseSynchFailure, true
	case errors.Is(err, ErrNon5GAuth):
		return CauseNon5GAuthUnacceptable, true
	}
	return 0, false
}
