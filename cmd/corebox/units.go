package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseBytes reads sizes like 256Mi, 1Gi, 512M, 64k or a plain byte count.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	}
	num, mult := s, int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: use a number with an optional unit, e.g. 256Mi, 1Gi or 512M", s)
	}
	return int64(v * float64(mult)), nil
}

// parseRate reads bit rates like 100mbit, 1gbit, 500kbit or plain bit/s.
func parseRate(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}
	lower := strings.ToLower(s)
	num, mult := lower, 1.0
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			num, mult = strings.TrimSuffix(lower, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("rate %q: use a number with a unit, e.g. 100mbit, 1gbit or 500kbit", s)
	}
	return uint64(v * mult), nil
}

// parsePercent reads "1%" or "1".
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 || v > 100 {
		return 0, fmt.Errorf("percentage %q: use a number from 0 to 100, e.g. 1%%", s)
	}
	return v, nil
}
