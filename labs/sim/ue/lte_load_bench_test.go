package ue_test

import (
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
)

// BenchmarkLTEAttach runs whole attaches of many UEs at once against the
// eNB+MME double over loopback radio: the control API's register step
// (attach by GUTI after the first round, EPS AKA, security mode, default
// bearer up), rounds of 64 UEs; the switch-off detaches between rounds
// are not timed. It reports attaches/s; the double's side of every
// attach (vector, keys, NAS) runs in the same process, so the figure is
// a lower bound for the UE side.
func BenchmarkLTEAttach(b *testing.B) {
	const ues = 64
	l := startLTE(b, ues, func(c *ue.Config) { c.MaxConcurrency = ues })
	var attaches int
	var took time.Duration
	b.ResetTimer()
	for attaches < b.N {
		start := time.Now()
		res := step(b, l.ues, simapi.PathRegister, simapi.RegisterRequest{})
		took += time.Since(start)
		b.StopTimer()
		allOK(b, res, ues)
		attaches += ues
		allOK(b, step(b, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{SwitchOff: true}), ues)
		b.StartTimer()
	}
	b.ReportMetric(float64(attaches)/took.Seconds(), "attaches/s")
}
