package udm

import (
	"hash/fnv"
	"log/slog"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// Results of generate-auth-data, the label of corebox_udm_auth_vectors_total.
const (
	resultOK           = "ok"
	resultResync       = "resync"
	resultUserNotFound = "user_not_found"
	resultRejected     = "rejected"
	resultBadRequest   = "bad_request"
	resultError        = "error"
)

type metrics struct {
	sbi          *sbi.Metrics
	vectors      *prometheus.CounterVec
	sqnConflicts prometheus.Counter
	deconceal    *prometheus.CounterVec
}

func newMetrics(ops *nfkit.Ops, log *slog.Logger) (*metrics, error) {
	m := &metrics{
		sbi: sbi.NewMetrics("corebox_udm", log),
		vectors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_udm_auth_vectors_total",
			Help: "generate-auth-data requests by result (ok, resync, user_not_found, rejected, bad_request, error)."},
			[]string{"result"}),
		sqnConflicts: prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_udm_sqn_conflicts_total",
			Help: "SQN updates retried because another UDM moved the SQN first."}),
		deconceal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_udm_suci_deconcealed_total",
			Help: "SUCIs handled by protection scheme (null, profile_a, profile_b, other) and result (ok, failed)."},
			[]string{"scheme", "result"}),
	}
	cs := append(m.sbi.Collectors(), m.vectors, m.sqnConflicts, m.deconceal)
	return m, nfkit.Register(ops.Registry(), cs...)
}

// stripes serialise the SQN work of one SUPI inside this UDM, so its own
// requests do not race each other on the UDR; across UDMs the UDR's
// conditional patch keeps SQNs unique.
type stripes [256]sync.Mutex

func (s *stripes) lock(supi string) func() {
	h := fnv.New32a()
	h.Write([]byte(supi))
	m := &s[h.Sum32()%uint32(len(s))]
	m.Lock()
	return m.Unlock
}

func (n *NF) sbiHandler() http.Handler {
	mux := http.NewServeMux()
	route := func(service, pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, n.metrics.sbi.Wrap(service, n.gate.Wrap(f)))
	}
	route("nudm-ueau", "POST "+pathGenerateAuthData, n.generateAuthData)
	route("nudm-sdm", "GET "+pathAMData, n.getAMData)
	route("nudm-sdm", "GET "+pathSMFSelect, n.getSMFSelect)
	route("nudm-sdm", "GET "+pathSMData, n.getSMData)
	route("nudm-uecm", "PUT "+pathAMF3GPP, n.putAMF3GPP)
	route("nudm-uecm", "GET "+pathAMF3GPP, n.getAMF3GPP)
	mux.Handle("/", n.metrics.sbi.Wrap("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, "no resource "+r.URL.Path)
	})))
	return mux
}

func (n *NF) opsRoutes() {
	n.ops.Handle("GET /suci-keys", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		nfkit.WriteJSON(w, http.StatusOK, n.suci.public())
	}))
}
