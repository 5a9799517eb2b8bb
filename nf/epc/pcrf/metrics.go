package pcrf

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Labels of the RAR counter.
const (
	rarInstall = "install" // purpose: rules from an AAR
	rarRemove  = "remove"  // purpose: rules of an STR

	rarOK             = "ok"              // RAA success
	rarRejected       = "rejected"        // RAA with another result, or a rule reported inactive
	rarUnknownSession = "unknown_session" // RAA DIAMETER_UNKNOWN_SESSION_ID: the PGW lost the session
	rarNoPeer         = "no_peer"         // the PGW is not connected
	rarFailed         = "failed"          // no RAA (timeout, connection lost)
)

// Labels of the rule report counter (PCC-Rule-Status).
var ruleStatusLabels = map[uint32]string{pccRuleActive: "active", pccRuleInactive: "inactive",
	pccRuleTemporarilyInactive: "temporarily_inactive"}

type metrics struct {
	diameter    *diameter.Metrics
	rars        *prometheus.CounterVec
	ruleReports *prometheus.CounterVec
	rxReleased  prometheus.Counter
}

func newMetrics(ops *nfkit.Ops, n *PCRF) (*metrics, error) {
	m := &metrics{
		diameter: diameter.NewMetrics("corebox_pcrf"),
		rars: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_pcrf_rar_total",
			Help: "Gx Re-Auth-Requests sent to PGWs, by purpose (install, remove) and result (ok, rejected, unknown_session, no_peer, failed)."},
			[]string{"purpose", "result"}),
		ruleReports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_pcrf_rule_reports_total",
			Help: "PCC rules reported by PGWs in Charging-Rule-Report, by PCC-Rule-Status."}, []string{"status"}),
		rxReleased: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_pcrf_rx_sessions_released_total",
			Help: "Rx sessions dropped because their Gx session ended (CCR-Termination, or unknown at the PGW)."}),
	}
	for _, p := range []string{rarInstall, rarRemove} {
		for _, r := range []string{rarOK, rarRejected, rarUnknownSession, rarNoPeer, rarFailed} {
			m.rars.WithLabelValues(p, r)
		}
	}
	for _, l := range ruleStatusLabels {
		m.ruleReports.WithLabelValues(l)
	}
	gx := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_pcrf_gx_sessions",
		Help: "Gx sessions (IP-CAN sessions) held."}, func() float64 { g, _ := n.store.counts(); return float64(g) })
	rx := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_pcrf_rx_sessions",
		Help: "Rx sessions (AF sessions) held."}, func() float64 { _, r := n.store.counts(); return float64(r) })
	cs := append(m.diameter.Collectors(), m.rars, m.ruleReports, m.rxReleased, gx, rx)
	return m, nfkit.Register(ops.Registry(), cs...)
}
