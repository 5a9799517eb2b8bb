package n2

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"
)

// CauseGroup is the choice of the Cause IE (TS 38.413 9.3.1.2).
type CauseGroup uint8

const (
	CauseRadioNetwork CauseGroup = iota
	CauseTransport
	CauseNAS
	CauseProtocol
	CauseMisc
)

// Cause is an NGAP cause: its group and the enumerated value within it.
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
	CauseUnspecified           = Cause{CauseRadioNetwork, 0}
	CauseRelease5GCReason      = Cause{CauseRadioNetwork, 4}
	CauseUnknownLocalUENGAPID  = Cause{CauseRadioNetwork, 14}
	CauseUserInactivity        = Cause{CauseRadioNetwork, 20}
	CauseUnknownPDUSessionID   = Cause{CauseRadioNetwork, 26}
	CauseNormalRelease         = Cause{CauseNAS, 0}
	CauseAuthenticationFailure = Cause{CauseNAS, 1}
	CauseDeregister            = Cause{CauseNAS, 2}
	CauseTransferSyntaxError   = Cause{CauseProtocol, 0}
	CauseSemanticError         = Cause{CauseProtocol, 4}
	CauseUnknownPLMN           = Cause{CauseMisc, 4}
	CauseMiscUnspecified       = Cause{CauseMisc, 5}
	CauseTransportUnspecified  = Cause{CauseTransport, 1}
)

func causeToIE(c Cause) (*ie.Cause, error) {
	v := aper.Enumerated(c.Value)
	var alt ie.CauseAlt
	switch c.Group {
	case CauseRadioNetwork:
		alt = &ie.CauseRadioNetwork{Value: v}
	case CauseTransport:
		alt = &ie.CauseTransport{Value: v}
	case CauseNAS:
		alt = &ie.CauseNas{Value: v}
	case CauseProtocol:
		alt = &ie.CauseProtocol{Value: v}
	case CauseMisc:
		alt = &ie.CauseMisc{Value: v}
	default:
		return nil, fmt.Errorf("n2: cause group %d", c.Group)
	}
	return &ie.Cause{Choice: alt}, nil
}

func causeFromIE(c *ie.Cause) (Cause, error) {
	if c == nil {
		return Cause{}, fmt.Errorf("missing cause")
	}
	var g CauseGroup
	var v aper.Enumerated
	switch x := c.Choice.(type) {
	case *ie.CauseRadioNetwork:
		g, v = CauseRadioNetwork, x.Value
	case *ie.CauseTransport:
		g, v = CauseTransport, x.Value
	case *ie.CauseNas:
		g, v = CauseNAS, x.Value
	case *ie.CauseProtocol:
		g, v = CauseProtocol, x.Value
	case *ie.CauseMisc:
		g, v = CauseMisc, x.Value
	default:
		return Cause{}, fmt.Errorf("cause choice %T", c.Choice)
	}
	if v > 255 {
		return Cause{}, fmt.Errorf("cause value %d", v)
	}
	return Cause{Group: g, Value: uint8(v)}, nil
}
