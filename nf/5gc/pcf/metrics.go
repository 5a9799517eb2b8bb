package pcf

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Operations and results, the labels of corebox_pcf_sm_policy_requests_total.
const (
	opCreate = "create"
	opGet    = "get"
	opUpdate = "update"
	opDelete = "delete"

	resultOK         = "ok"
	resultBadRequest = "bad_request" // undecodable or missing mandatory IEs
	resultNotFound   = "not_found"   // no such association
	resultDenied     = "denied"      // no policy for the DNN
	resultRefused    = "refused"     // draining, or max_policies reached
)

type metrics struct {
	sbi      *sbi.Metrics
	requests *prometheus.CounterVec
}

func newMetrics(ops *nfkit.Ops, log *slog.Logger, s *store) (*metrics, error) {
	m := &metrics{
		sbi: sbi.NewMetrics("corebox_pcf", log),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_pcf_sm_policy_requests_total",
			Help: "Npcf_SMPolicyControl requests by operation (create, get, update, delete) and result " +
				"(ok, bad_request, not_found, denied, refused)."}, []string{"op", "result"}),
	}
	held := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_pcf_sm_policies",
		Help: "SM policy associations held."}, func() float64 { return float64(s.len()) })
	cs := append(m.sbi.Collectors(), m.requests, held)
	return m, nfkit.Register(ops.Registry(), cs...)
}

func (m *metrics) count(op, result string) { m.requests.WithLabelValues(op, result).Inc() }

// Counter is the count of op requests with result (tests, dashboards).
func (n *NF) Counter(op, result string) prometheus.Counter {
	return n.metrics.requests.WithLabelValues(op, result)
}

// SBIMetrics are the SBI request counters.
func (n *NF) SBIMetrics() *sbi.Metrics { return n.metrics.sbi }
