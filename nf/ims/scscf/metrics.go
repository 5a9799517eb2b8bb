package scscf

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Results of REGISTER handling (corebox_scscf_registrations_total).
const (
	regChallenged   = "challenged"   // 401 with an AKA challenge
	regResync       = "resync"       // 401 after an auts resynchronisation
	regRegistered   = "registered"   // 200, first registration
	regRefreshed    = "refreshed"    // 200, re-registration
	regDeregistered = "deregistered" // 200, Expires: 0
	regExpired      = "expired"      // binding expiry, SAR TIMEOUT_DEREGISTRATION
	regAuthFailed   = "auth_failed"  // 403, wrong response
	regRejected     = "rejected"     // 403/423, the HSS or our policy refused
	regError        = "error"        // 5xx, the HSS failed or we are busy
)

// Results of routing (corebox_scscf_routed_total).
const (
	routeForwarded   = "forwarded"
	routeNotFound    = "not_found"   // 404
	routeUnavailable = "unavailable" // 480
	routeForbidden   = "forbidden"   // 403
	routeFailed      = "failed"      // no transaction could be set up, or it timed out
)

// methods are the request methods counted by name; others are "other".
var methods = []string{"REGISTER", "SUBSCRIBE", "NOTIFY", "INVITE", "ACK", "CANCEL", "BYE", "MESSAGE",
	"UPDATE", "INFO", "PRACK", "OPTIONS", "REFER", "PUBLISH"}

type metrics struct {
	diameter      *diameter.Metrics
	requests      *prometheus.CounterVec
	registrations *prometheus.CounterVec
	routed        *prometheus.CounterVec
	malformed     prometheus.Counter
	notifies      *prometheus.CounterVec
}

func newMetrics(ops *nfkit.Ops, n *SCSCF) (*metrics, error) {
	m := &metrics{
		diameter: diameter.NewMetrics("corebox_scscf"),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_scscf_sip_requests_total",
			Help: "SIP requests received, by method."}, []string{"method"}),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_scscf_registrations_total",
			Help: "REGISTER outcomes and binding expiries, by result."}, []string{"result"}),
		routed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_scscf_routed_total",
			Help: "Requests routed (other than REGISTER and reg SUBSCRIBE), by result."}, []string{"result"}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_scscf_sip_malformed_total",
			Help: "SIP requests refused with 400 because their headers could not be used."}),
		notifies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_scscf_reg_notifies_total",
			Help: "reg event NOTIFYs sent, by result (ok, failed)."}, []string{"result"}),
	}
	for _, meth := range append(methods, "other") {
		m.requests.WithLabelValues(meth)
	}
	for _, r := range []string{regChallenged, regResync, regRegistered, regRefreshed, regDeregistered, regExpired,
		regAuthFailed, regRejected, regError} {
		m.registrations.WithLabelValues(r)
	}
	for _, r := range []string{routeForwarded, routeNotFound, routeUnavailable, routeForbidden, routeFailed} {
		m.routed.WithLabelValues(r)
	}
	m.notifies.WithLabelValues("ok")
	m.notifies.WithLabelValues("failed")
	users := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_scscf_registered_users",
		Help: "Private identities with at least one binding."}, func() float64 { u, _ := n.store.counts(); return float64(u) })
	contacts := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_scscf_contacts",
		Help: "Contact bindings held."}, func() float64 { _, c := n.store.counts(); return float64(c) })
	cs := append(m.diameter.Collectors(), m.requests, m.registrations, m.routed, m.malformed, m.notifies, users, contacts)
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

func (m *metrics) registration(result string) { m.registrations.WithLabelValues(result).Inc() }
func (m *metrics) route(result string)        { m.routed.WithLabelValues(result).Inc() }
