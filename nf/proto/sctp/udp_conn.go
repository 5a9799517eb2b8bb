package sctp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/sctp"
)

// shutdownTimeout bounds a graceful close; past it the association is aborted.
const shutdownTimeout = 3 * time.Second

// message is one received message; data aliases buf when buf is pooled.
type message struct {
	buf  *[]byte
	data []byte
	info Info
}

var messagePool = sync.Pool{New: func() any {
	b := make([]byte, MaxMessageSize)
	return &b
}}

func (m message) free() {
	if m.buf != nil {
		messagePool.Put(m.buf)
	}
}

// udpConn turns a pion association into a Conn: one goroutine per stream
// reads whole messages and hands them to ReadMsg over one channel.
type udpConn struct {
	assoc *sctp.Association
	pc    packetConn
	log   *slog.Logger
	hb    time.Duration
	onEnd func(*udpConn)

	msgs    chan message  // unbuffered: a reader hands over, then reads on
	closing chan struct{} // Close was called
	ended   chan struct{} // pion closed the association
	done    chan struct{} // ended, and every stream reader has returned
	pending *message      // kept by ReadMsg after io.ErrShortBuffer

	mu       sync.Mutex
	streams  map[uint16]*sctp.Stream
	finished bool  // set when ended: no more stream readers
	lost     error // set when the peer went silent
	readers  sync.WaitGroup
	bg       sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

func newUDPConn(assoc *sctp.Association, pc packetConn, hb time.Duration, log *slog.Logger, onEnd func(*udpConn)) *udpConn {
	c := &udpConn{
		assoc:   assoc,
		pc:      pc,
		log:     log,
		hb:      hb,
		onEnd:   onEnd,
		msgs:    make(chan message),
		closing: make(chan struct{}),
		ended:   make(chan struct{}),
		done:    make(chan struct{}),
		streams: map[uint16]*sctp.Stream{},
	}
	// Stream 0 (NGAP/S1AP non-UE signalling) is read from the start; pion
	// hands us the others as the peer first uses them.
	if s, err := assoc.OpenStream(0, 0); err == nil {
		c.register(s)
	}
	c.bg.Add(2)
	go c.acceptStreams()
	go c.watchLiveness()
	return c
}

func (c *udpConn) LocalAddr() net.Addr  { return c.pc.LocalAddr() }
func (c *udpConn) RemoteAddr() net.Addr { return c.pc.RemoteAddr() }

func (c *udpConn) ReadMsg(b []byte) (int, Info, error) {
	m, err := c.next()
	if err != nil {
		return 0, Info{}, err
	}
	if len(m.data) > len(b) {
		c.pending = &m
		return len(m.data), m.info, io.ErrShortBuffer
	}
	n := copy(b, m.data)
	m.free()
	return n, m.info, nil
}

func (c *udpConn) next() (message, error) {
	select {
	case <-c.closing:
		return message{}, net.ErrClosed
	default:
	}
	if m := c.pending; m != nil {
		c.pending = nil
		return *m, nil
	}
	select {
	case m := <-c.msgs:
		return m, nil
	case <-c.closing:
		return message{}, net.ErrClosed
	case <-c.done: // no reader is left to send: nothing more will come
		return message{}, c.endCause()
	}
}

func (c *udpConn) WriteMsg(b []byte, info Info) error {
	if len(b) == 0 || len(b) > MaxMessageSize {
		return fmt.Errorf("sctp write %d bytes: %w", len(b), ErrMessageSize)
	}
	select {
	case <-c.closing:
		return net.ErrClosed
	case <-c.ended:
		return fmt.Errorf("sctp write on stream %d: association ended: %w", info.Stream, c.endCause())
	default:
	}
	s, err := c.stream(info.Stream)
	if err == nil {
		_, err = s.WriteSCTP(b, sctp.PayloadProtocolIdentifier(info.PPID))
	}
	if err != nil {
		return fmt.Errorf("sctp write on stream %d: %w", info.Stream, err)
	}
	return nil
}

// stream returns the stream to write on, opening (and reading) it first.
func (c *udpConn) stream(id uint16) (*sctp.Stream, error) {
	c.mu.Lock()
	s := c.streams[id]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := c.assoc.OpenStream(id, 0)
	if err != nil {
		return nil, err
	}
	c.register(s)
	return s, nil
}

// register starts reading s unless it is read already or the association
// has ended (then Wait may be running and no reader may be added).
func (c *udpConn) register(s *sctp.Stream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := s.StreamIdentifier()
	if c.finished || c.streams[id] == s {
		return
	}
	c.streams[id] = s
	c.readers.Add(1)
	go c.readStream(s)
}

func (c *udpConn) readStream(s *sctp.Stream) {
	defer c.readers.Done()
	for {
		m, err := readMessage(s)
		if err != nil {
			c.streamEnded(s, err)
			return
		}
		select {
		case c.msgs <- m:
		case <-c.closing:
			m.free()
			return
		}
	}
}

// readMessage reads one whole message, growing the buffer for one larger
// than MaxMessageSize (pion keeps it queued on io.ErrShortBuffer).
func readMessage(s *sctp.Stream) (message, error) {
	bp := messagePool.Get().(*[]byte)
	buf := *bp
	for {
		n, ppi, err := s.ReadSCTP(buf)
		if errors.Is(err, io.ErrShortBuffer) {
			if bp != nil {
				messagePool.Put(bp)
				bp = nil
			}
			buf = make([]byte, n)
			continue
		}
		if err != nil {
			if bp != nil {
				messagePool.Put(bp)
			}
			return message{}, err
		}
		return message{buf: bp, data: buf[:n], info: Info{Stream: s.StreamIdentifier(), PPID: uint32(ppi)}}, nil
	}
}

func (c *udpConn) streamEnded(s *sctp.Stream, err error) {
	c.mu.Lock()
	if c.streams[s.StreamIdentifier()] == s {
		delete(c.streams, s.StreamIdentifier())
	}
	c.mu.Unlock()
	if errors.Is(err, io.EOF) {
		c.log.Debug("sctp stream reset by peer", "stream", s.StreamIdentifier())
	}
}

// acceptStreams runs for the association's life: pion closes its accept
// queue when the association ends, however it ends.
func (c *udpConn) acceptStreams() {
	defer c.bg.Done()
	for {
		s, err := c.assoc.AcceptStream()
		if err != nil {
			break
		}
		c.register(s)
	}
	c.mu.Lock()
	c.finished = true
	c.mu.Unlock()
	close(c.ended)
	// pion leaves the packet conn open when its read loop fails; close it
	// so the socket or the listener's peer entry goes too.
	if err := c.assoc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		c.log.Debug("sctp association close", "err", err)
	}
	c.readers.Wait()
	close(c.done)
	c.log.Debug("sctp association ended", "cause", c.endCause())
	if c.onEnd != nil {
		c.onEnd(c)
	}
}

