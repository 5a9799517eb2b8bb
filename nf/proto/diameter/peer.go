package diameter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/sm/smpeer"
)

// writeTimeout bounds one write to a peer that stopped reading.
const writeTimeout = 10 * time.Second

// Peer is one transport connection to a Diameter peer. It reads in one
// goroutine, runs request handlers concurrently (bounded), matches answers
// to requests by Hop-by-Hop id, and keeps a DWR watchdog.
type Peer struct {
	ep  *endpoint
	nc  net.Conn
	br  *bufio.Reader
	log atomic.Pointer[slog.Logger] // gains origin_host after the exchange

	ctx    context.Context // ends when the peer closes; handlers run under it
	cancel context.CancelFunc

	wmu sync.Mutex // one message at a time on the wire

	mu      sync.Mutex
	closed  bool
	pending map[uint32]chan reply
	smCtx   context.Context // go-diameter's per-connection context (smpeer metadata)
	remote  *smpeer.Metadata

	hbh    atomic.Uint32
	lastRx atomic.Int64 // unix nanoseconds of the last message read
	sem    chan struct{}
	upCh   chan struct{}  // closed by the capabilities exchange
	wg     sync.WaitGroup // watchdog and handlers
	done   chan struct{}  // closed when run has returned
}

type reply struct {
	m   *diam.Message
	err error
}

func newPeer(parent context.Context, ep *endpoint, nc net.Conn) *Peer {
	ctx, cancel := context.WithCancel(parent)
	p := &Peer{ep: ep, nc: nc, br: bufio.NewReader(nc), ctx: ctx, cancel: cancel,
		pending: map[uint32]chan reply{}, smCtx: context.Background(),
		sem: make(chan struct{}, ep.maxConcurrent), upCh: make(chan struct{}), done: make(chan struct{})}
	p.log.Store(ep.log.With("peer", nc.RemoteAddr().String()))
	p.hbh.Store(rand.Uint32())
	p.lastRx.Store(time.Now().UnixNano())
	return p
}

// run serves the connection until it closes, then waits for the watchdog
// and every handler.
func (p *Peer) run() {
	defer close(p.done)
	p.wg.Go(p.watchdog)
	p.readLoop()
	p.Close()
	p.wg.Wait()
	if host := p.OriginHost(); host != "" {
		p.ep.obs.PeerDown(host)
	}
}

func (p *Peer) logger() *slog.Logger { return p.log.Load() }

// Done is closed once the connection is closed and all its goroutines
// have returned.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Close closes the connection; requests waiting for answers fail with
// ErrPeerClosed. It does not wait (see Done).
func (p *Peer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	p.cancel()
	if err := p.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		p.logger().Debug("diameter: close", "err", err)
	}
	for _, ch := range pending {
		ch <- reply{err: ErrPeerClosed}
	}
}

// OriginHost is the peer's Origin-Host once capabilities are exchanged.
func (p *Peer) OriginHost() string {
	if m := p.metadata(); m != nil {
		return string(m.OriginHost)
	}
	return ""
}

// OriginRealm is the peer's Origin-Realm once capabilities are exchanged.
func (p *Peer) OriginRealm() string {
	if m := p.metadata(); m != nil {
		return string(m.OriginRealm)
	}
	return ""
}

// RemoteAddr is the peer's transport address.
func (p *Peer) RemoteAddr() net.Addr { return p.nc.RemoteAddr() }

// Local is this side's configuration (Origin-Host and Origin-Realm to
// put in requests and answers).
func (p *Peer) Local() PeerConfig { return p.ep.cfg }

func (p *Peer) metadata() *smpeer.Metadata {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remote
}

// Request sends m and waits for its answer, until ctx ends or the
// configured request timeout passes. The Hop-by-Hop id is ours to set.
// An answer with an error result is still an answer (err is nil).
func (p *Peer) Request(ctx context.Context, m *diam.Message) (*diam.Message, error) {
	if p.metadata() == nil {
		return nil, fmt.Errorf("%w: capabilities not exchanged with %s", ErrNotConnected, p.RemoteAddr())
	}
	return p.request(ctx, m)
}

func (p *Peer) request(ctx context.Context, m *diam.Message) (*diam.Message, error) {
	if t := p.ep.cfg.RequestTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	m.Header.CommandFlags |= diam.RequestFlag
	id := p.hbh.Add(1)
	m.Header.HopByHopID = id
	ch := make(chan reply, 1)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errNotSent
	}
	p.pending[id] = ch
	p.mu.Unlock()
	defer p.forget(id)
	name := commandName(m)
	if err := p.write(m); err != nil {
		return nil, fmt.Errorf("diameter: send %s: %w", name, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("diameter: %s to %s: %w", name, p.RemoteAddr(), r.err)
		}
		return r.m, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("diameter: %s to %s: no answer: %w", name, p.RemoteAddr(), ctx.Err())
	}
}

// errNotSent: the connection was closed before the request went out.
var errNotSent = fmt.Errorf("%w before the request was sent", ErrPeerClosed)

func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *Peer) forget(id uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, id)
}

// deliver hands an answer (or the error decoding it) to its request.
func (p *Peer) deliver(id uint32, r reply) bool {
	p.mu.Lock()
	ch, ok := p.pending[id]
	delete(p.pending, id)
	p.mu.Unlock()
	if ok {
		ch <- r
	}
	return ok
}

func (p *Peer) write(m *diam.Message) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	_, err = p.writeRaw(b)
	return err
}

func (p *Peer) writeRaw(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if err := p.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return 0, fmt.Errorf("set write deadline: %w", err)
	}
	n, err := p.nc.Write(b)
	if err != nil {
		p.Close() // a half-written message leaves the stream unusable
		return n, fmt.Errorf("write to %s: %w", p.RemoteAddr(), err)
	}
	return n, nil
}
