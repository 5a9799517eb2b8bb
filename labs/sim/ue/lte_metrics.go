package ue

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
)

// lteMetrics are what lte mode adds; label values come from fixed sets.
type lteMetrics struct {
	attaches        *prometheus.CounterVec // result
	attachSeconds   prometheus.Histogram
	detaches        *prometheus.CounterVec // result
	pdnConnectivity *prometheus.CounterVec // result
	taus            *prometheus.CounterVec // result
	dedicated       *prometheus.CounterVec // event
	networkDetaches prometheus.Counter
}

func newLTEMetrics(reg prometheus.Registerer, n *NF) (*lteMetrics, error) {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_ue_" + name, Help: help}, labels)
	}
	m := &lteMetrics{
		attaches: vec("attaches_total", "EPS attaches, by result.", "result"),
		attachSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "corebox_ue_attach_seconds",
			Help:    "Time from Attach Request to the default bearer carrying data, successful attaches.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14)}),
		detaches:        vec("detaches_total", "UE-initiated EPS detaches, by result.", "result"),
		pdnConnectivity: vec("pdn_connectivity_total", "UE-requested PDN connectivity procedures after attach, by result.", "result"),
		taus:            vec("tracking_area_updates_total", "Tracking area updates, by result.", "result"),
		dedicated:       vec("dedicated_bearers_total", "Dedicated bearer events: activated, rejected, deactivated.", "event"),
		networkDetaches: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_ue_network_detaches_total",
			Help: "Network-initiated detaches."}),
	}
	for _, r := range results {
		m.attaches.WithLabelValues(r)
		m.detaches.WithLabelValues(r)
		m.pdnConnectivity.WithLabelValues(r)
		m.taus.WithLabelValues(r)
	}
	for _, e := range []string{"activated", "rejected", "deactivated"} {
		m.dedicated.WithLabelValues(e)
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_ue_" + name, Help: help}, f)
	}
	err := nfkit.Register(reg, m.attaches, m.attachSeconds, m.detaches, m.pdnConnectivity, m.taus, m.dedicated,
		m.networkDetaches,
		gauge("pdn_connections", "PDN connections established.", func() float64 { return float64(n.count().sessions) }),
		gauge("bearers", "EPS bearers active, default and dedicated.", func() float64 { return float64(n.count().bearers) }),
	)
	return m, err
}

func (m *lteMetrics) attach(err error, took time.Duration) {
	m.attaches.WithLabelValues(outcome(err)).Inc()
	if err == nil {
		m.attachSeconds.Observe(took.Seconds())
	}
}
