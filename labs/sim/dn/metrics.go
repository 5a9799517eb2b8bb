package dn

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/nf/nfkit"
)

// metrics are the dn's counters. TCP is a byte stream whose segments the
// kernel makes, so packet counts are UDP only (proto="udp").
type metrics struct {
	rxPackets, txPackets *prometheus.CounterVec
	rxBytes, txBytes     *prometheus.CounterVec
	errors               *prometheus.CounterVec
	conns, rejected      prometheus.Counter
	idleTimeouts         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, open *connSet) (*metrics, error) {
	byProto := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_dn_" + name, Help: help}, []string{"proto"})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_dn_" + name, Help: help})
	}
	m := &metrics{
		rxPackets:    byProto("rx_packets_total", "Datagrams received (UDP)."),
		txPackets:    byProto("tx_packets_total", "Datagrams echoed (UDP)."),
		rxBytes:      byProto("rx_bytes_total", "Payload bytes received."),
		txBytes:      byProto("tx_bytes_total", "Payload bytes echoed."),
		errors:       byProto("errors_total", "Socket read/write/accept errors."),
		conns:        counter("tcp_connections_total", "TCP connections accepted."),
		rejected:     counter("tcp_rejected_connections_total", "TCP connections closed on accept: over max_tcp_conns or draining."),
		idleTimeouts: counter("tcp_idle_timeouts_total", "TCP connections closed for idleness."),
	}
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_dn_tcp_open_connections",
		Help: "TCP connections open now."}, func() float64 { return float64(open.len()) })
	// Both protos appear from the start, so rates work before the first packet.
	for _, p := range []string{"udp", "tcp"} {
		m.rxBytes.WithLabelValues(p)
		m.txBytes.WithLabelValues(p)
		m.errors.WithLabelValues(p)
	}
	m.rxPackets.WithLabelValues("udp")
	m.txPackets.WithLabelValues("udp")
	err := nfkit.Register(reg, m.rxPackets, m.txPackets, m.rxBytes, m.txBytes, m.errors,
		m.conns, m.rejected, m.idleTimeouts, active)
	return m, err
}
