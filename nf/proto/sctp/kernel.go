package sctp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	ksctp "github.com/ishidawataru/sctp"
	"golang.org/x/sys/unix"
)

// Kernel mode wraps github.com/ishidawataru/sctp (one-to-one sockets).
// That library uses blocking syscalls, and closing a listening SCTP socket
// does not wake a blocked accept(2); so the accept loop polls with a short
// timeout and is the only user (and closer) of the listening socket.

const (
	kernelStreams       = 256  // outbound streams offered, inbound accepted
	kernelInitAttempts  = 4    // INIT retransmissions before Dial fails
	kernelInitTimeoutMs = 3000 // max INIT retransmission timeout
	kernelAcceptPollMs  = 250  // how quickly Close stops the accept loop
	kernelBacklog       = backlogLen
)

var kernelInit = ksctp.InitMsg{
	NumOstreams:    kernelStreams,
	MaxInstreams:   kernelStreams,
	MaxAttempts:    kernelInitAttempts,
	MaxInitTimeout: kernelInitTimeoutMs,
}

type kernelListener struct {
	ln      *ksctp.SCTPListener
	fd      int
	addr    net.Addr
	log     *slog.Logger
	backlog chan *kernelConn
	closed  chan struct{}
	loopEnd chan struct{}
	once    sync.Once

	mu       sync.Mutex
	conns    map[*kernelConn]struct{}
	accepted atomic.Uint64
	refused  atomic.Uint64
}

func listenKernel(addr string, log *slog.Logger) (Listener, error) {
	sa, err := ksctp.ResolveSCTPAddr("sctp", addr)
	if err != nil {
		return nil, fmt.Errorf("sctp listen %s: %w", addr, err)
	}
	ln, err := ksctp.ListenSCTPExt("sctp", sa, kernelInit)
	if err != nil {
		return nil, fmt.Errorf("sctp listen %s: %w", addr, err)
	}
	fd, err := listenerFD(ln)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sctp listen %s: %w", addr, err), ln.Close())
	}
	l := &kernelListener{
		ln:      ln,
		fd:      fd,
		addr:    ln.Addr(),
		log:     log,
		backlog: make(chan *kernelConn, kernelBacklog),
		closed:  make(chan struct{}),
		loopEnd: make(chan struct{}),
		conns:   map[*kernelConn]struct{}{},
	}
	go l.acceptLoop()
	log.Info("sctp listening", "addr", l.addr.String(), "transport", "kernel")
	return l, nil
}

// listenerFD fetches the socket and makes accept(2) non-blocking, so that
// a connection that vanishes between poll and accept cannot block it.
func listenerFD(ln *ksctp.SCTPListener) (int, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return -1, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return -1, fmt.Errorf("set non-blocking: %w", err)
	}
	return fd, nil
}

func (l *kernelListener) acceptLoop() {
	defer close(l.loopEnd)
	defer func() {
		if err := l.ln.Close(); err != nil {
			l.log.Debug("sctp listener close", "err", err)
		}
	}()
	for {
		select {
		case <-l.closed:
			return
		default:
		}
		fds := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, kernelAcceptPollMs)
		if err != nil && !errors.Is(err, unix.EINTR) {
			l.log.Error("sctp accept poll", "err", err)
			return
		}
		if n <= 0 {
			continue
		}
		c, err := l.ln.AcceptSCTP()
		if err != nil {
			if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.ECONNABORTED) {
				l.log.Warn("sctp accept", "err", err)
			}
			continue
		}
		l.admit(c)
	}
}

func (l *kernelListener) admit(c *ksctp.SCTPConn) {
	kc, err := newKernelConn(c, l.log, l.forget)
	if err != nil {
		l.log.Warn("sctp accept", "err", err)
		return
	}
	l.mu.Lock()
	l.conns[kc] = struct{}{}
	l.mu.Unlock()
	select {
	case l.backlog <- kc:
		kc.log.Info("sctp association up", "transport", "kernel")
	default:
		l.refused.Add(1)
		kc.log.Warn("sctp association refused: accept backlog full", "backlog", kernelBacklog)
		if err := kc.Close(); err != nil {
			kc.log.Debug("sctp close", "err", err)
		}
	}
}

