package upf

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// direction is uplink (from the access side) or downlink (from N6).
type direction uint8

const (
	dirUL direction = iota
	dirDL
)

var directionNames = [2]string{"uplink", "downlink"}

// dropReason says why the data path dropped a packet; the label of
// corebox_upf_dropped_packets_total.
type dropReason uint8

const (
	dropNone            dropReason = iota
	dropUnknownTEID                // G-PDU for a TEID we never allocated (counted by the endpoint)
	dropMalformed                  // undecodable GTP-U, or an inner packet that is not IP
	dropNoPDR                      // no PDR matches (unknown UE address, QFI, or IPv6)
	dropQERGate                    // a QER's gate is closed
	dropMBR                        // over a QER's maximum bit rate
	dropBufferFull                 // the session's downlink buffer is full
	dropFAR                        // the FAR drops (or cannot forward)
	dropBufferDiscarded            // buffered, then the session or rule went away
	dropTxError                    // the outgoing socket or device refused it
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{
	dropUnknownTEID:     "unknown_teid",
	dropMalformed:       "malformed",
	dropNoPDR:           "no_pdr",
	dropQERGate:         "qer_gate",
	dropMBR:             "mbr",
	dropBufferFull:      "buffer_full",
	dropFAR:             "far_drop",
	dropBufferDiscarded: "buffer_discarded",
	dropTxError:         "tx_error",
}

// dirCounts are one direction's packet counters.
type dirCounts struct {
	rxPackets, rxBytes, txPackets, txBytes atomic.Uint64
}

// laneStats are the counters of one lane of the data path (a read loop,
// or the control lane). Each lane writes only its own, padded off its
// neighbours' cache lines, so the cores never contend for a counter; the
// collector adds the lanes up.
type laneStats struct {
	_     [64]byte
	dir   [2]dirCounts
	drops [numDropReasons]atomic.Uint64
	_     [64]byte
}

func (l *laneStats) drop(r dropReason) { l.drops[r].Add(1) }

// stats are the data path's and the session handler's counters. Byte
// counts are of the inner (user) IP packets.
type stats struct {
	lanes         []*laneStats // fixed by New
	buffered      atomic.Int64
	established   atomic.Uint64
	deleted       atomic.Uint64
	reportsOK     atomic.Uint64
	reportsFailed atomic.Uint64
	errIndRx      atomic.Uint64
	associations  atomic.Int64
}

func newStats(lanes int) *stats {
	s := &stats{lanes: make([]*laneStats, lanes)}
	for i := range s.lanes {
		s.lanes[i] = new(laneStats)
	}
	return s
}

// totals adds up the lanes.
func (s *stats) totals() (dir [2][4]uint64, drops [numDropReasons]uint64) {
	for _, l := range s.lanes {
		for d := range l.dir {
			c := &l.dir[d]
			dir[d][0] += c.rxPackets.Load()
			dir[d][1] += c.rxBytes.Load()
			dir[d][2] += c.txPackets.Load()
			dir[d][3] += c.txBytes.Load()
		}
		for r := range l.drops {
			drops[r] += l.drops[r].Load()
		}
	}
	return dir, drops
}

// endpointCounts are what the GTP-U endpoint counts on our behalf.
type endpointCounts struct {
	unknownTEID, malformed, errIndSent uint64
}

// collector exports stats as Prometheus metrics.
type collector struct {
	n                                                   *NF
	sessions, buffered, associations, workers, bps      *prometheus.Desc
	rxPackets, rxBytes, txPackets, txBytes, dropped     *prometheus.Desc
	established, deleted, reports, errIndSent, errIndRx *prometheus.Desc
}

func newCollector(n *NF) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("corebox_upf_"+name, help, labels, nil)
	}
	return &collector{n: n,
		sessions:     d("sessions", "PFCP sessions installed."),
		buffered:     d("buffered_packets", "Downlink packets buffered for idle UEs."),
		associations: d("pfcp_associations", "PFCP associations with SMFs."),
		workers:      d("workers", "Data-path workers: N3 read loops, and as many N6 (TUN) queues."),
		bps:          d("throughput_bits_per_second", "User-plane bits received per second, both directions, over the last 5 s (for autoscaling)."),
		rxPackets:    d("rx_packets_total", "User packets received: uplink on N3 (known TEIDs), downlink on N6.", "direction"),
		rxBytes:      d("rx_bytes_total", "Octets of the user packets received (inner IP packets).", "direction"),
		txPackets:    d("tx_packets_total", "User packets sent: uplink toward N6, downlink on N3.", "direction"),
		txBytes:      d("tx_bytes_total", "Octets of the user packets sent (inner IP packets).", "direction"),
		dropped:      d("dropped_packets_total", "Packets dropped, by reason.", "reason"),
		established:  d("pfcp_sessions_established_total", "PFCP sessions established."),
		deleted:      d("pfcp_sessions_deleted_total", "PFCP sessions deleted."),
		reports:      d("session_reports_total", "Session Report Requests (downlink data) by result: accepted or failed.", "result"),
		errIndSent:   d("error_indications_sent_total", "GTP-U Error Indications sent for unknown TEIDs."),
		errIndRx:     d("error_indications_received_total", "GTP-U Error Indications received from gNBs."),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.buffered, c.associations, c.workers, c.bps, c.rxPackets, c.rxBytes,
		c.txPackets, c.txBytes, c.dropped, c.established, c.deleted, c.reports, c.errIndSent, c.errIndRx} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.n.stats
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.sessions, float64(c.n.Sessions()))
	gauge(c.buffered, float64(s.buffered.Load()))
	gauge(c.associations, float64(s.associations.Load()))
	gauge(c.workers, float64(c.n.workers))
	gauge(c.bps, c.n.throughput.bitsPerSecond())
	dir, drops := s.totals()
	for i, d := range dir {
		name := directionNames[i]
		counter(c.rxPackets, d[0], name)
		counter(c.rxBytes, d[1], name)
		counter(c.txPackets, d[2], name)
		counter(c.txBytes, d[3], name)
	}
	ep := c.n.endpointCounts()
	for r := dropUnknownTEID; r < numDropReasons; r++ {
		v := drops[r]
		switch r {
		case dropUnknownTEID:
			v += ep.unknownTEID
		case dropMalformed:
			v += ep.malformed
		}
		counter(c.dropped, v, dropReasonNames[r])
	}
	counter(c.established, s.established.Load())
	counter(c.deleted, s.deleted.Load())
	counter(c.reports, s.reportsOK.Load(), "accepted")
	counter(c.reports, s.reportsFailed.Load(), "failed")
	counter(c.errIndSent, ep.errIndSent)
	counter(c.errIndRx, s.errIndRx.Load())
}
