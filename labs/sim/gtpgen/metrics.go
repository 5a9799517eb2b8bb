package gtpgen

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
)

// metrics are gtpgen's counters, per flow (uplink, downlink) where that
// applies; the children are resolved once so the data path never looks
// labels up.
type metrics struct {
	sent, sentBytes, received, receivedBytes [2]prometheus.Counter
	lost, duplicates, outOfOrder, sendErrors [2]prometheus.Counter
	dropped                                  [len(dropReasons)]prometheus.Counter
	runs                                     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, g *Generator) (*metrics, error) {
	byFlow := func(name, help string) (*prometheus.CounterVec, [2]prometheus.Counter) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_gtpgen_" + name, Help: help}, []string{"direction"})
		return v, [2]prometheus.Counter{v.WithLabelValues(flowNames[0]), v.WithLabelValues(flowNames[1])}
	}
	m := &metrics{}
	var vecs []prometheus.Collector
	for _, c := range []struct {
		name, help string
		into       *[2]prometheus.Counter
	}{
		{"sent_packets_total", "Packets sent: uplink G-PDUs on N3, downlink datagrams on N6.", &m.sent},
		{"sent_bytes_total", "IP octets of those packets (inner packets for uplink).", &m.sentBytes},
		{"received_packets_total", "Distinct packets of a run received back (uplink on N6, downlink on N3).", &m.received},
		{"received_bytes_total", "IP octets of those packets.", &m.receivedBytes},
		{"lost_packets_total", "Packets sent and not received by the end of their run's drain.", &m.lost},
		{"duplicate_packets_total", "Packets received more than once.", &m.duplicates},
		{"out_of_order_packets_total", "Packets received after a later one of their session.", &m.outOfOrder},
		{"send_errors_total", "Packets the socket refused.", &m.sendErrors},
	} {
		v, children := byFlow(c.name, c.help)
		*c.into = children
		vecs = append(vecs, v)
	}
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_gtpgen_dropped_packets_total",
		Help: "Received packets dropped, by reason: malformed_* (undecodable), not_gpdu, unknown_session, mismatch, other_run (no run in progress, or an earlier one)."},
		[]string{"reason"})
	for i, r := range dropReasons {
		m.dropped[i] = dropped.WithLabelValues(r.label)
	}
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_gtpgen_runs_total",
		Help: "Runs finished, by result (ok, failed)."}, []string{"result"})
	m.runs.WithLabelValues("ok")
	m.runs.WithLabelValues("failed")
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_gtpgen_" + name, Help: help}, f)
	}
	vecs = append(vecs, dropped, m.runs,
		gauge("sessions", "Sessions installed on the UPF now.", func() float64 { return float64(g.Sessions()) }),
		gauge("running", "1 while a run is in progress.", func() float64 { return b2f(g.busy.Load()) }),
		gauge("upf_associated", "1 while the PFCP association with the UPF is up.", func() float64 {
			ok, _ := g.Ready()
			return b2f(ok)
		}),
	)
	return m, nfkit.Register(reg, vecs...)
}

// count adds one receive batch.
func (m *metrics) count(flow int, c *batchCount) {
	if c.packets > 0 {
		m.received[flow].Add(float64(c.packets))
		m.receivedBytes[flow].Add(float64(c.bytes))
	}
	for i, n := range c.drops {
		if n > 0 {
			m.dropped[i].Add(float64(n))
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
