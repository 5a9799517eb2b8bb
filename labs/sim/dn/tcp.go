package dn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

const tcpBuf = 32 << 10

// acceptLoop accepts until the listener closes (drain or stop), handing each
// admitted connection to echo on wg.
func (n *NF) acceptLoop(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			// Out of descriptors and the like: wait a little, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			n.m.errors.WithLabelValues("tcp").Inc()
			n.log.Warn("tcp accept", "err", err, "retry_in", backoff)
			if !wait(ctx, backoff) {
				return
			}
			continue
		}
		backoff = 0
		if !n.conns.add(c) {
			n.m.rejected.Inc()
			n.log.Debug("tcp connection refused", "from", c.RemoteAddr().String(), "open", n.conns.len())
			if err := c.Close(); err != nil {
				n.log.Debug("close refused connection", "err", err)
			}
			continue
		}
		n.m.conns.Inc()
		wg.Go(func() { n.echo(c) })
	}
}

// echo copies what c sends back to it until EOF, an error or idleness.
func (n *NF) echo(c net.Conn) {
	defer func() {
		n.conns.remove(c)
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			n.log.Debug("close tcp connection", "err", err)
		}
	}()
	buf := make([]byte, tcpBuf)
	idle := n.cfg.TCPIdleTimeout
	for {
		if err := c.SetReadDeadline(time.Now().Add(idle)); err != nil {
			n.connErr(c, "set deadline", err)
			return
		}
		size, err := c.Read(buf)
		if size > 0 {
			n.m.rxBytes.WithLabelValues("tcp").Add(float64(size))
			if !n.writeBack(c, buf[:size], idle) {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				n.connErr(c, "read", err)
			}
			return
		}
	}
}

// writeBack echoes p; a peer that stops reading for idle is dropped.
func (n *NF) writeBack(c net.Conn, p []byte, idle time.Duration) bool {
	if err := c.SetWriteDeadline(time.Now().Add(idle)); err != nil {
		n.connErr(c, "set deadline", err)
		return false
	}
	size, err := c.Write(p)
	n.m.txBytes.WithLabelValues("tcp").Add(float64(size))
	if err != nil {
		n.connErr(c, "write", err)
		return false
	}
	return true
}

func (n *NF) connErr(c net.Conn, op string, err error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		n.m.idleTimeouts.Inc()
		n.log.Debug("tcp connection idle, closing", "from", c.RemoteAddr().String())
	case errors.Is(err, net.ErrClosed):
		// We closed it: stopping.
	default:
		n.m.errors.WithLabelValues("tcp").Inc()
		n.log.Debug("tcp "+op, "from", c.RemoteAddr().String(), "err", err)
	}
}

func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// connSet tracks open connections so stop can close them and drain can
// count them; it refuses new ones beyond max or once admission is closed.
type connSet struct {
	mu     sync.Mutex
	max    int
	closed bool
	open   map[net.Conn]struct{}
}

func newConnSet(max int) *connSet {
	return &connSet{max: max, open: map[net.Conn]struct{}{}}
}

func (s *connSet) add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.open) >= s.max {
		return false
	}
	s.open[c] = struct{}{}
	return true
}

func (s *connSet) remove(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.open, c)
}

func (s *connSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

func (s *connSet) closeAdmission() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// closeAll closes open connections; their echo goroutines then remove them.
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		// Errors here only repeat that the connection is going away.
		_ = c.Close()
	}
}
