package ue

import (
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/radio"
)

// radioLoop reads what the gNB sends until ctx ends.
func (n *NF) radioLoop(ctx context.Context, c *net.UDPConn) error {
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	buf := make([]byte, radio.HeaderLen+radio.MaxBody+1)
	for {
		size, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			n.log.Warn("radio read", "err", err)
			continue
		}
		n.handleRadio(from, buf[:size])
	}
}

// handleRadio dispatches one datagram from the gNB to its UE. Malformed
// datagrams, uplink types and unknown UE IDs are counted and dropped.
func (n *NF) handleRadio(_ netip.AddrPort, b []byte) {
	m, err := radio.Decode(b)
	if err != nil {
		n.m.malformed.WithLabelValues("radio").Inc()
		return
	}
	if m.Type == radio.Paging {
		n.paging(m.Body)
		return
	}
	if m.UE == 0 || int(m.UE) > len(n.ues) {
		n.m.dropped.WithLabelValues("unknown_ue").Inc()
		return
	}
	u := n.ues[m.UE-1]
	switch m.Type {
	case radio.DownlinkNAS:
		u.post(event{kind: evNAS, nas: append([]byte(nil), m.Body...)})
	case radio.Release:
		u.post(event{kind: evRelease})
	case radio.SessionReady:
		u.post(event{kind: evSessionReady, session: uint8(m.Session)})
	case radio.DownlinkData:
		n.m.dlPackets.Inc()
		n.m.dlBytes.Add(float64(len(m.Body)))
		n.dp.deliver(m.Body)
	default:
		n.m.malformed.WithLabelValues("radio").Inc()
	}
}

// paging wakes the UE whose 5G-S-TMSI (or S-TMSI) the body names.
func (n *NF) paging(body []byte) {
	if len(body) != 6 {
		n.m.malformed.WithLabelValues("radio").Inc()
		return
	}
	if u := n.byPaging([6]byte(body)); u != nil {
		u.post(event{kind: evPaging})
	}
}
