//go:build !linux

package gtpu

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
)

// Without recvmmsg/sendmmsg the rings move one datagram per system call.

type rxRing struct {
	conn *net.UDPConn
	pkts []rxPacket
}

func newRxRing(c *net.UDPConn, size int) (*rxRing, error) {
	return &rxRing{conn: c, pkts: newRxPackets(1)}, nil
}

func (r *rxRing) read() (int, error) {
	p := &r.pkts[0]
	// The buffer holds the largest UDP payload, so nothing is truncated.
	n, oobn, _, src, err := r.conn.ReadMsgUDPAddrPort(p.buf, p.oob)
	if err != nil {
		return 0, err
	}
	p.n, p.oobn = n, oobn
	p.src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	return 1, nil
}

type txRing struct {
	conn *net.UDPConn
	dsts []netip.AddrPort
	msgs [][]byte
}

func newTxRing(c *net.UDPConn, _, _ bool, size int) (*txRing, error) {
	return &txRing{conn: c, dsts: make([]netip.AddrPort, 0, size), msgs: make([][]byte, 0, size)}, nil
}

func (t *txRing) len() int { return len(t.msgs) }
func (t *txRing) cap() int { return cap(t.msgs) }

func (t *txRing) add(dst netip.AddrPort, msg []byte) {
	t.dsts = append(t.dsts, dst)
	t.msgs = append(t.msgs, msg)
}

func (t *txRing) flush(onErr func(i int, err error)) (int, error) {
	sent := 0
	for i, msg := range t.msgs {
		if _, err := t.conn.WriteToUDPAddrPort(msg, t.dsts[i]); err != nil {
			if onErr != nil {
				onErr(i, err)
			}
			continue
		}
		sent++
	}
	clear(t.msgs)
	t.msgs, t.dsts = t.msgs[:0], t.dsts[:0]
	return sent, nil
}

// setReusePort: several sockets on one address need Linux's SO_REUSEPORT.
func setReusePort(_, _ string, _ syscall.RawConn) error {
	return errors.New("several sockets on one address need Linux")
}
