package pgw

import (
	"strconv"
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
	"github.com/prometheus/client_golang/prometheus"
)

type direction uint8

const (
	dirUL direction = iota
	dirDL
)

var directionNames = [2]string{"uplink", "downlink"}

// dropReason labels corebox_pgw_dropped_packets_total.
type dropReason uint8

const (
	dropMalformed dropReason = iota // inner packet is not IP
	dropSpoofed                     // uplink source is not the UE's address
	dropUnknownUE                   // downlink to no session (or IPv6)
	dropTxError                     // socket or device refused it
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{"malformed", "spoofed_source", "unknown_ue", "tx_error"}

type dirCounts struct{ rxPackets, rxBytes, txPackets, txBytes atomic.Uint64 }

func (c *dirCounts) rx(n int) { c.rxPackets.Add(1); c.rxBytes.Add(uint64(n)) }
func (c *dirCounts) tx(n int) { c.txPackets.Add(1); c.txBytes.Add(uint64(n)) }

// stats are the PGW's own counters (the GTP-C and GTP-U layers count
// theirs). Byte counts are of the inner IP packets.
type stats struct {
	dir     [2]dirCounts
	drops   [numDropReasons]atomic.Uint64
	bearers atomic.Int64

	created, deleted atomic.Uint64
	rejected         [256]atomic.Uint64 // Create Session rejections by cause
	bearersCreated   atomic.Uint64
	bearersFailed    atomic.Uint64
	bearersDeleted   atomic.Uint64
	policyFailures   atomic.Uint64
}

func (s *stats) drop(r dropReason) { s.drops[r].Add(1) }

// collector exports the PGW's metrics.
type collector struct {
	n                                            *NF
	sessions, poolUsed, poolSize, bearers        *prometheus.Desc
	created, deleted, rejected                   *prometheus.Desc
	bearerOps, policyFail                        *prometheus.Desc
	rxPackets, rxBytes, txPackets, txBytes, drop *prometheus.Desc
	gtpuMalformed, gtpuUnknownTEID               *prometheus.Desc
	gtpc                                         *gtpv2c.Collector
}

func newCollector(n *NF) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("corebox_pgw_"+name, help, labels, nil)
	}
	return &collector{n: n,
		sessions:        d("sessions", "PDN connections held.", "apn"),
		poolUsed:        d("ue_addresses_in_use", "UE addresses handed out.", "apn"),
		poolSize:        d("ue_addresses", "UE addresses this PGW may hand out.", "apn"),
		bearers:         d("bearers", "EPS bearers held, default and dedicated."),
		created:         d("sessions_created_total", "PDN connections created."),
		deleted:         d("sessions_deleted_total", "PDN connections deleted."),
		rejected:        d("sessions_rejected_total", "Create Session Requests refused, by GTPv2 cause.", "cause"),
		bearerOps:       d("dedicated_bearers_total", "Dedicated bearer procedures, by outcome.", "result"),
		policyFail:      d("policy_failures_total", "Policy (Gx) requests that failed."),
		rxPackets:       d("rx_packets_total", "User packets received.", "direction"),
		rxBytes:         d("rx_bytes_total", "User octets received (inner IP).", "direction"),
		txPackets:       d("tx_packets_total", "User packets forwarded.", "direction"),
		txBytes:         d("tx_bytes_total", "User octets forwarded (inner IP).", "direction"),
		drop:            d("dropped_packets_total", "User packets dropped, by reason.", "reason"),
		gtpuMalformed:   d("gtpu_malformed_total", "Malformed GTP-U datagrams dropped on S5/S8-U."),
		gtpuUnknownTEID: d("gtpu_unknown_teid_total", "G-PDUs for TEIDs we do not hold."),
		gtpc: gtpv2c.NewCollector(Kind, func() map[string]*gtpv2c.Conn {
			if n.bound.Load() == nil {
				return nil
			}
			return map[string]*gtpv2c.Conn{"s5": n.gtpc}
		}),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.poolUsed, c.poolSize, c.bearers, c.created, c.deleted,
		c.rejected, c.bearerOps, c.policyFail, c.rxPackets, c.rxBytes, c.txPackets, c.txBytes, c.drop,
		c.gtpuMalformed, c.gtpuUnknownTEID} {
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
	for _, a := range n.apns {
		gauge(c.sessions, float64(a.sessions.Load()), a.name())
		gauge(c.poolUsed, float64(a.pool.inUse()), a.name())
		gauge(c.poolSize, float64(a.pool.size-2), a.name())
	}
	gauge(c.bearers, float64(s.bearers.Load()))
	counter(c.created, s.created.Load())
	counter(c.deleted, s.deleted.Load())
	for cause := range s.rejected {
		if v := s.rejected[cause].Load(); v > 0 {
			counter(c.rejected, v, causeLabel(uint8(cause)))
		}
	}
	counter(c.bearerOps, s.bearersCreated.Load(), "created")
	counter(c.bearerOps, s.bearersFailed.Load(), "failed")
	counter(c.bearerOps, s.bearersDeleted.Load(), "deleted")
	counter(c.policyFail, s.policyFailures.Load())
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
		st := n.gtpu.Stats()
		counter(c.gtpuMalformed, st.MalformedTotal())
		counter(c.gtpuUnknownTEID, st.UnknownTEID.Load())
	}
	c.gtpc.Collect(ch)
}

func causeLabel(c uint8) string { return strconv.Itoa(int(c)) }