func (l *kernelListener) forget(c *kernelConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

func (l *kernelListener) Accept(ctx context.Context) (Conn, error) {
	select {
	case c := <-l.backlog:
		l.accepted.Add(1)
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *kernelListener) Addr() net.Addr { return l.addr }

func (l *kernelListener) Stats() ListenerStats {
	l.mu.Lock()
	peers := len(l.conns)
	l.mu.Unlock()
	return ListenerStats{Peers: peers, Accepted: l.accepted.Load(), BacklogFull: l.refused.Load()}
}

func (l *kernelListener) Close() error {
	var errs []error
	l.once.Do(func() {
		close(l.closed)
		<-l.loopEnd
		l.mu.Lock()
		conns := make([]*kernelConn, 0, len(l.conns))
		for c := range l.conns {
			conns = append(conns, c)
		}
		l.mu.Unlock()
		for _, c := range conns {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// kernelConn is one kernel SCTP association (a one-to-one socket).
type kernelConn struct {
	c       *ksctp.SCTPConn
	local   net.Addr
	remote  net.Addr
	log     *slog.Logger
	onEnd   func(*kernelConn)
	endOnce sync.Once
	closing atomic.Bool
	once    sync.Once
	err     error
}

func newKernelConn(c *ksctp.SCTPConn, log *slog.Logger, onEnd func(*kernelConn)) (*kernelConn, error) {
	// DATA_IO events make the kernel attach stream and PPID to each read.
	if err := c.SubscribeEvents(ksctp.SCTP_EVENT_DATA_IO); err != nil {
		return nil, errors.Join(fmt.Errorf("subscribe sctp events: %w", err), c.Close())
	}
	k := &kernelConn{c: c, local: c.LocalAddr(), remote: c.RemoteAddr(), onEnd: onEnd}
	k.log = log.With("peer", fmt.Sprint(k.remote))
	return k, nil
}

func dialKernel(ctx context.Context, local, remote string, log *slog.Logger) (Conn, error) {
	raddr, err := ksctp.ResolveSCTPAddr("sctp", remote)
	if err != nil {
		return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
	}
	var laddr *ksctp.SCTPAddr
	if local != "" {
		if laddr, err = ksctp.ResolveSCTPAddr("sctp", local); err != nil {
			return nil, fmt.Errorf("sctp dial %s: local %s: %w", remote, local, err)
		}
	}
	type result struct {
		c   *ksctp.SCTPConn
		err error
	}
	// connect(2) blocks; if ctx ends first the attempt finishes in the
	// background (bounded by kernelInit) and its socket is closed.
	ch := make(chan result, 1)
	go func() {
		c, err := ksctp.DialSCTPExt("sctp", laddr, raddr, kernelInit)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("sctp dial %s: %w", remote, r.err)
		}
		kc, err := newKernelConn(r.c, log, nil)
		if err != nil {
			return nil, fmt.Errorf("sctp dial %s: %w", remote, err)
		}
		kc.log.Info("sctp association up", "transport", "kernel")
		return kc, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				_ = r.c.Close() // abandoned dial: nobody to report to
			}
		}()
		return nil, fmt.Errorf("sctp dial %s: %w", remote, ctx.Err())
	}
}

// ReadMsg needs len(b) >= the largest message: the kernel hands a larger
// one over in pieces and ishidawataru/sctp does not say where it ends.
func (k *kernelConn) ReadMsg(b []byte) (int, Info, error) {
	n, info, err := k.c.SCTPRead(b)
	if err != nil {
		return 0, Info{}, k.readErr(err)
	}
	var in Info
	if info != nil {
		in = Info{Stream: info.Stream, PPID: info.PPID}
	}
	return n, in, nil
}

func (k *kernelConn) readErr(err error) error {
	if k.closing.Load() {
		return net.ErrClosed
	}
	k.endOnce.Do(func() {
		if k.onEnd != nil {
			k.onEnd(k)
		}
	})
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w by peer %s: %w", ErrAborted, k.remote, err)
	default:
		return fmt.Errorf("%w: %w", ErrAssociationLost, err)
	}
}

func (k *kernelConn) WriteMsg(b []byte, info Info) error {
	if len(b) == 0 || len(b) > MaxMessageSize {
		return fmt.Errorf("sctp write %d bytes: %w", len(b), ErrMessageSize)
	}
	if k.closing.Load() {
		return net.ErrClosed
	}
	if _, err := k.c.SCTPWrite(b, &ksctp.SndRcvInfo{Stream: info.Stream, PPID: info.PPID}); err != nil {
		return fmt.Errorf("sctp write on stream %d: %w", info.Stream, err)
	}
	return nil
}

// Close sends SHUTDOWN (SCTP_EOF) and closes the socket.
func (k *kernelConn) Close() error {
	k.once.Do(func() {
		k.closing.Store(true)
		if err := k.c.Close(); err != nil {
			k.err = fmt.Errorf("sctp close %s: %w", k.remote, err)
		}
		k.endOnce.Do(func() {
			if k.onEnd != nil {
				k.onEnd(k)
			}
		})
	})
	return k.err
}

func (k *kernelConn) LocalAddr() net.Addr  { return k.local }
func (k *kernelConn) RemoteAddr() net.Addr { return k.remote }
