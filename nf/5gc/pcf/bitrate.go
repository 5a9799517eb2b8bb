package pcf

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// bitRateRe is the BitRate pattern of TS 29.571 §5.5.2: a number, one
// space, and a unit with a x1000 prefix ("K" for kilo).
var bitRateRe = regexp.MustCompile(`^(\d+(?:\.\d+)?) (bps|Kbps|Mbps|Gbps|Tbps)$`)

var bitRateUnit = map[string]float64{"bps": 1, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12}

// ParseBitRate reads a TS 29.571 BitRate ("100 Mbps", "1.5 Gbps") as bits
// per second. Zero and rates too large for a float64 are refused.
func ParseBitRate(s string) (float64, error) {
	m := bitRateRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bit rate %q: want <number> <bps|Kbps|Mbps|Gbps|Tbps>, e.g. \"100 Mbps\"", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("bit rate %q: %w", s, err)
	}
	bps := v * bitRateUnit[m[2]]
	if bps == 0 || math.IsInf(bps, 0) {
		return 0, fmt.Errorf("bit rate %q: want a positive, finite rate", s)
	}
	return bps, nil
}
