package ue

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// metrics are the UE simulator's; label values come from fixed sets.
type metrics struct {
	registrations   *prometheus.CounterVec // result
	regSeconds      prometheus.Histogram
	serviceRequests *prometheus.CounterVec // result
	sessionsTotal   *prometheus.CounterVec // result
	deregistrations *prometheus.CounterVec // result
	authFailures    *prometheus.CounterVec // cause
	malformed       *prometheus.CounterVec // source
	nasDropped      *prometheus.CounterVec // reason
	dropped         *prometheus.CounterVec // reason (radio and data plane)
	pagings         prometheus.Counter
	ulPackets       prometheus.Counter
	ulBytes         prometheus.Counter
	dlPackets       prometheus.Counter
	dlBytes         prometheus.Counter
	lte             *lteMetrics // lte mode only
}

var results = []string{"ok", "auth_rejected", "rejected", "timeout", "released", "error"}

func newMetrics(reg prometheus.Registerer, n *NF) (*metrics, error) {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_ue_" + name, Help: help}, labels)
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_ue_" + name, Help: help})
	}
	m := &metrics{
		registrations: vec("registrations_total", "Initial registrations, by result.", "result"),
		regSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "corebox_ue_registration_seconds",
			Help:    "Time from Registration Request to Registration Accept, successful registrations.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14)}),
		serviceRequests: vec("service_requests_total", "Service Requests, by result.", "result"),
		sessionsTotal:   vec("session_establishments_total", "PDU session establishments, by result.", "result"),
		deregistrations: vec("deregistrations_total", "UE-originating deregistrations, by result.", "result"),
		authFailures:    vec("authentication_failures_total", "Authentication Failures sent, by 5GMM cause (20, 21, 26).", "cause"),
		malformed:       vec("malformed_total", "Inputs dropped as malformed, by source (radio, nas).", "source"),
		nasDropped:      vec("nas_dropped_total", "Downlink NAS PDUs not acted on, by reason.", "reason"),
		dropped:         vec("dropped_total", "Radio messages and packets dropped, by reason.", "reason"),
		pagings:         counter("pagings_total", "Pagings that named one of our UEs."),
		ulPackets:       counter("uplink_packets_total", "User-plane packets sent to the gNB."),
		ulBytes:         counter("uplink_bytes_total", "IP bytes of those packets."),
		dlPackets:       counter("downlink_packets_total", "User-plane packets from the gNB."),
		dlBytes:         counter("downlink_bytes_total", "IP bytes of those packets."),
	}
	for _, r := range results {
		m.registrations.WithLabelValues(r)
		m.serviceRequests.WithLabelValues(r)
		m.sessionsTotal.WithLabelValues(r)
		m.deregistrations.WithLabelValues(r)
	}
	for _, c := range []uint8{nas5g.CauseMACFailure, nas5g.CauseSynchFailure, nas5g.CauseNon5GAuthUnacceptable} {
		m.authFailures.WithLabelValues(strconv.Itoa(int(c)))
	}
	m.malformed.WithLabelValues("radio")
	m.malformed.WithLabelValues("nas")
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_ue_" + name, Help: help}, f)
	}
	err := nfkit.Register(reg, m.registrations, m.regSeconds, m.serviceRequests, m.sessionsTotal,
		m.deregistrations, m.authFailures, m.malformed, m.nasDropped, m.dropped, m.pagings,
		m.ulPackets, m.ulBytes, m.dlPackets, m.dlBytes,
		gauge("registered", "UEs registered (connected or idle).", func() float64 { return float64(n.count().registered) }),
		gauge("connected", "UEs with an RRC connection.", func() float64 { return float64(n.count().connected) }),
		gauge("sessions", "PDU sessions established.", func() float64 { return float64(n.count().sessions) }),
		gauge("ues", "UEs simulated.", func() float64 { return float64(len(n.ues)) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "corebox_ue_nas_decoder_panics_total",
			Help: "NAS inputs that made the decoder panic (contained)."}, func() float64 { return float64(nas5g.DecoderPanics()) }),
	)
	if err != nil || !n.res.lte {
		return m, err
	}
	m.lte, err = newLTEMetrics(reg, n)
	return m, err
}

func (m *metrics) registration(err error, took time.Duration) {
	m.registrations.WithLabelValues(outcome(err)).Inc()
	if err == nil {
		m.regSeconds.Observe(took.Seconds())
	}
}
