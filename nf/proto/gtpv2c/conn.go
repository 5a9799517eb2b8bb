package gtpv2c

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

	"github.com/wmnsk/go-gtp/gtpv2/message"
)

// Port is the GTPv2-C UDP port (TS 29.274 §4.2).
const Port = 2123

// Defaults of Config (TS 29.274 leaves T3 and N3 to the operator).
const (
	DefaultT3          = 3 * time.Second
	DefaultN3          = 3
	DefaultMaxInFlight = 1024
)

// maxDatagram is the largest GTPv2-C message we read.
const maxDatagram = 65535

// Handler answers the requests a Conn receives.
type Handler interface {
	// ServeGTPv2 builds the response to req from peer; nil sends nothing.
	// The Conn gives the response the request's sequence number. Calls
	// run concurrently; ctx ends when the Conn stops.
	ServeGTPv2(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message

// ServeGTPv2 calls f.
func (f HandlerFunc) ServeGTPv2(ctx context.Context, peer netip.AddrPort, req message.Message) message.Message {
	return f(ctx, peer, req)
}

// Config configures a Conn.
type Config struct {
	// Addr is the UDP listen address; default ":2123".
	Addr string
	// T3 is how long a request waits for its response before it is sent
	// again; N3 how many times it is sent again before giving up.
	T3 time.Duration
	N3 int
	// Recovery is our restart counter, sent in Echo messages.
	Recovery uint8
	// MaxInFlight bounds the requests being handled at once; more are
	// dropped and counted (the peer retransmits them).
	MaxInFlight int
	// CacheTTL is how long a sent response is kept to answer a
	// retransmitted request; default T3*(N3+1).
	CacheTTL time.Duration
	// Handler answers requests; nil answers none (Echo is always served).
	Handler Handler
	Logger  *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.Addr == "" {
		c.Addr = fmt.Sprintf(":%d", Port)
	}
	if c.T3 == 0 {
		c.T3 = DefaultT3
	}
	if c.N3 == 0 {
		c.N3 = DefaultN3
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.T3 < 0 || c.N3 < 0 || c.MaxInFlight < 0 || c.CacheTTL < 0 {
		return errors.New("gtpv2c: negative T3, N3, MaxInFlight or CacheTTL")
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = c.T3 * time.Duration(c.N3+1)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Conn is one GTPv2-C socket: New binds it, Run reads until its context
// ends. Request and Echo may be used from any goroutine once Run runs.
type Conn struct {
	cfg   Config
	log   *slog.Logger
	conn  *net.UDPConn
	local netip.AddrPort
	stats Stats
	cache responseCache
	seq   atomic.Uint32

	lastWarn atomic.Int64 // unix nanoseconds of the last rate-limited warning

	mu      sync.Mutex
	pending map[uint32]*pendingRequest

	inflight  chan struct{} // one token per request being handled
	handlers  sync.WaitGroup
	running   atomic.Bool
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
}

// New binds the socket.
func New(cfg Config) (*Conn, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("gtpv2c: listen address %q: %w", cfg.Addr, err)
	}
	uc, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("gtpv2c: listen %s: %w", cfg.Addr, err)
	}
	c := &Conn{cfg: cfg, conn: uc, local: uc.LocalAddr().(*net.UDPAddr).AddrPort(),
		cache: newResponseCache(cfg.CacheTTL), pending: map[uint32]*pendingRequest{},
		inflight: make(chan struct{}, cfg.MaxInFlight), done: make(chan struct{})}
	c.log = cfg.Logger.With("component", "gtpv2c", "addr", c.local.String())
	return c, nil
}

// LocalAddr is the bound address.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// Stats returns the live counters.
func (c *Conn) Stats() *Stats { return &c.stats }

// T3 and N3 are the retransmission timer and count in use.
func (c *Conn) T3() time.Duration { return c.cfg.T3 }

// N3 is how many times an unanswered request is sent again.
func (c *Conn) N3() int { return c.cfg.N3 }

// Run reads and dispatches datagrams until ctx ends (then it closes the
// socket and waits for the handlers) and returns nil, or an error if the
// socket fails.
func (c *Conn) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("gtpv2c: Run called twice")
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	err := c.readLoop(ctx)
	c.Close()
	c.handlers.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (c *Conn) readLoop(ctx context.Context) error {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			c.stats.RxErrors.Add(1)
			c.log.Debug("gtpv2c read failed", "err", err)
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		c.dispatch(ctx, buf[:n], from, true)
	}
}

// Close releases the socket: Run returns and pending requests fail.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.closeErr = c.conn.Close()
	})
	return c.closeErr
}

// send writes an encoded message to peer.
func (c *Conn) send(peer netip.AddrPort, b []byte) error {
	if _, err := c.conn.WriteToUDPAddrPort(b, peer); err != nil {
		c.stats.TxErrors.Add(1)
		return fmt.Errorf("gtpv2c send to %s: %w", peer, err)
	}
	c.stats.TxMessages.Add(1)
	return nil
}

// Marshal encodes m; a panic in go-gtp's encoder (an IE it cannot
// render) becomes an error.
func Marshal(m message.Message) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gtpv2c: encode %s: encoder panicked: %v", m.MessageTypeName(), r)
		}
	}()
	b = make([]byte, m.MarshalLen())
	if err := m.MarshalTo(b); err != nil {
		return nil, fmt.Errorf("gtpv2c: encode %s: %w", m.MessageTypeName(), err)
	}
	return b, nil
}
