package amf

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Labels of corebox_amf_registrations_total.
const (
	regAccepted     = "accepted"      // Registration Complete received
	regRejected     = "rejected"      // Registration Reject sent
	regAuthRejected = "auth_rejected" // Authentication Reject sent
	regFailed       = "failed"        // timer expiry, peer failure, lost connection
)

// Labels of corebox_amf_authentications_total.
const (
	authSuccess = "success"
	authFailure = "failure" // RES* or HRES* mismatch, AUSF said FAILURE
	authMAC     = "mac_failure"
	authResync  = "resync"
	authError   = "error" // AUSF unreachable or nonsense
)

// Labels of corebox_amf_pdu_session_requests_total.
const (
	pduForwarded = "forwarded" // SM context created
	pduRejected  = "rejected"  // the SMF (or we) refused it
	pduFailed    = "failed"    // no SMF, SMF unreachable
)

type metrics struct {
	sbi            *sbi.Metrics
	registrations  *prometheus.CounterVec
	regDuration    prometheus.Histogram
	auths          *prometheus.CounterVec
	pduRequests    *prometheus.CounterVec
	paging         prometheus.Counter
	modifications  *prometheus.CounterVec
	ngapMalformed  prometheus.Counter
	ngapUnexpected prometheus.Counter
	nasMalformed   prometheus.Counter
	nasMACFailures prometheus.Counter
	nasDiscarded   prometheus.Counter
}

func (n *NF) registerMetrics() error {
	name := func(s string) string { return "corebox_amf_" + s }
	m := &metrics{
		sbi: sbi.NewMetrics("corebox_amf", n.log),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("registrations_total"),
			Help: "Registration procedures by result (accepted, rejected, auth_rejected, failed)."}, []string{"result"}),
		regDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: name("registration_duration_seconds"),
			Help:    "From the Registration Request to the Registration Complete.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		auths: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("authentications_total"),
			Help: "5G AKA rounds by result (success, failure, mac_failure, resync, error)."}, []string{"result"}),
		pduRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("pdu_session_requests_total"),
			Help: "PDU Session Establishment Requests by outcome at the AMF (forwarded, rejected, failed)."}, []string{"result"}),
		paging: prometheus.NewCounter(prometheus.CounterOpts{Name: name("paging_total"),
			Help: "Paging procedures started for CM-IDLE UEs."}),
		modifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("pdu_session_modifications_total"),
			Help: "PDU Session Resource Modify by outcome: requested (sent to the gNB), modified and failed (per session, " +
				"as the gNB answered), idle (refused for a CM-IDLE UE)."}, []string{"result"}),
		ngapMalformed: prometheus.NewCounter(prometheus.CounterOpts{Name: name("ngap_malformed_total"),
			Help: "NGAP PDUs that did not decode (answered with Error Indication)."}),
		ngapUnexpected: prometheus.NewCounter(prometheus.CounterOpts{Name: name("ngap_unexpected_total"),
			Help: "Well-formed NGAP PDUs the AMF does not handle, or for unknown UEs."}),
		nasMalformed: prometheus.NewCounter(prometheus.CounterOpts{Name: name("nas_malformed_total"),
			Help: "Uplink NAS PDUs that did not decode."}),
		nasMACFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: name("nas_mac_failures_total"),
			Help: "Uplink NAS PDUs whose integrity check failed (MAC or replay)."}),
		nasDiscarded: prometheus.NewCounter(prometheus.CounterOpts{Name: name("nas_discarded_total"),
			Help: "Uplink NAS messages discarded: not allowed without integrity, or unexpected in the UE's state."}),
	}
	n.m = m
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("registered_ues"),
			Help: "UEs in 5GMM-REGISTERED."}, func() float64 { return float64(n.stats.registered.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("connected_ues"),
			Help: "Registered UEs in CM-CONNECTED."}, func() float64 { return float64(n.stats.connected.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("connected_gnbs"),
			Help: "gNBs with a completed NG Setup."}, func() float64 { return float64(n.stats.gnbs.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("ngap_decoder_panics_total"),
			Help: "Inputs that made the NGAP decoder panic (recovered)."}, func() float64 { return float64(n2.DecoderPanics()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("nas_decoder_panics_total"),
			Help: "Inputs that made the NAS decoder panic (recovered)."}, func() float64 { return float64(nas5g.DecoderPanics()) }),
	}
	for _, r := range []string{modRequested, modModified, modFailed, modIdle} {
		m.modifications.WithLabelValues(r)
	}
	cs := append(m.sbi.Collectors(), m.registrations, m.regDuration, m.auths, m.pduRequests, m.paging, m.modifications,
		m.ngapMalformed, m.ngapUnexpected, m.nasMalformed, m.nasMACFailures, m.nasDiscarded)
	return nfkit.Register(n.ops.Registry(), append(cs, gauges...)...)
}
