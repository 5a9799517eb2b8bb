package hss

import (
	"hash/fnv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// Labels of the HSS's own counters.
const (
	resyncOK         = "ok"
	resyncMACFailure = "mac_failure"

	clrOK     = "ok"
	clrFailed = "failed"
	clrNoPeer = "no_peer"
)

type metrics struct {
	diameter     *diameter.Metrics
	vectors      prometheus.Counter
	resyncs      *prometheus.CounterVec
	sqnConflicts prometheus.Counter
	cancels      *prometheus.CounterVec
}

func newMetrics(ops *nfkit.Ops, h *HSS) (*metrics, error) {
	m := &metrics{
		diameter: diameter.NewMetrics("corebox_hss"),
		vectors: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_hss_auth_vectors_total",
			Help: "E-UTRAN authentication vectors generated."}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_hss_resyncs_total",
			Help: "SQN resynchronisations asked for in AIR, by result (ok, mac_failure)."}, []string{"result"}),
		sqnConflicts: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_hss_sqn_conflicts_total",
			Help: "SQN claims retried because another HSS or UDM moved the SQN first."}),
		cancels: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_hss_cancel_location_total",
			Help: "Cancel-Location requests to a previous MME, by result (ok, failed, no_peer)."}, []string{"result"}),
	}
	registrations := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_hss_mme_registrations",
		Help: "IMSIs with a serving MME recorded (in memory)."}, func() float64 { return float64(h.mmes.count()) })
	for _, r := range []string{resyncOK, resyncMACFailure} {
		m.resyncs.WithLabelValues(r)
	}
	for _, r := range []string{clrOK, clrFailed, clrNoPeer} {
		m.cancels.WithLabelValues(r)
	}
	cs := append(m.diameter.Collectors(), m.vectors, m.resyncs, m.sqnConflicts, m.cancels, registrations)
	return m, nfkit.Register(ops.Registry(), cs...)
}

// stripes serialise the SQN work of one IMSI inside this HSS, so its own
// AIRs do not race each other on the UDR; across HSSs and UDMs the UDR's
// conditional update keeps SQNs unique.
type stripes [256]sync.Mutex

func (s *stripes) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key)) // hash writes never fail
	m := &s[h.Sum32()%uint32(len(s))]
	m.Lock()
	return m.Unlock
}
