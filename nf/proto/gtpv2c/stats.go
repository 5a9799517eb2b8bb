package gtpv2c

import (
	"sort"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats are a Conn's counters; they only grow. Every received datagram
// lands in exactly one of Malformed, Unsupported, EchoRequests,
// RxRequests, DuplicateRequests, Overload, RxResponses and
// UnmatchedResponses.
type Stats struct {
	RxMessages atomic.Uint64 // datagrams received, well-formed or not
	RxErrors   atomic.Uint64 // socket read errors
	TxMessages atomic.Uint64 // datagrams sent, retransmissions included
	TxErrors   atomic.Uint64 // sends the socket refused

	Malformed          atomic.Uint64 // undecodable, dropped
	Unsupported        atomic.Uint64 // well-formed but not handled (type, version, piggyback)
	EchoRequests       atomic.Uint64 // answered by the Conn itself
	RxRequests         atomic.Uint64 // handed to the Handler
	DuplicateRequests  atomic.Uint64 // retransmissions answered from the cache (or ignored while in progress)
	Overload           atomic.Uint64 // requests dropped over MaxInFlight
	RxResponses        atomic.Uint64 // matched to one of our requests
	UnmatchedResponses atomic.Uint64 // responses nobody waits for

	Retransmissions atomic.Uint64 // our requests sent again after T3
	Timeouts        atomic.Uint64 // our requests given up after N3
}

// Collector exports the counters of an NF's Conns, labelled by interface
// name (s11, s5 ...), as corebox_<kind>_gtpc_* metrics.
type Collector struct {
	conns                                   func() map[string]*Conn
	rx, tx, txErr, dropped, requests, resps *prometheus.Desc
	retrans, timeouts                       *prometheus.Desc
}

// NewCollector builds the collector; conns returns the Conns by interface
// name when collected (nil Conns, not yet bound, export nothing).
func NewCollector(kind string, conns func() map[string]*Conn) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("corebox_"+kind+"_gtpc_"+name, help, append([]string{"interface"}, labels...), nil)
	}
	c := &Collector{conns: conns,
		rx:       d("rx_messages_total", "GTPv2-C datagrams received."),
		tx:       d("tx_messages_total", "GTPv2-C datagrams sent, retransmissions included."),
		txErr:    d("tx_errors_total", "GTPv2-C sends the socket refused."),
		dropped:  d("dropped_messages_total", "GTPv2-C messages received and dropped, by reason.", "reason"),
		requests: d("rx_requests_total", "GTPv2-C requests handled (Echo included)."),
		resps:    d("rx_responses_total", "GTPv2-C responses matched to our requests."),
		retrans:  d("retransmissions_total", "Our GTPv2-C requests sent again after T3."),
		timeouts: d("timeouts_total", "Our GTPv2-C requests unanswered after N3 retransmissions."),
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rx, c.tx, c.txErr, c.dropped, c.requests, c.resps, c.retrans, c.timeouts} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	conns := c.conns()
	names := make([]string, 0, len(conns))
	for n := range conns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		conn := conns[name]
		if conn == nil {
			continue
		}
		s := &conn.stats
		counter := func(d *prometheus.Desc, v uint64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{name}, labels...)...)
		}
		counter(c.rx, s.RxMessages.Load())
		counter(c.tx, s.TxMessages.Load())
		counter(c.txErr, s.TxErrors.Load())
		counter(c.dropped, s.Malformed.Load(), "malformed")
		counter(c.dropped, s.Unsupported.Load(), "unsupported")
		counter(c.dropped, s.DuplicateRequests.Load(), "duplicate")
		counter(c.dropped, s.Overload.Load(), "overload")
		counter(c.dropped, s.UnmatchedResponses.Load(), "unmatched_response")
		counter(c.requests, s.RxRequests.Load()+s.EchoRequests.Load())
		counter(c.resps, s.RxResponses.Load())
		counter(c.retrans, s.Retransmissions.Load())
		counter(c.timeouts, s.Timeouts.Load())
	}
}
