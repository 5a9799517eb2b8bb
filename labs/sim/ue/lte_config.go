package ue

import (
	"errors"
	"fmt"
	"strings"

	"github.com/corebox/corebox/nf/proto/naseps"
)

// LTEConfig is what lte mode adds (default.yaml documents it).
type LTEConfig struct {
	// APN requested at attach; "" lets the network pick the subscription's
	// default APN.
	APN string `yaml:"apn"`
	// PDNs are APNs connected right after each attach (e.g. ims).
	PDNs []string `yaml:"pdns"`
	// EEA and EIA list the algorithms of the UE network capability.
	EEA []string `yaml:"eea"`
	EIA []string `yaml:"eia"`
}

// epsResolved is the lte part of the config in usable form.
type epsResolved struct {
	plmn naseps.PLMN
	caps naseps.UENetworkCapability
	apn  string
	pdns []string
}

// maxExtraPDNs bounds lte.pdns: EBIs 5..15 leave room for 11 bearers.
const maxExtraPDNs = 10

func (l LTEConfig) resolve(r *resolved) error {
	var errs []error
	r.eps.plmn = naseps.PLMN{MCC: r.plmn.MCC, MNC: r.plmn.MNC}
	if l.APN != "" {
		if err := checkAPN(l.APN); err != nil {
			errs = append(errs, fmt.Errorf("lte.apn: %w", err))
		}
	}
	r.eps.apn = l.APN
	seen := map[string]bool{strings.ToLower(l.APN): l.APN != ""}
	if len(l.PDNs) > maxExtraPDNs {
		errs = append(errs, fmt.Errorf("lte.pdns: %d APNs, at most %d", len(l.PDNs), maxExtraPDNs))
	}
	for _, apn := range l.PDNs {
		if err := checkAPN(apn); err != nil {
			errs = append(errs, fmt.Errorf("lte.pdns: %w", err))
			continue
		}
		if seen[strings.ToLower(apn)] {
			errs = append(errs, fmt.Errorf("lte.pdns: %q listed twice (or is lte.apn)", apn))
		}
		seen[strings.ToLower(apn)] = true
		r.eps.pdns = append(r.eps.pdns, apn)
	}
	var err error
	if r.eps.caps.EEA, err = capBits("lte.eea", "EEA", l.EEA, 0); err != nil {
		errs = append(errs, err)
	}
	if r.eps.caps.EIA, err = capBits("lte.eia", "EIA", l.EIA, 1); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// capBits turns algorithm names (PREFIX0..3, none below lowest) into the
// bitmap of the UE network capability (bit 8 for algorithm 0).
func capBits(key, prefix string, names []string, lowest uint8) (uint8, error) {
	if len(names) == 0 {
		return 0, fmt.Errorf("%s: list at least one algorithm", key)
	}
	var bits uint8
	for _, name := range names {
		a, err := algorithm(name, prefix)
		if err == nil && a < lowest {
			err = fmt.Errorf("%q: %s0 (no integrity) is for emergency calls only", name, prefix)
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		bits |= 0x80 >> a
	}
	return bits, nil
}

// checkAPN wants dot-separated labels of 1..63 characters, 100 octets in
// all as the APN IE encodes them.
func checkAPN(apn string) error {
	if len(apn)+1 > 100 {
		return fmt.Errorf("APN %q: longer than 99 characters", apn)
	}
	for _, label := range strings.Split(apn, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("APN %q: want dot-separated labels of 1..63 characters", apn)
		}
	}
	return nil
}
