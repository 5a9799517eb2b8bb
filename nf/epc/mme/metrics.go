package mme

import (
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// Labels of corebox_mme_attaches_total.
const (
	attachAccepted     = "accepted"      // Attach Complete received
	attachRejected     = "rejected"      // Attach Reject sent
	attachAuthRejected = "auth_rejected" // Authentication Reject sent
	attachFailed       = "failed"        // timer expiry, peer failure, lost connection
)

// Labels of corebox_mme_authentications_total.
const (
	authSuccess = "success"
	authFailure = "failure" // RES mismatch, or the UE refused for a cause other than MAC/synch
	authMAC     = "mac_failure"
	authResync  = "resync"
	authError   = "error" // HSS unreachable or refusing
)

// Interfaces of the message and malformed counters.
const (
	ifS1AP = "s1ap"
	ifNAS  = "nas"
	ifS6a  = "s6a"
	ifS11  = "s11"
)

// Directions of corebox_mme_messages_total.
const (
	dirRx = "rx"
	dirTx = "tx"
)

type metrics struct {
	attaches        *prometheus.CounterVec
	attachDuration  prometheus.Histogram
	auths           *prometheus.CounterVec
	messages        *prometheus.CounterVec
	s1Setups        *prometheus.CounterVec
	paging          prometheus.Counter
	retransmissions *prometheus.CounterVec
	timerExpiries   *prometheus.CounterVec
	nasMACFailures  prometheus.Counter
	nasDiscarded    prometheus.Counter
	diameter        *diameter.Metrics
	malformed       malformedCounts
}

// malformedCounts are the inputs dropped as malformed, per interface;
// s11 counts requests whose IEs make no sense (the gtpv2c.Conn counts
// those that do not decode).
type malformedCounts struct {
	s1ap, nas, s6a, s11 atomic.Uint64
}

func (m *MME) registerMetrics() error {
	name := func(s string) string { return "corebox_mme_" + s }
	mt := &metrics{
		attaches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("attaches_total"),
			Help: "Attach procedures by result (accepted, rejected, auth_rejected, failed)."}, []string{"result"}),
		attachDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: name("attach_duration_seconds"),
			Help:    "From the Attach Request to the Attach Complete.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		auths: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("authentications_total"),
			Help: "EPS-AKA rounds by result (success, failure, mac_failure, resync, error)."}, []string{"result"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("messages_total"),
			Help: "Messages by interface (s1ap, nas, s6a, s11), direction (rx, tx) and type."},
			[]string{"interface", "direction", "type"}),
		s1Setups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("s1_setups_total"),
			Help: "S1 Setup procedures by result (accepted, rejected)."}, []string{"result"}),
		paging: prometheus.NewCounter(prometheus.CounterOpts{Name: name("paging_total"),
			Help: "Paging procedures started for ECM-IDLE UEs."}),
		retransmissions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("nas_retransmissions_total"),
			Help: "NAS messages sent again on timer expiry, by timer."}, []string{"timer"}),
		timerExpiries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("nas_timer_expiries_total"),
			Help: "NAS procedures abandoned after the last retransmission, by timer."}, []string{"timer"}),
		nasMACFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: name("nas_mac_failures_total"),
			Help: "Uplink NAS PDUs whose integrity check failed (MAC or replay)."}),
		nasDiscarded: prometheus.NewCounter(prometheus.CounterOpts{Name: name("nas_discarded_total"),
			Help: "Uplink NAS messages discarded: not allowed without integrity, or unexpected in the UE's state."}),
		diameter: diameter.NewMetrics("corebox_mme"),
	}
	m.m = mt
	for _, r := range []string{attachAccepted, attachRejected, attachAuthRejected, attachFailed} {
		mt.attaches.WithLabelValues(r)
	}
	cs := []prometheus.Collector{mt.attaches, mt.attachDuration, mt.auths, mt.messages, mt.s1Setups, mt.paging,
		mt.retransmissions, mt.timerExpiries, mt.nasMACFailures, mt.nasDiscarded, &malformedCollector{m: m},
		gtpv2c.NewCollector(Kind, func() map[string]*gtpv2c.Conn { return map[string]*gtpv2c.Conn{ifS11: m.s11.Load()} })}
	cs = append(cs, mt.diameter.Collectors()...)
	cs = append(cs, m.gauges(name)...)
	return nfkit.Register(m.ops.Registry(), cs...)
}

func (m *MME) gauges(name func(string) string) []prometheus.Collector {
	var cs []prometheus.Collector
	for b, state := range bucketNames {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("ues"),
			Help:        "UE contexts by state (deregistered, attaching, idle, connected).",
			ConstLabels: prometheus.Labels{"state": state}}, func() float64 { return float64(m.stats.count(b)) }))
	}
	return append(cs,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("connected_enbs"),
			Help: "eNBs with a completed S1 Setup."}, func() float64 { return float64(m.stats.enbs.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("pdn_connections"),
			Help: "PDN connections (sessions at an SGW) held."}, func() float64 { return float64(m.stats.pdns.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("s1ap_decoder_panics_total"),
			Help: "Inputs that made the S1AP decoder panic (recovered)."}, func() float64 { return float64(s1ap.DecoderPanics()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("diameter_decoder_panics_total"),
			Help: "Inputs that made the Diameter decoder panic (recovered)."}, func() float64 { return float64(diameter.DecodePanics()) }),
	)
}

// malformedCollector exports corebox_mme_malformed_total{interface}: the
// inputs dropped as malformed on S1-MME, NAS, S6a and S11.
type malformedCollector struct{ m *MME }

var malformedDesc = prometheus.NewDesc("corebox_mme_malformed_total",
	"Inputs dropped as malformed, by interface (s1ap, nas, s6a, s11).", []string{"interface"}, nil)

func (c *malformedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- malformedDesc }

func (c *malformedCollector) Collect(ch chan<- prometheus.Metric) {
	mc := &c.m.m.malformed
	s11 := mc.s11.Load()
	if conn := c.m.s11.Load(); conn != nil {
		s11 += conn.Stats().Malformed.Load()
	}
	for _, v := range []struct {
		name string
		n    uint64
	}{{ifS1AP, mc.s1ap.Load()}, {ifNAS, mc.nas.Load()}, {ifS6a, mc.s6a.Load()}, {ifS11, s11}} {
		ch <- prometheus.MustNewConstMetric(malformedDesc, prometheus.CounterValue, float64(v.n), v.name)
	}
}

// s6aObserver feeds the Diameter layer's events to our metrics.
func (mt *metrics) s6aObserver() diameter.Observer { return s6aObserver{mt} }

type s6aObserver struct{ mt *metrics }

// Answered names the request answered (CLR); the message sent is its
// answer (CLA).
func (o s6aObserver) Answered(cmd string, r diameter.Result) {
	o.mt.diameter.Answered(cmd, r)
	if base, ok := strings.CutSuffix(cmd, "R"); ok {
		o.mt.messages.WithLabelValues(ifS6a, dirTx, base+"A").Inc()
	}
}

func (o s6aObserver) Malformed(reason string) {
	o.mt.diameter.Malformed(reason)
	o.mt.malformed.s6a.Add(1)
}

func (o s6aObserver) PeerUp(host string)   { o.mt.diameter.PeerUp(host) }
func (o s6aObserver) PeerDown(host string) { o.mt.diameter.PeerDown(host) }

// countMsg counts a message on an interface.
func (m *MME) countMsg(iface, dir, typ string) { m.m.messages.WithLabelValues(iface, dir, typ).Inc() }
