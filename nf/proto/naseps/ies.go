package naseps

import (
	"fmt"
	"time"
)

// KSI is the NAS key set identifier (TS 24.301 9.9.3.21): a 3-bit value
// (KSINoKey: no key available) and the type of security context flag.
type KSI struct {
	Mapped bool // TSC: a mapped rather than a native security context
	Value  uint8
}

// KSINoKey is the KSI value "no key is available".
const KSINoKey uint8 = 7

// NoKey is the KSI a UE without a security context sends.
var NoKey = KSI{Value: KSINoKey}

func (k KSI) nibble() (byte, error) {
	if k.Value > 7 {
		return 0, rangeErr("KSI", int(k.Value), 7)
	}
	n := k.Value
	if k.Mapped {
		n |= 0x8
	}
	return n, nil
}

func ksiFrom(n byte) KSI { return KSI{Mapped: n&0x8 != 0, Value: n & 0x7} }

// TimerUnit is the unit of a GPRS timer (TS 24.008 10.5.7.3).
type TimerUnit uint8

const (
	TimerUnit2s          TimerUnit = 0
	TimerUnitMinute      TimerUnit = 1
	TimerUnitDecihour    TimerUnit = 2
	TimerUnitDeactivated TimerUnit = 7
)

// GPRSTimer is TS 24.008 10.5.7.3 (T3412, T3402, T3442 ...): a 5-bit value
// in a unit.
type GPRSTimer struct {
	Unit  TimerUnit
	Value uint8
}

// TimerDeactivated is the GPRS timer value "deactivated".
var TimerDeactivated = GPRSTimer{Unit: TimerUnitDeactivated}

// NewGPRSTimer picks the finest unit in which d is exact and fits.
func NewGPRSTimer(d time.Duration) (GPRSTimer, error) {
	for _, u := range []struct {
		unit TimerUnit
		step time.Duration
	}{{TimerUnit2s, 2 * time.Second}, {TimerUnitMinute, time.Minute}, {TimerUnitDecihour, 6 * time.Minute}} {
		if d >= 0 && d%u.step == 0 && d/u.step <= 31 {
			return GPRSTimer{Unit: u.unit, Value: uint8(d / u.step)}, nil
		}
	}
	return GPRSTimer{}, fmt.Errorf("%w: GPRS timer %v is not a multiple of 2s, 1min or 6min up to 31 units", errValue, d)
}

// Duration is the timer's length; ok is false when it is deactivated.
func (t GPRSTimer) Duration() (d time.Duration, ok bool) {
	switch t.Unit {
	case TimerUnit2s:
		return time.Duration(t.Value) * 2 * time.Second, true
	case TimerUnitDecihour:
		return time.Duration(t.Value) * 6 * time.Minute, true
	case TimerUnitDeactivated:
		return 0, false
	}
	return time.Duration(t.Value) * time.Minute, true
}

func (t GPRSTimer) encode() (byte, error) {
	switch {
	case t.Value > 31:
		return 0, rangeErr("GPRS timer value", int(t.Value), 31)
	case t.Unit > TimerUnitDecihour && t.Unit != TimerUnitDeactivated:
		return 0, rangeErr("GPRS timer unit", int(t.Unit), int(TimerUnitDecihour))
	}
	return byte(t.Unit)<<5 | t.Value, nil
}

// decodeGPRSTimer: units 3..6 "shall be interpreted as multiples of 1
// minute" (TS 24.008 10.5.7.3).
func decodeGPRSTimer(b byte) GPRSTimer {
	u := TimerUnit(b >> 5)
	if u > TimerUnitDecihour && u != TimerUnitDeactivated {
		u = TimerUnitMinute
	}
	return GPRSTimer{Unit: u, Value: b & 0x1F}
}

// DRXParameter is TS 24.008 10.5.5.6.
type DRXParameter struct {
	SplitPGCycleCode uint8
	CycleLengthCoeff uint8 // CN specific DRX cycle length coefficient, 0..15
	SplitOnCCCH      bool
	NonDRXTimer      uint8 // 0..7
}

func (d DRXParameter) encode() ([]byte, error) {
	if d.CycleLengthCoeff > 15 || d.NonDRXTimer > 7 {
		return nil, fmt.Errorf("%w: DRX coefficient %d or non-DRX timer %d", errValue, d.CycleLengthCoeff, d.NonDRXTimer)
	}
	o := d.CycleLengthCoeff<<4 | d.NonDRXTimer
	if d.SplitOnCCCH {
		o |= 0x08
	}
	return []byte{d.SplitPGCycleCode, o}, nil
}

func decodeDRX(b []byte) DRXParameter {
	return DRXParameter{SplitPGCycleCode: b[0], CycleLengthCoeff: b[1] >> 4, SplitOnCCCH: b[1]&0x08 != 0, NonDRXTimer: b[1] & 0x07}
}

