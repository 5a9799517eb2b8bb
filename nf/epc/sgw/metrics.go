package sgw

import (
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/prometheus/client_golang/prometheus"
)

type direction uint8

const (
	dirUL direction = iota // S1-U to S5/S8-U
	dirDL                  // S5/S8-U to S1-U
)

var directionNames = [2]string{"uplink", "downlink"}

// dropReason labels corebox_sgw_dropped_packets_total.
type dropReason uint8

const (
	dropBufferFull      dropReason = iota // the bearer's idle buffer is full
	dropBufferDiscarded                   // buffered, then the bearer went or paging failed
	dropNoTunnel                          // uplink before the PGW's F-TEID is known
	dropTxError                           // the socket refused it
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{"buffer_full", "buffer_discarded", "no_tunnel", "tx_error"}

// Downlink Data Notification outcomes.
const (
	ddnSent = iota
	ddnAcked
	ddnFailed
	numDDN
)

var ddnNames = [numDDN]string{"sent", "acknowledged", "failed"}

type dirCounts struct{ rxPackets, rxBytes, txPackets, txBytes atomic.Uint64 }

func (c *dirCounts) rx(n int) { c.rxPackets.Add(1); c.rxBytes.Add(uint64(n)) }
func (c *dirCounts) tx(n int) { c.txPackets.Add(1); c.txBytes.Add(uint64(n)) }

// stats are the SGW's own counters; the GTP layers count theirs.
type stats struct {
	dir      [2]dirCounts
	drops    [numDropReasons]atomic.Uint64
	bearers  atomic.Int64
	buffered atomic.Int64
	ddn      [numDDN]atomic.Uint64

	created, deleted, createRejected   atomic.Uint64
	dedicatedCreated, dedicatedDeleted atomic.Uint64
}

func (s *stats) drop(r dropReason) { s.drops[r].Add(1) }

type collector struct {
	n                                            *NF
	sessions, bearers, buffered                  *prometheus.Desc
	created, deleted, rejected, dedicated, ddn   *prometheus.Desc
	rxPackets, rxBytes, txPackets, txBytes, drop *prometheus.Desc
	gtpuMalformed, gtpuUnknownTEID               *prometheus.Desc
	gtpc                                         *gtpv2c.Collector
}

func newCollector(n *NF) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("corebox_sgw_"+name, help, labels, nil)
	}
	return &collector{n: n,
		sessions:        d("sessions", "Sessions (PDN connections) held."),
		bearers:         d("bearers", "EPS bearers with tunnels installed."),
		buffered:        d("buffered_packets", "Downlink packets held for idle UEs."),
		created:         d("sessions_created_total", "Sessions created."),
		deleted:         d("sessions_deleted_total", "Sessions deleted."),
		rejected:        d("sessions_rejected_total", "Create Session Requests refused (here or by the PGW)."),
		dedicated:       d("dedicated_bearers_total", "Dedicated bearers created and deleted.", "result"),
		ddn:             d("downlink_data_notifications_total", "Downlink Data Notifications, by outcome.", "result"),
		rxPackets:       d("rx_packets_total", "G-PDUs received.", "direction"),
		rxBytes:         d("rx_bytes_total", "User octets received (G-PDU payloads).", "direction"),
		txPackets:       d("tx_packets_total", "G-PDUs relayed.", "direction"),
		txBytes:         d("tx_bytes_total", "User octets relayed.", "direction"),
		drop:            d("dropped_packets_total", "G-PDUs dropped, by reason.", "reason"),
		gtpuMalformed:   d("gtpu_malformed_total", "Malformed GTP-U datagrams dropped.", "interface"),
		gtpuUnknownTEID: d("gtpu_unknown_teid_total", "G-PDUs for TEIDs we do not hold.", "interface"),
		gtpc: gtpv2c.NewCollector(Kind, func() map[string]*gtpv2c.Conn {
			if n.bound.Load() == nil {
				return nil
			}
			return map[string]*gtpv2c.Conn{"s11": n.s11, "s5": n.s5c}
		}),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.bearers, c.buffered, c.created, c.deleted, c.rejected,
		c.dedicated, c.ddn, c.rxPackets, c.rxBytes, c.txPackets, c.txBytes, c.drop, c.gtpuMalformed, c.gtpuUnknownTEID} {
		ch <- d
	}
	c.gtpc.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	n, s := c.n, c.n.stats
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge(c.sessions, float64(n.Sessions()))
	gauge(c.bearers, float64(s.bearers.Load()))
	gauge(c.buffered, float64(s.buffered.Load()))
	counter(c.created, s.created.Load())
	counter(c.deleted, s.deleted.Load())
	counter(c.rejected, s.createRejected.Load())
	counter(c.dedicated, s.dedicatedCreated.Load(), "created")
	counter(c.dedicated, s.dedicatedDeleted.Load(), "deleted")
	for i := range s.ddn {
		counter(c.ddn, s.ddn[i].Load(), ddnNames[i])
	}
	for d := range s.dir {
		x := &s.dir[d]
		counter(c.rxPackets, x.rxPackets.Load(), directionNames[d])
		counter(c.rxBytes, x.rxBytes.Load(), directionNames[d])
		counter(c.txPackets, x.txPackets.Load(), directionNames[d])
		counter(c.txBytes, x.txBytes.Load(), directionNames[d])
	}
	for r := range s.drops {
		counter(c.drop, s.drops[r].Load(), dropReasonNames[r])
	}
	if n.bound.Load() != nil {
		for name, e := range map[string]*gtpu.Endpoint{"s1u": n.s1u, "s5u": n.s5u} {
			counter(c.gtpuMalformed, e.Stats().MalformedTotal(), name)
			counter(c.gtpuUnknownTEID, e.Stats().UnknownTEID.Load(), name)
		}
	}
	c.gtpc.Collect(ch)
}
