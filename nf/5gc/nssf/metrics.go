package nssf

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
)

type metrics struct {
	sbi        *sbi.Metrics
	selections *prometheus.CounterVec
}

func newMetrics(ops *nfkit.Ops, log *slog.Logger, slices int) (*metrics, error) {
	m := &metrics{
		sbi: sbi.NewMetrics("corebox_nssf", log),
		selections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_nssf_selections_total",
			Help: "Network slice selections by request (registration, pdu_session, ue_config_update, unknown) and " +
				"result (allowed, partial, rejected, supported, not_supported, bad_request, refused)."},
			[]string{"request", "result"}),
	}
	supported := prometheus.NewGauge(prometheus.GaugeOpts{Name: "corebox_nssf_supported_slices",
		Help: "S-NSSAIs configured as supported."})
	supported.Set(float64(slices))
	cs := append(m.sbi.Collectors(), m.selections, supported)
	return m, nfkit.Register(ops.Registry(), cs...)
}

func (m *metrics) count(kind, result string) { m.selections.WithLabelValues(kind, result).Inc() }

// Counter is the count of selections of kind with result (tests,
// dashboards).
func (n *NF) Counter(kind, result string) prometheus.Counter {
	return n.metrics.selections.WithLabelValues(kind, result)
}

// SBIMetrics are the SBI request counters.
func (n *NF) SBIMetrics() *sbi.Metrics { return n.metrics.sbi }
