package nas5g

import (
	"fmt"
	"math"
	"time"

	"github.com/free5gc/nas/ie"
)

// TimerDeactivated marks a GPRS timer 3 as deactivated (T3512: no periodic
// registration).
const TimerDeactivated time.Duration = -1

// GPRS timer 3 units (TS 24.008 10.5.7.4a), smallest first.
var timer3Units = []struct {
	unit ie.GPRSTimer3UnitType
	step time.Duration
}{
	{ie.TimerIncIn_2Seconds, 2 * time.Second},
	{ie.TimerIncIn_30Seconds, 30 * time.Second},
	{ie.TimerIncIn_1Minute, time.Minute},
	{ie.TimerIncIn_10Minutes, 10 * time.Minute},
	{ie.TimerIncIn_1Hour, time.Hour},
	{ie.TimerIncIn_10Hours, 10 * time.Hour},
	{ie.TimerIncIn_320Hours, 320 * time.Hour},
}

// timer3ToIE encodes d exactly, in the smallest unit that holds it.
func timer3ToIE(d time.Duration) (*ie.GPRSTimer3, error) {
	if d == TimerDeactivated {
		return &ie.GPRSTimer3{Unit: ie.TimerDeactivated}, nil
	}
	for _, u := range timer3Units {
		if d > 0 && d%u.step == 0 && d/u.step <= 31 {
			return &ie.GPRSTimer3{Unit: u.unit, Value: uint8(d / u.step)}, nil
		}
	}
	return nil, fmt.Errorf("nas5g: %v is not a GPRS timer 3 value", d)
}

func timer3FromIE(t *ie.GPRSTimer3) (time.Duration, error) {
	if t == nil {
		return 0, nil
	}
	if t.Unit == ie.TimerDeactivated {
		return TimerDeactivated, nil
	}
	for _, u := range timer3Units {
		if u.unit == t.Unit {
			return time.Duration(t.Value) * u.step, nil
		}
	}
	return 0, fmt.Errorf("nas5g: GPRS timer 3 unit %d", t.Unit)
}

// AMBR is a session AMBR in bits per second.
type AMBR struct {
	Uplink, Downlink uint64
}

// ambrUnit picks the smallest session-AMBR unit (1 Kbps times 4^(u-1),
// TS 24.501 9.11.4.14) whose 16-bit value holds bps, rounding down.
func ambrUnit(bps uint64) (ie.BitRateType, uint16, error) {
	step := uint64(1000)
	for u := ie.Rate_1Kbps; u <= ie.Rate_256Pbps; u++ {
		if bps/step <= 0xFFFF {
			if bps/step == 0 {
				return 0, 0, fmt.Errorf("nas5g: AMBR of %d bit/s is below 1 Kbps", bps)
			}
			return u, uint16(bps / step), nil
		}
		step *= 4
	}
	return 0, 0, fmt.Errorf("nas5g: AMBR of %d bit/s is too large", bps)
}

func ambrFromUnit(u ie.BitRateType, v uint16) (uint64, error) {
	if u < ie.Rate_1Kbps || u > ie.Rate_256Pbps {
		return 0, fmt.Errorf("nas5g: AMBR unit %d", u)
	}
	shift := 2 * uint(u-ie.Rate_1Kbps)
	if uint64(v)*1000 > math.MaxUint64>>shift {
		return 0, fmt.Errorf("nas5g: AMBR %d x unit %d overflows 64 bits", v, u)
	}
	return uint64(v) * 1000 << shift, nil
}

func ambrToIE(a AMBR) (*ie.SessAMBR, error) {
	ul, ulv, err := ambrUnit(a.Uplink)
	if err != nil {
		return nil, err
	}
	dl, dlv, err := ambrUnit(a.Downlink)
	if err != nil {
		return nil, err
	}
	return &ie.SessAMBR{UnitUplink: ul, ValueUplink: ulv, UnitDownlink: dl, ValueDownlink: dlv}, nil
}

func ambrFromIE(s *ie.SessAMBR) (AMBR, error) {
	if s == nil {
		return AMBR{}, fmt.Errorf("nas5g: missing session AMBR")
	}
	ul, err := ambrFromUnit(s.UnitUplink, s.ValueUplink)
	if err != nil {
		return AMBR{}, err
	}
	dl, err := ambrFromUnit(s.UnitDownlink, s.ValueDownlink)
	return AMBR{Uplink: ul, Downlink: dl}, err
}
