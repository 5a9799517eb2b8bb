package s1ap

import "fmt"

// CauseGroup is the choice of the Cause IE (TS 36.413 9.2.1.3).
type CauseGroup uint8

const (
	CauseRadioNetwork CauseGroup = iota
	CauseTransport
	CauseNAS
	CauseProtocol
	CauseMisc
)

// causeValues is, per group, how many values its ENUMERATED has in the
// root and how many Rel-17 added after the extension marker.
var causeValues = [...]struct{ root, extra int }{
	CauseRadioNetwork: {36, 8},
	CauseTransport:    {2, 0},
	CauseNAS:          {4, 2},
	CauseProtocol:     {7, 0},
	CauseMisc:         {6, 0},
}

// Cause is an S1AP cause: its group and the enumerated value within it.
type Cause struct {
	Group CauseGroup
	Value uint8
}

func (c Cause) String() string {
	names := [...]string{"radioNetwork", "transport", "nas", "protocol", "misc"}
	if int(c.Group) < len(names) {
		return fmt.Sprintf("%s(%d)", names[c.Group], c.Value)
	}
	return fmt.Sprintf("cause(%d,%d)", c.Group, c.Value)
}

// Causes our procedures use.
var (
	CauseUnspecified                  = Cause{CauseRadioNetwork, 0}
	CauseReleaseEUTRANReason          = Cause{CauseRadioNetwork, 3}
	CauseUnknownMMEUES1APID           = Cause{CauseRadioNetwork, 13}
	CauseUnknownENBUES1APID           = Cause{CauseRadioNetwork, 14}
	CauseUnknownPairUES1APID          = Cause{CauseRadioNetwork, 15}
	CauseUserInactivity               = Cause{CauseRadioNetwork, 20}
	CauseRadioConnectionLost          = Cause{CauseRadioNetwork, 21}
	CauseRadioResourcesNotAvailable   = Cause{CauseRadioNetwork, 25}
	CauseUnknownERABID                = Cause{CauseRadioNetwork, 30}
	CauseNotSupportedQCI              = Cause{CauseRadioNetwork, 37}
	CauseTransportResourceUnavailable = Cause{CauseTransport, 0}
	CauseTransportUnspecified         = Cause{CauseTransport, 1}
	CauseNormalRelease                = Cause{CauseNAS, 0}
	CauseAuthenticationFailure        = Cause{CauseNAS, 1}
	CauseDetach                       = Cause{CauseNAS, 2}
	CauseNASUnspecified               = Cause{CauseNAS, 3}
	CauseTransferSyntaxError          = Cause{CauseProtocol, 0}
	CauseAbstractSyntaxReject         = Cause{CauseProtocol, 1}
	CauseMessageNotCompatible         = Cause{CauseProtocol, 3}
	CauseSemanticError                = Cause{CauseProtocol, 4}
	CauseProtocolUnspecified          = Cause{CauseProtocol, 6}
	CauseControlProcessingOverload    = Cause{CauseMisc, 0}
	CauseHardwareFailure              = Cause{CauseMisc, 2}
	CauseOMIntervention               = Cause{CauseMisc, 3}
	CauseMiscUnspecified              = Cause{CauseMisc, 4}
	CauseUnknownPLMN                  = Cause{CauseMisc, 5}
)

func (w *writer) cause(c Cause) {
	if int(c.Group) >= len(causeValues) {
		w.fail("cause group %d", c.Group)
		return
	}
	v := causeValues[c.Group]
	w.choice(int(c.Group), len(causeValues), true)
	w.enum(uint64(c.Value), v.root, v.extra, true)
}

func (r *reader) cause() Cause {
	g := r.choice(len(causeValues), true)
	if r.err != nil {
		return Cause{}
	}
	if g >= len(causeValues) {
		r.fail("unknown cause choice %d", g)
		return Cause{}
	}
	v := r.enum(causeValues[g].root, true)
	if r.err == nil && v > 255 {
		r.fail("cause value %d", v)
	}
	return Cause{Group: CauseGroup(g), Value: uint8(v)}
}

func causeIE(c Cause) func(*writer) { return func(w *writer) { w.cause(c) } }