// Algorithm bitmaps: bit 8 of a capability octet is algorithm 0.
const (
	CapEEA0 uint8 = 0x80
	CapEEA1 uint8 = 0x40
	CapEEA2 uint8 = 0x20
	CapEEA3 uint8 = 0x10
	CapEIA0 uint8 = 0x80
	CapEIA1 uint8 = 0x40
	CapEIA2 uint8 = 0x20
	CapEIA3 uint8 = 0x10
)

// UENetworkCapability is TS 24.301 9.9.3.34: the EEA and EIA bitmaps, then
// octets 5.. (UEA, UIA, feature bits) as the UE sent them.
type UENetworkCapability struct {
	EEA, EIA uint8
	Extra    []byte // 0..11 octets
}

func (c UENetworkCapability) encode() ([]byte, error) {
	if len(c.Extra) > 11 {
		return nil, rangeErr("UE network capability extra octets", len(c.Extra), 11)
	}
	return append([]byte{c.EEA, c.EIA}, c.Extra...), nil
}

func decodeUENetworkCapability(b []byte) UENetworkCapability {
	c := UENetworkCapability{EEA: b[0], EIA: b[1]}
	if len(b) > 2 {
		c.Extra = cloneBytes(b[2:])
	}
	return c
}

// SecurityCapability is what the MME replays in the Security Mode Command
// (TS 24.301 5.4.3.2): the EPS bitmaps and, when the UE sent them, its
// UEA and UIA octets (UIA's bit 8 is spare).
func (c UENetworkCapability) SecurityCapability() UESecurityCapability {
	s := UESecurityCapability{EEA: c.EEA, EIA: c.EIA}
	if len(c.Extra) >= 2 {
		s.Extra = []byte{c.Extra[0], c.Extra[1] & 0x7F}
	}
	return s
}

// UESecurityCapability is TS 24.301 9.9.3.36: EEA and EIA bitmaps, then
// UEA, UIA and GEA octets when present.
type UESecurityCapability struct {
	EEA, EIA uint8
	Extra    []byte // 0..3 octets
}

func (c UESecurityCapability) encode() ([]byte, error) {
	if len(c.Extra) > 3 {
		return nil, rangeErr("UE security capability extra octets", len(c.Extra), 3)
	}
	return append([]byte{c.EEA, c.EIA}, c.Extra...), nil
}

func decodeUESecurityCapability(b []byte) UESecurityCapability {
	c := UESecurityCapability{EEA: b[0], EIA: b[1]}
	if len(b) > 2 {
		c.Extra = cloneBytes(b[2:])
	}
	return c
}

// SupportsEEA and SupportsEIA read the bitmaps for algorithm alg (0..7).
func (c UESecurityCapability) SupportsEEA(alg uint8) bool { return alg < 8 && c.EEA&(0x80>>alg) != 0 }
func (c UESecurityCapability) SupportsEIA(alg uint8) bool { return alg < 8 && c.EIA&(0x80>>alg) != 0 }

// EPSNetworkFeatureSupport is TS 24.301 9.9.3.12A.
type EPSNetworkFeatureSupport struct {
	IMSVoPS bool  // IMS voice over PS session in S1 mode
	EMCBS   bool  // emergency bearer services
	EPCLCS  bool  // location services via EPC
	CSLCS   uint8 // location services via CS domain, 0..3
	ESRPS   bool  // extended service request for packet services
	ERwOPDN bool  // EMM-REGISTERED without PDN connection
	CPCIoT  bool  // control plane CIoT optimization
	// Octet4 is the second value octet, present when HasOctet4.
	HasOctet4 bool
	Octet4    uint8
}

func (f EPSNetworkFeatureSupport) encode() ([]byte, error) {
	if f.CSLCS > 3 {
		return nil, rangeErr("CS-LCS", int(f.CSLCS), 3)
	}
	o := f.CSLCS << 3
	for bit, set := range map[byte]bool{0x01: f.IMSVoPS, 0x02: f.EMCBS, 0x04: f.EPCLCS, 0x20: f.ESRPS, 0x40: f.ERwOPDN, 0x80: f.CPCIoT} {
		if set {
			o |= bit
		}
	}
	if f.HasOctet4 {
		return []byte{o, f.Octet4}, nil
	}
	return []byte{o}, nil
}

func decodeEPSNetworkFeatureSupport(b []byte) EPSNetworkFeatureSupport {
	o := b[0]
	f := EPSNetworkFeatureSupport{IMSVoPS: o&0x01 != 0, EMCBS: o&0x02 != 0, EPCLCS: o&0x04 != 0,
		CSLCS: o >> 3 & 0x3, ESRPS: o&0x20 != 0, ERwOPDN: o&0x40 != 0, CPCIoT: o&0x80 != 0}
	if len(b) > 1 {
		f.HasOctet4, f.Octet4 = true, b[1]
	}
	return f
}

