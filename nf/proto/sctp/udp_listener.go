package sctp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sctp"

	"github.com/corebox/corebox/nf/nfkit"
)

// Listener limits (udp mode). pion keeps state from the first INIT on, so
// unfinished handshakes are bounded in number and in time.
const (
	defaultHandshakeTimeout = 10 * time.Second
	maxPendingHandshakes    = 256
	backlogLen              = 128
)

// udpListener serves every peer from one UDP socket: datagrams are sorted
// by source address into per-peer packet conns, each running a pion server
// association. A lone INIT from a new address starts a handshake.
type udpListener struct {
	pc               *net.UDPConn
	log              *slog.Logger
	hb               time.Duration
	handshakeTimeout time.Duration

	ctx     context.Context // cancelled by Close: ends handshakes
	cancel  context.CancelFunc
	backlog chan *udpConn
	closed  chan struct{}
	once    sync.Once
	wg      sync.WaitGroup // read loop and handshakes

	mu      sync.Mutex
	peers   map[netip.AddrPort]*peerConn
	conns   map[*udpConn]struct{} // established, accepted or not
	pending int                   // handshakes in progress
	closing bool

	accepted, malformed, ootb, queueFull, handshakeFailed, backlogFull atomic.Uint64
}

// udpOptions are the listener's tunables; tests shorten the timeouts.
type udpOptions struct {
	heartbeat        time.Duration
	handshakeTimeout time.Duration
}

func listenUDP(addr string, o udpOptions, log *slog.Logger) (*udpListener, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("sctp listen %s: %w", addr, err)
	}
	pc, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("sctp listen %s: %w", addr, err)
	}
	if err := nfkit.GrowUDPBuffers(pc); err != nil {
		pc.Close()
		return nil, fmt.Errorf("sctp listen %s: %w", addr, err)
	}
	l := newUDPListener(pc, o, log)
	l.wg.Add(1)
	go l.readLoop()
	log.Info("sctp listening", "addr", pc.LocalAddr().String(), "transport", "udp")
	return l, nil
}

