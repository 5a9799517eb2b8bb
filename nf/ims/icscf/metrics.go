package icscf

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Results of routing (corebox_icscf_routed_total).
const (
	resultForwarded   = "forwarded"
	resultRejected    = "rejected"    // 403: UAR refused
	resultNotFound    = "not_found"   // 404: LIR user unknown
	resultUnavailable = "unavailable" // 480: not registered, or no S-CSCF fits
	resultFailed      = "failed"      // the HSS or the S-CSCF did not answer
)

var methods = []string{"REGISTER", "INVITE", "ACK", "CANCEL", "BYE", "MESSAGE", "SUBSCRIBE", "NOTIFY",
	"OPTIONS", "UPDATE", "INFO", "PRACK", "REFER", "PUBLISH"}

type metrics struct {
	diameter  *diameter.Metrics
	requests  *prometheus.CounterVec
	routed    *prometheus.CounterVec
	malformed prometheus.Counter
}

func newMetrics(ops *nfkit.Ops) (*metrics, error) {
	m := &metrics{
		diameter: diameter.NewMetrics("corebox_icscf"),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_icscf_sip_requests_total",
			Help: "SIP requests received, by method."}, []string{"method"}),
		routed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_icscf_routed_total",
			Help: "Requests routed to an S-CSCF or answered, by kind (register, other) and result."}, []string{"kind", "result"}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_icscf_sip_malformed_total",
			Help: "SIP requests refused with 400 because their headers could not be used."}),
	}
	for _, meth := range append(methods, "other") {
		m.requests.WithLabelValues(meth)
	}
	for _, k := range []string{"register", "other"} {
		for _, r := range []string{resultForwarded, resultRejected, resultNotFound, resultUnavailable, resultFailed} {
			m.routed.WithLabelValues(k, r)
		}
	}
	cs := append(m.diameter.Collectors(), m.requests, m.routed, m.malformed)
	return m, nfkit.Register(ops.Registry(), cs...)
}

func (m *metrics) request(method string) {
	for _, known := range methods {
		if method == known {
			m.requests.WithLabelValues(method).Inc()
			return
		}
	}
	m.requests.WithLabelValues("other").Inc()
}

func (m *metrics) route(method, result string) {
	kind := "other"
	if method == "REGISTER" {
		kind = "register"
	}
	m.routed.WithLabelValues(kind, result).Inc()
}
