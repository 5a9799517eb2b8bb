package pgw

import (
	"fmt"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// parseQoS reads a Bearer QoS IE (TS 29.274 §8.15).
func parseQoS(i *ie.IE) (QoS, error) {
	f, err := i.BearerQoS()
	if err != nil {
		return QoS{}, fmt.Errorf("bearer QoS: %w", err)
	}
	return QoS{QCI: f.QCI, ARP: ARP{
		Priority:                (f.ARP >> 2) & 0x0f,
		PreemptionCapability:    f.ARP&0x40 == 0, // PCI 1: shall not pre-empt
		PreemptionVulnerability: f.ARP&0x01 == 0, // PVI 1: shall not be pre-empted
	}, MBRUL: f.MaximumBitRateForUplink, MBRDL: f.MaximumBitRateForDownlink,
		GBRUL: f.GuaranteedBitRateForUplink, GBRDL: f.GuaranteedBitRateForDownlink, Filled: true}, nil
}

// IE encodes q as a Bearer QoS IE.
func (q QoS) IE() *ie.IE {
	return ie.NewBearerQoS(b2u8(!q.ARP.PreemptionCapability), q.ARP.Priority, b2u8(!q.ARP.PreemptionVulnerability),
		q.QCI, q.MBRUL, q.MBRDL, q.GBRUL, q.GBRDL)
}

// IE encodes a as an AMBR IE.
func (a AMBR) IE() *ie.IE { return ie.NewAggregateMaximumBitRate(a.UL, a.DL) }

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