func newUDPListener(pc *net.UDPConn, o udpOptions, log *slog.Logger) *udpListener {
	if o.handshakeTimeout == 0 {
		o.handshakeTimeout = defaultHandshakeTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &udpListener{
		pc:               pc,
		log:              log,
		hb:               o.heartbeat,
		handshakeTimeout: o.handshakeTimeout,
		ctx:              ctx,
		cancel:           cancel,
		backlog:          make(chan *udpConn, backlogLen),
		closed:           make(chan struct{}),
		peers:            map[netip.AddrPort]*peerConn{},
		conns:            map[*udpConn]struct{}{},
	}
}

func (l *udpListener) Addr() net.Addr { return l.pc.LocalAddr() }

func (l *udpListener) Accept(ctx context.Context) (Conn, error) {
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

func (l *udpListener) Stats() ListenerStats {
	l.mu.Lock()
	peers := len(l.peers)
	l.mu.Unlock()
	return ListenerStats{
		Peers:           peers,
		Accepted:        l.accepted.Load(),
		Malformed:       l.malformed.Load(),
		OutOfTheBlue:    l.ootb.Load(),
		QueueFull:       l.queueFull.Load(),
		HandshakeFailed: l.handshakeFailed.Load(),
		BacklogFull:     l.backlogFull.Load(),
	}
}

func (l *udpListener) readLoop() {
	defer l.wg.Done()
	for {
		bp := datagramPool.Get().(*[]byte)
		n, from, err := l.pc.ReadFromUDPAddrPort(*bp)
		if err != nil {
			datagramPool.Put(bp)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("sctp udp read", "err", err)
			continue
		}
		if n > maxDatagram {
			datagramPool.Put(bp)
			l.malformed.Add(1)
			l.log.Debug("sctp udp datagram dropped", "from", from, "reason", "oversized", "len", n)
			continue
		}
		l.demux(from, datagram{bp, n})
	}
}

// demux routes one datagram; it owns d from here on.
func (l *udpListener) demux(from netip.AddrPort, d datagram) {
	l.mu.Lock()
	p := l.peers[from]
	l.mu.Unlock()
	if p != nil {
		if !p.deliver(d) {
			l.queueFull.Add(1)
			d.free()
		}
		return
	}
	v, h := inspect(d.bytes())
	switch v {
	case openAssociation:
		l.open(from, d)
		return
	case dropMalformed:
		l.malformed.Add(1)
		l.log.Debug("sctp udp datagram dropped", "from", from, "reason", "not SCTP", "len", d.n)
	case dropOutOfTheBlue:
		l.ootb.Add(1)
	case replyAbort:
		l.ootb.Add(1)
		l.reply(from, outOfTheBlueReply(h, ctAbort))
	case replyShutdownComplete:
		l.ootb.Add(1)
		l.reply(from, outOfTheBlueReply(h, ctShutdownComplete))
	}
	d.free()
}

func (l *udpListener) reply(to netip.AddrPort, b []byte) {
	if _, err := l.pc.WriteToUDPAddrPort(b, to); err != nil && !errors.Is(err, net.ErrClosed) {
		l.log.Debug("sctp out-of-the-blue reply", "to", to, "err", err)
	}
}

// open registers a peer for an INIT and starts its handshake.
func (l *udpListener) open(from netip.AddrPort, d datagram) {
	l.mu.Lock()
	if closing, pending := l.closing, l.pending; closing || pending >= maxPendingHandshakes {
		l.mu.Unlock()
		l.handshakeFailed.Add(1)
		l.log.Debug("sctp INIT refused", "from", from, "closing", closing, "pending", pending)
		d.free()
		return
	}
	p := newPeerConn(l, from)
	l.peers[from] = p
	l.pending++
	l.wg.Add(1)
	l.mu.Unlock()
	p.deliver(d)
	go l.handshake(p)
}

// handshake runs pion's server side; the peer is dropped if it does not
// complete in time or the listener closes first.
func (l *udpListener) handshake(p *peerConn) {
	defer l.wg.Done()
	log := l.log.With("peer", p.raddr.String())
	ctx, cancel := context.WithTimeout(l.ctx, l.handshakeTimeout)
	stop := context.AfterFunc(ctx, func() { p.Close() })
	assoc, err := sctp.ServerWithOptions(serverOptions(pionOptions(p, log))...)
	intime := stop()
	cancel()
	l.mu.Lock()
	l.pending--
	l.mu.Unlock()
	if err == nil && !intime {
		err = context.Cause(ctx)
		if cerr := assoc.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			log.Debug("sctp association close", "err", cerr)
		}
	}
	if err != nil {
		p.Close()
		l.handshakeFailed.Add(1)
		log.Debug("sctp handshake failed", "err", err)
		return
	}
	l.established(newUDPConn(assoc, p, l.hb, log, l.forget))
}

// established queues a new association for Accept.
func (l *udpListener) established(c *udpConn) {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		c.abort("listener closed")
		return
	}
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	select {
	case l.backlog <- c:
		c.log.Info("sctp association up", "transport", "udp")
	default:
		l.backlogFull.Add(1)
		c.log.Warn("sctp association refused: accept backlog full", "backlog", backlogLen)
		c.abort("accept backlog full")
	}
}

// forget drops an ended association from the set Close must close.
func (l *udpListener) forget(c *udpConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// removePeer is called by a peer conn as it closes.
func (l *udpListener) removePeer(p *peerConn) {
	l.mu.Lock()
	if l.peers[p.raddr] == p {
		delete(l.peers, p.raddr)
	}
	l.mu.Unlock()
}

// Close stops accepting, shuts every association down (concurrently, each
// bounded by shutdownTimeout), then closes the socket.
func (l *udpListener) Close() error {
	var err error
	l.once.Do(func() {
		l.mu.Lock()
		l.closing = true
		conns := make([]*udpConn, 0, len(l.conns))
		for c := range l.conns {
			conns = append(conns, c)
		}
		l.mu.Unlock()
		close(l.closed)
		l.cancel()
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() {
				if cerr := c.Close(); cerr != nil {
					l.log.Debug("sctp close on listener close", "err", cerr)
				}
			})
		}
		wg.Wait()
		err = l.pc.Close()
		l.wg.Wait()
		l.drainBacklog()
	})
	if err != nil {
		return fmt.Errorf("sctp listener close: %w", err)
	}
	return nil
}

func (l *udpListener) drainBacklog() {
	for {
		select {
		case <-l.backlog:
		default:
			return
		}
	}
}

func serverOptions(opts []sctp.AssociationOption) []sctp.ServerOption {
	out := make([]sctp.ServerOption, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}

func clientOptions(opts []sctp.AssociationOption) []sctp.ClientOption {
	out := make([]sctp.ClientOption, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}