// watchLiveness probes an idle association with HEARTBEATs and declares it
// lost after three silent intervals: pion itself retransmits DATA forever
// and never gives up on a peer.
func (c *udpConn) watchLiveness() {
	defer c.bg.Done()
	t := time.NewTicker(c.hb)
	defer t.Stop()
	for {
		select {
		case <-c.ended:
			return
		case <-c.closing:
			return
		case now := <-t.C:
			idle := c.pc.link().idle(now)
			if idle >= 3*c.hb {
				c.declareLost(idle)
				return
			}
			if idle >= c.hb {
				c.sendHeartbeat(now)
			}
		}
	}
}

func (c *udpConn) sendHeartbeat(now time.Time) {
	hb := c.pc.link().heartbeat(now)
	if hb == nil {
		return
	}
	if _, err := c.pc.Write(hb); err != nil {
		c.log.Debug("sctp heartbeat", "err", err)
	}
}

func (c *udpConn) declareLost(idle time.Duration) {
	err := fmt.Errorf("%w: nothing from %s for %s", ErrAssociationLost, c.pc.RemoteAddr(), idle.Round(time.Millisecond))
	c.mu.Lock()
	c.lost = err
	c.mu.Unlock()
	c.log.Warn("sctp association lost", "err", err)
	c.assoc.Abort("peer unresponsive")
	if err := c.assoc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		c.log.Debug("sctp association close", "err", err)
	}
}

// endCause says why the association ended, for ReadMsg and WriteMsg.
func (c *udpConn) endCause() error {
	c.mu.Lock()
	lost := c.lost
	c.mu.Unlock()
	link := c.pc.link()
	switch {
	case lost != nil:
		return lost
	case link.failure() != nil:
		return fmt.Errorf("%w: %w", ErrAssociationLost, link.failure())
	case link.abortReceived.Load():
		return fmt.Errorf("%w by peer %s", ErrAborted, c.pc.RemoteAddr())
	case link.abortSent.Load():
		return fmt.Errorf("%w locally (protocol error)", ErrAborted)
	default:
		return io.EOF
	}
}

// Close shuts down gracefully, or aborts if the peer does not complete
// the shutdown in time, then waits for every goroutine of the Conn.
func (c *udpConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
		c.shutdown()
		if err := c.assoc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			c.closeErr = fmt.Errorf("sctp close %s: %w", c.pc.RemoteAddr(), err)
		}
		<-c.done
		c.bg.Wait()
	})
	return c.closeErr
}

func (c *udpConn) shutdown() {
	select {
	case <-c.ended:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := c.assoc.Shutdown(ctx)
	if err == nil || errors.Is(err, sctp.ErrShutdownNonEstablished) {
		return
	}
	c.log.Debug("sctp shutdown incomplete, aborting", "err", err)
	c.assoc.Abort("shutdown timed out")
}

// abort ends the association at once, without a graceful shutdown.
func (c *udpConn) abort(reason string) {
	c.closeOnce.Do(func() {
		close(c.closing)
		c.assoc.Abort(reason)
		if err := c.assoc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			c.closeErr = fmt.Errorf("sctp abort %s: %w", c.pc.RemoteAddr(), err)
		}
		<-c.done
		c.bg.Wait()
	})
}

// pionOptions configures every association alike: classic DATA chunks
// (no I-DATA interleaving, as kernel SCTP sends by default), our message
// size limit, and our logger.
func pionOptions(nc net.Conn, log *slog.Logger) []sctp.AssociationOption {
	return []sctp.AssociationOption{
		sctp.WithNetConn(nc),
		sctp.WithName(nc.RemoteAddr().String()),
		sctp.WithLoggerFactory(pionLogs{log}),
		sctp.WithEnableInterleaving(false),
		sctp.WithMaxMessageSize(MaxMessageSize),
	}
}
