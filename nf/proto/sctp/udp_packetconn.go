package sctp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/transport/v5/deadline"
)

// maxDatagram is the largest SCTP packet pion reads (its receive MTU);
// anything larger could not be parsed by it and is dropped as malformed.
const maxDatagram = 8192

// datagram is one received UDP payload in a pooled buffer.
type datagram struct {
	buf *[]byte
	n   int
}

var datagramPool = sync.Pool{New: func() any {
	b := make([]byte, maxDatagram+1) // +1 to notice oversized datagrams
	return &b
}}

func (d datagram) bytes() []byte { return (*d.buf)[:d.n] }
func (d datagram) free()         { datagramPool.Put(d.buf) }

// packetConn is the net.Conn pion runs an association over, plus what the
// association wrapper needs to tell how it ended.
type packetConn interface {
	net.Conn
	link() *linkState
}

// linkState watches the packets of one association: when one last
// arrived, whether an ABORT went either way, and the first I/O error that
// was not a local close.
type linkState struct {
	lastRx        atomic.Int64  // unix nanoseconds
	header        atomic.Uint64 // ports and peer's tag, as we last sent them
	abortSent     atomic.Bool
	abortReceived atomic.Bool
	mu            sync.Mutex
	err           error
}

func (s *linkState) received(b []byte) {
	s.lastRx.Store(time.Now().UnixNano())
	if hasChunk(b, ctAbort) {
		s.abortReceived.Store(true)
	}
}

func (s *linkState) sent(b []byte) {
	if len(b) >= commonHeaderLen {
		if h := binary.BigEndian.Uint64(b); uint32(h) != 0 { // tag 0: an INIT
			s.header.Store(h)
		}
	}
	if hasChunk(b, ctAbort) {
		s.abortSent.Store(true)
	}
}

// heartbeat builds a HEARTBEAT for the association, or nil before we
// know the peer's tag.
func (s *linkState) heartbeat(now time.Time) []byte {
	h := s.header.Load()
	if h == 0 {
		return nil
	}
	return heartbeatPacket(commonHeader{srcPort: uint16(h >> 48), dstPort: uint16(h >> 32), vtag: uint32(h)}, now)
}

func (s *linkState) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *linkState) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *linkState) idle(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, s.lastRx.Load()))
}

// hasChunk reports whether a packet carries a chunk of type t, walking the
// chunk headers without checking more than it must.
func hasChunk(b []byte, t byte) bool {
	for off := commonHeaderLen; off+chunkHeaderLen <= len(b); {
		if b[off] == t {
			return true
		}
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < chunkHeaderLen {
			return false
		}
		off += (l + 3) &^ 3
	}
	return false
}

// peerConn is one remote address on a listener's shared UDP socket. The
// listener's read loop delivers its datagrams; writes go out the shared
// socket. Closing it removes the peer from the listener.
type peerConn struct {
	l      *udpListener
	raddr  netip.AddrPort
	in     chan datagram
	closed chan struct{}
	once   sync.Once
	rdl    *deadline.Deadline
	state  linkState
}

// peerQueueLen bounds the datagrams waiting for one association; beyond it
// they are dropped (and retransmitted by the sender).
const peerQueueLen = 256

func newPeerConn(l *udpListener, raddr netip.AddrPort) *peerConn {
	p := &peerConn{
		l:      l,
		raddr:  raddr,
		in:     make(chan datagram, peerQueueLen),
		closed: make(chan struct{}),
		rdl:    deadline.New(),
	}
	p.state.lastRx.Store(time.Now().UnixNano())
	return p
}

func (p *peerConn) link() *linkState { return &p.state }

// deliver queues a datagram; false means the queue was full.
func (p *peerConn) deliver(d datagram) bool {
	p.state.received(d.bytes())
	if isHeartbeatAck(d.bytes()) {
		d.free()
		return true
	}
	select {
	case p.in <- d:
		return true
	default:
		return false
	}
}

func (p *peerConn) Read(b []byte) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	default:
	}
	select {
	case d := <-p.in:
		n := copy(b, d.bytes())
		d.free()
		return n, nil
	case <-p.closed:
		return 0, net.ErrClosed
	case <-p.rdl.Done():
		return 0, os.ErrDeadlineExceeded
	}
}

// Write sends on the shared socket. Socket errors other than closing are
// not the peer's fault and are treated as loss: SCTP retransmits.
func (p *peerConn) Write(b []byte) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	default:
	}
	p.state.sent(b)
	if isEmptyHeartbeat(b) {
		return len(b), nil
	}
	if _, err := p.l.pc.WriteToUDPAddrPort(b, p.raddr); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, err
		}
		p.l.log.Debug("sctp udp write dropped", "peer", p.raddr, "err", err)
	}
	return len(b), nil
}

// Close never calls into pion: pion calls it with its own lock held.
func (p *peerConn) Close() error {
	p.once.Do(func() {
		close(p.closed)
		p.l.removePeer(p)
		for {
			select {
			case d := <-p.in:
				d.free()
			default:
				return
			}
		}
	})
	return nil
}

func (p *peerConn) LocalAddr() net.Addr                { return p.l.pc.LocalAddr() }
func (p *peerConn) RemoteAddr() net.Addr               { return net.UDPAddrFromAddrPort(p.raddr) }
func (p *peerConn) SetDeadline(t time.Time) error      { p.rdl.Set(t); return nil }
func (p *peerConn) SetReadDeadline(t time.Time) error  { p.rdl.Set(t); return nil }
func (p *peerConn) SetWriteDeadline(t time.Time) error { return nil }

// dialConn is the connected UDP socket of a dialled association.
type dialConn struct {
	*net.UDPConn
	state linkState
}

func newDialConn(uc *net.UDPConn) *dialConn {
	c := &dialConn{UDPConn: uc}
	c.state.lastRx.Store(time.Now().UnixNano())
	return c
}

func (c *dialConn) link() *linkState { return &c.state }

// Read records arrivals; an ICMP error (the peer's port closed) ends the
// association, as it should.
func (c *dialConn) Read(b []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(b)
		if err != nil {
			c.noteErr(err)
			return n, err
		}
		c.state.received(b[:n])
		if !isHeartbeatAck(b[:n]) {
			return n, nil
		}
	}
}

func (c *dialConn) Write(b []byte) (int, error) {
	c.state.sent(b)
	if isEmptyHeartbeat(b) {
		return len(b), nil
	}
	n, err := c.UDPConn.Write(b)
	if err != nil {
		if errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN) {
			return len(b), nil // local congestion: SCTP retransmits
		}
		c.noteErr(err)
		return n, err
	}
	return n, nil
}

func (c *dialConn) noteErr(err error) {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
		return
	}
	c.state.fail(fmt.Errorf("udp %s->%s: %w", c.LocalAddr(), c.RemoteAddr(), err))
}
