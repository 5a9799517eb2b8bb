package diameter

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a message counts as malformed (the label of the malformed
// counter).
const (
	ReasonFraming    = "framing"     // bad header: the connection is closed
	ReasonDecode     = "decode"      // a body that did not decode
	ReasonMissingAVP = "missing_avp" // a mandatory AVP absent
	ReasonInvalidAVP = "invalid_avp" // an AVP of the wrong type, length or value
)

// Observer learns what the Diameter layer does; Metrics implements it.
// Calls come from many goroutines.
type Observer interface {
	// Answered: we answered a request of command (e.g. "AIR") with result.
	Answered(command string, result Result)
	// Malformed: a message was dropped or refused as malformed.
	Malformed(reason string)
	// PeerUp and PeerDown: a peer exchanged capabilities, then left.
	PeerUp(originHost string)
	PeerDown(originHost string)
}

// NopObserver ignores everything.
type NopObserver struct{}

func (NopObserver) Answered(string, Result) {}
func (NopObserver) Malformed(string)        {}
func (NopObserver) PeerUp(string)           {}
func (NopObserver) PeerDown(string)         {}

// Metrics counts for Prometheus what an NF's Diameter layer does:
//
//	<prefix>_diameter_requests_total{command,result}  requests answered
//	<prefix>_diameter_malformed_total{reason}          messages refused as malformed
//	<prefix>_diameter_peers                            peers with capabilities exchanged
//
// result is the Result-Code, or "exp-" and the Experimental-Result-Code.
type Metrics struct {
	requests  *prometheus.CounterVec
	malformed *prometheus.CounterVec
	peers     prometheus.Gauge
}

// NewMetrics names its metrics after prefix (such as "corebox_hss").
func NewMetrics(prefix string) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "_diameter_requests_total",
			Help: "Diameter requests answered, by command (AIR, ULR ...) and result code (exp- for Experimental-Result)."},
			[]string{"command", "result"}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "_diameter_malformed_total",
			Help: "Diameter messages refused as malformed, by reason (framing, decode, missing_avp, invalid_avp)."},
			[]string{"reason"}),
		peers: prometheus.NewGauge(prometheus.GaugeOpts{Name: prefix + "_diameter_peers",
			Help: "Diameter peers connected with capabilities exchanged."}),
	}
	for _, r := range []string{ReasonFraming, ReasonDecode, ReasonMissingAVP, ReasonInvalidAVP} {
		m.malformed.WithLabelValues(r) // present at zero, so rates start at once
	}
	return m
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.malformed, m.peers}
}

// RequestCounter is the count of one command and result label pair.
func (m *Metrics) RequestCounter(command string, r Result) prometheus.Counter {
	return m.requests.WithLabelValues(command, resultLabel(r))
}

// MalformedCounter is the count of one reason.
func (m *Metrics) MalformedCounter(reason string) prometheus.Counter {
	return m.malformed.WithLabelValues(reason)
}

func (m *Metrics) Answered(command string, r Result) { m.RequestCounter(command, r).Inc() }
func (m *Metrics) Malformed(reason string)           { m.MalformedCounter(reason).Inc() }
func (m *Metrics) PeerUp(string)                     { m.peers.Inc() }
func (m *Metrics) PeerDown(string)                   { m.peers.Dec() }

func resultLabel(r Result) string {
	s := strconv.FormatUint(uint64(r.Code), 10)
	if r.Experimental {
		return "exp-" + s
	}
	return s
}
