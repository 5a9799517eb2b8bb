package dn

import (
	"context"
	"errors"
	"net"
)

// maxDatagram fits any UDP payload, so nothing is ever truncated.
const maxDatagram = 64 << 10

// udpLoop echoes each datagram back to its sender until the socket closes.
func (n *NF) udpLoop(ctx context.Context, c *net.UDPConn) {
	buf := make([]byte, maxDatagram)
	for {
		size, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			n.m.errors.WithLabelValues("udp").Inc()
			n.log.Warn("udp read", "err", err)
			continue
		}
		n.m.rxPackets.WithLabelValues("udp").Inc()
		n.m.rxBytes.WithLabelValues("udp").Add(float64(size))
		if _, err := c.WriteToUDPAddrPort(buf[:size], from); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n.m.errors.WithLabelValues("udp").Inc()
			n.log.Debug("udp echo write", "to", from.String(), "err", err)
			continue
		}
		n.m.txPackets.WithLabelValues("udp").Inc()
		n.m.txBytes.WithLabelValues("udp").Add(float64(size))
	}
}
