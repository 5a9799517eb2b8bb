package pcscf

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
)

// Labels of the Rx counter.
const (
	rxAAR     = "aar"
	rxSTR     = "str"
	rxOK      = "ok"
	rxRefused = "refused" // an answer with a non-success result
	rxFailed  = "failed"  // no answer: not connected, timeout
)

type metrics struct {
	rx        *prometheus.CounterVec
	malformed prometheus.Counter
	forbidden prometheus.Counter
}

func newMetrics(ops *nfkit.Ops, n *PCSCF) (*metrics, error) {
	m := &metrics{
		rx: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_pcscf_rx_requests_total",
			Help: "Rx requests sent to the PCRF, by command (aar, str) and result (ok, refused, failed)."},
			[]string{"command", "result"}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_pcscf_sip_malformed_total",
			Help: "SIP requests dropped or refused with 400 as malformed."}),
		forbidden: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_pcscf_sip_forbidden_total",
			Help: "SIP requests refused with 403: not from a registered UE nor routed through us."}),
	}
	for _, c := range []string{rxAAR, rxSTR} {
		for _, r := range []string{rxOK, rxRefused, rxFailed} {
			m.rx.WithLabelValues(c, r)
		}
	}
	regs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_pcscf_registrations",
		Help: "UE registrations held."}, func() float64 { return float64(n.reg.count()) })
	dialogs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_pcscf_dialogs",
		Help: "INVITE dialogs tracked for Rx."}, func() float64 { return float64(n.dialogs.count()) })
	return m, nfkit.Register(ops.Registry(), m.rx, m.malformed, m.forbidden, regs, dialogs)
}
