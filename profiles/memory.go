package profiles

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

var memorySyntax = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?(Ki|Mi|Gi|Ti|k|K|M|G|T)?$`)

var memoryUnits = map[string]int64{
	"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40,
	"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
}

// ParseMemory reads a size: bytes (1073741824), or a number with a unit,
// Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), the
// units of `corebox run --memory`. Fractions (1.5Gi) round down to whole
// bytes.
func ParseMemory(s string) (int64, error) {
	m := memorySyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("size %q: use bytes or a number with Ki, Mi, Gi, Ti, k, M, G or T, e.g. 256Mi", s)
	}
	unit := memoryUnits[m[3]]
	tooLarge := fmt.Errorf("size %q is too large", s)
	if m[2] == "" {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > math.MaxInt64/unit {
			return 0, tooLarge
		}
		return n * unit, nil
	}
	v, err := strconv.ParseFloat(m[1]+"."+m[2], 64)
	if err != nil || v*float64(unit) >= math.MaxInt64 {
		return 0, tooLarge
	}
	return int64(v * float64(unit)), nil
}
