package gtpv2c

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// FTEID is a Fully Qualified TEID (TS 29.274 §8.22) with an IPv4 address.
type FTEID struct {
	Interface uint8 // gtpv2.IFType...
	TEID      uint32
	Addr      netip.Addr
}

// IsValid reports whether f has an address.
func (f FTEID) IsValid() bool { return f.Addr.IsValid() }

// IE encodes f as an F-TEID IE of the given instance.
func (f FTEID) IE(instance uint8) *ie.IE {
	var v4 net.IP
	if f.Addr.Is4() {
		a := f.Addr.As4()
		v4 = net.IP(a[:])
	}
	return ie.NewFullyQualifiedTEIDNetIP(f.Interface, f.TEID, v4, nil).WithInstance(instance)
}

// ParseFTEID decodes an F-TEID IE; it must carry an IPv4 address.
func ParseFTEID(i *ie.IE) (FTEID, error) {
	if i == nil {
		return FTEID{}, fmt.Errorf("F-TEID missing: %w", ErrMalformed)
	}
	f, err := i.FullyQualifiedTEID()
	if err != nil {
		return FTEID{}, fmt.Errorf("F-TEID: %w: %v", ErrMalformed, err)
	}
	a, ok := netip.AddrFromSlice(f.IPv4Address.To4())
	if !ok || a.IsUnspecified() {
		return FTEID{}, fmt.Errorf("F-TEID without an IPv4 address: %w", ErrMalformed)
	}
	return FTEID{Interface: f.InterfaceType, TEID: f.TEIDGREKey, Addr: a}, nil
}

// Find returns the first IE of type typ and instance in ies, or nil.
func Find(ies []*ie.IE, typ, instance uint8) *ie.IE {
	for _, i := range ies {
		if i != nil && i.Type == typ && i.Instance() == instance {
			return i
		}
	}
	return nil
}

// CauseIE is a Cause IE without offending IE.
func CauseIE(cause uint8) *ie.IE { return ie.NewCause(cause, 0, 0, 0, nil) }

// CauseOf decodes a Cause IE.
func CauseOf(i *ie.IE) (uint8, error) {
	if i == nil {
		return 0, fmt.Errorf("cause missing: %w", ErrMalformed)
	}
	c, err := i.Cause()
	if err != nil {
		return 0, fmt.Errorf("cause: %w: %v", ErrMalformed, err)
	}
	return c, nil
}

// Accepted reports whether a cause accepts the request (TS 29.274 §8.4:
// 16 to 63 are acceptance causes).
func Accepted(cause uint8) bool { return cause >= 16 && cause <= 63 }

// EBI decodes an EPS Bearer ID IE (1..15).
func EBI(i *ie.IE) (uint8, error) {
	if i == nil {
		return 0, fmt.Errorf("EPS bearer ID missing: %w", ErrMalformed)
	}
	v, err := i.EPSBearerID()
	if err != nil {
		return 0, fmt.Errorf("EPS bearer ID: %w: %v", ErrMalformed, err)
	}
	return v & 0x0f, nil
}

// BearerContext is a Bearer Context IE: its child IEs, by type and
// instance.
type BearerContext []*ie.IE

// Children returns a grouped IE's child IEs, or an error if i is not a
// Bearer Context.
func Children(i *ie.IE) (BearerContext, error) {
	if i == nil || i.Type != ie.BearerContext {
		return nil, fmt.Errorf("not a bearer context: %w", ErrMalformed)
	}
	return BearerContext(i.ChildIEs), nil
}

// Get is the child of type typ and instance, or nil.
func (b BearerContext) Get(typ, instance uint8) *ie.IE { return Find(b, typ, instance) }

// EBI is the context's EPS Bearer ID.
func (b BearerContext) EBI() (uint8, error) { return EBI(b.Get(ie.EPSBearerID, 0)) }

// FTEID is the context's F-TEID of the given instance.
func (b BearerContext) FTEID(instance uint8) (FTEID, error) {
	return ParseFTEID(b.Get(ie.FullyQualifiedTEID, instance))
}

// Cause is the context's cause.
func (b BearerContext) Cause() (uint8, error) { return CauseOf(b.Get(ie.Cause, 0)) }