// EPSBearerContextStatus is TS 24.301 9.9.2.1: bit i set when the bearer
// with EBI i is active (bits 0..4 are spare).
type EPSBearerContextStatus uint16

func (s EPSBearerContextStatus) encode() []byte { return []byte{byte(s), byte(s >> 8)} }

func decodeEPSBearerContextStatus(b []byte) EPSBearerContextStatus {
	return EPSBearerContextStatus(b[0]) | EPSBearerContextStatus(b[1])<<8
}

// Active reports whether bearer ebi is marked active.
func (s EPSBearerContextStatus) Active(ebi uint8) bool { return ebi < 16 && s&(1<<ebi) != 0 }

// EMMCause is TS 24.301 9.9.3.9.
type EMMCause uint8

// EMM causes (TS 24.301 Annex A).
const (
	EMMCauseIllegalUE                     EMMCause = 3
	EMMCauseIllegalME                     EMMCause = 6
	EMMCauseEPSServicesNotAllowed         EMMCause = 7
	EMMCauseEPSAndNonEPSNotAllowed        EMMCause = 8
	EMMCauseUEIdentityCannotBeDerived     EMMCause = 9
	EMMCauseImplicitlyDetached            EMMCause = 10
	EMMCausePLMNNotAllowed                EMMCause = 11
	EMMCauseTANotAllowed                  EMMCause = 12
	EMMCauseRoamingNotAllowedInTA         EMMCause = 13
	EMMCauseEPSNotAllowedInPLMN           EMMCause = 14
	EMMCauseNoSuitableCellsInTA           EMMCause = 15
	EMMCauseNetworkFailure                EMMCause = 17
	EMMCauseESMFailure                    EMMCause = 19
	EMMCauseMACFailure                    EMMCause = 20
	EMMCauseSynchFailure                  EMMCause = 21
	EMMCauseCongestion                    EMMCause = 22
	EMMCauseUESecurityCapMismatch         EMMCause = 23
	EMMCauseSecurityModeRejected          EMMCause = 24
	EMMCauseNonEPSAuthUnacceptable        EMMCause = 26
	EMMCauseSemanticallyIncorrect         EMMCause = 95
	EMMCauseInvalidMandatoryInfo          EMMCause = 96
	EMMCauseMessageTypeNonExistent        EMMCause = 97
	EMMCauseIENonExistent                 EMMCause = 99
	EMMCauseMessageNotCompatibleWithState EMMCause = 101
	EMMCauseProtocolErrorUnspecified      EMMCause = 111
)

// ESMCause is TS 24.301 9.9.4.4.
type ESMCause uint8

// ESM causes (TS 24.301 Annex B).
const (
	ESMCauseOperatorDeterminedBarring  ESMCause = 8
	ESMCauseInsufficientResources      ESMCause = 26
	ESMCauseUnknownAPN                 ESMCause = 27
	ESMCauseUnknownPDNType             ESMCause = 28
	ESMCauseUserAuthenticationFailed   ESMCause = 29
	ESMCauseRejectedByGateway          ESMCause = 30
	ESMCauseRequestRejectedUnspecified ESMCause = 31
	ESMCauseServiceOptionNotSupported  ESMCause = 32
	ESMCauseServiceOptionNotSubscribed ESMCause = 33
	ESMCausePTIAlreadyInUse            ESMCause = 35
	ESMCauseRegularDeactivation        ESMCause = 36
	ESMCauseEPSQoSNotAccepted          ESMCause = 37
	ESMCauseNetworkFailure             ESMCause = 38
	ESMCauseSemanticErrorInTFT         ESMCause = 41
	ESMCauseSyntacticalErrorInTFT      ESMCause = 42
	ESMCauseInvalidEBI                 ESMCause = 43
	ESMCausePTIMismatch                ESMCause = 47
	ESMCausePDNTypeIPv4OnlyAllowed     ESMCause = 50
	ESMCausePDNTypeIPv6OnlyAllowed     ESMCause = 51
	ESMCausePDNConnectionDoesNotExist  ESMCause = 54
	ESMCauseInvalidPTI                 ESMCause = 81
	ESMCauseProtocolErrorUnspecified   ESMCause = 111
)

// EPSAttachType is TS 24.301 9.9.3.11.
type EPSAttachType uint8

const (
	AttachEPS          EPSAttachType = 1
	AttachCombined     EPSAttachType = 2
	AttachEPSEmergency EPSAttachType = 6
)

// EPSAttachResult is TS 24.301 9.9.3.10.
type EPSAttachResult uint8

const (
	AttachResultEPSOnly  EPSAttachResult = 1
	AttachResultCombined EPSAttachResult = 2
)

func threeBits(what string, v uint8) (byte, error) {
	if v > 7 {
		return 0, rangeErr(what, int(v), 7)
	}
	return v, nil
}
