package smf

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// metrics are the SMF's Prometheus series (corebox_smf_*). Labels stay
// bounded: results and reasons are fixed sets, UPFs and DNNs are config.
type metrics struct {
	sbi            *sbi.Metrics
	establishments *prometheus.CounterVec // result
	estDuration    prometheus.Histogram   // CreateSMContext until 201
	releases       *prometheus.CounterVec // reason
	selections     *prometheus.CounterVec // upf
	transfers      *prometheus.CounterVec // purpose, result
	reports        *prometheus.CounterVec // type
	updates        *prometheus.CounterVec // kind, result
	assocLosses    prometheus.Counter     //
	policyFallback *prometheus.CounterVec // reason
	malformed      prometheus.Counter     // N1/N2 payloads that did not decode
	usage          *prometheus.CounterVec // direction
	moves          *prometheus.CounterVec // result
}

func newMetrics(n *NF) (*metrics, error) {
	name := func(s string) string { return "corebox_smf_" + s }
	m := &metrics{
		sbi: sbi.NewMetrics("corebox_smf", n.log),
		establishments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("session_establishments_total"),
			Help: "CreateSMContext outcomes: accepted, or why rejected."}, []string{"result"}),
		estDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: name("session_establishment_duration_seconds"),
			Help:    "Time from CreateSMContext to its 201 (subscription, address, policy, PFCP).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		releases: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("session_releases_total"),
			Help: "Sessions released, by what started it."}, []string{"reason"}),
		selections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("upf_selections_total"),
			Help: "Sessions anchored on each UPF (N4 address)."}, []string{"upf"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("n1n2_transfers_total"),
			Help: "N1N2MessageTransfer requests to AMFs."}, []string{"purpose", "result"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("pfcp_session_reports_total"),
			Help: "PFCP Session Report Requests received, by report type."}, []string{"type"}),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("sm_context_updates_total"),
			Help: "UpdateSMContext requests, by what they carried and the outcome."}, []string{"kind", "result"}),
		assocLosses: prometheus.NewCounter(prometheus.CounterOpts{Name: name("pfcp_association_losses_total"),
			Help: "PFCP associations lost (heartbeats unanswered) or found restarted."}),
		policyFallback: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("policy_fallbacks_total"),
			Help: "Sessions whose QoS did not come from a PCF, and why."}, []string{"reason"}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{Name: name("malformed_messages_total"),
			Help: "N1 SM and N2 SM payloads that did not decode (the request got 400)."}),
		usage: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("usage_octets_total"),
			Help: "Volume the UPFs reported for released sessions (URR usage reports)."}, []string{"direction"}),
		moves: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name("session_moves_total"),
			Help: "Sessions moved off UPFs that left the NRF: moved, or why not."}, []string{"result"}),
	}
	stats := func() *pfcpStats { return n.pfcpStats() }
	cs := append(m.sbi.Collectors(),
		m.establishments, m.estDuration, m.releases, m.selections, m.transfers, m.reports, m.updates,
		m.assocLosses, m.policyFallback, m.malformed, m.usage, m.moves,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("sessions"), Help: "PDU sessions held."},
			func() float64 { return float64(n.store.count.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("pfcp_associations"), Help: "UPFs associated over N4."},
			func() float64 { return float64(n.upfs.associatedCount()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("pfcp_malformed_total"),
			Help: "PFCP datagrams dropped as undecodable."}, func() float64 { return float64(stats().malformed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("pfcp_retransmissions_total"),
			Help: "PFCP requests of ours sent again after T1."}, func() float64 { return float64(stats().retransmissions) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name("pfcp_timeouts_total"),
			Help: "PFCP requests of ours unanswered after N1 retransmissions."}, func() float64 { return float64(stats().timeouts) }),
	)
	for _, e := range n.dnns.entries {
		labels := prometheus.Labels{"dnn": e.name, "snssai": e.nas.String()}
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("pool_addresses_in_use"),
				Help: "UE addresses handed out from the DNN's pool.", ConstLabels: labels},
				func() float64 { return float64(e.pool.inUse.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name("pool_addresses"),
				Help: "Usable UE addresses in the slices given to UPFs so far.", ConstLabels: labels},
				func() float64 { return float64(e.pool.usable.Load()) }))
	}
	if err := nfkit.Register(n.ops.Registry(), cs...); err != nil {
		return nil, err
	}
	return m, nil
}

// pfcpStats is a snapshot of the PFCP node's counters (zero before Run).
type pfcpStats struct{ malformed, retransmissions, timeouts uint64 }

func (n *NF) pfcpStats() *pfcpStats {
	node := n.node.Load()
	if node == nil {
		return &pfcpStats{}
	}
	s := node.Stats()
	return &pfcpStats{malformed: s.Malformed.Load(), retransmissions: s.Retransmissions.Load(), timeouts: s.Timeouts.Load()}
}
