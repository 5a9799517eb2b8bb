package diameter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
)

// Backoff between connection attempts of a Client.
const (
	MinBackoff = 100 * time.Millisecond
	MaxBackoff = 5 * time.Second
	// dialTimeout bounds one TCP connect plus capabilities exchange.
	dialTimeout = 5 * time.Second
)

// Client keeps one connection to a Diameter server up (an MME towards its
// HSS, a PGW towards its PCRF): Run dials with backoff, exchanges
// capabilities, and redials when the connection drops. Requests wait for
// a connection. Handlers serve the server's requests (CLR, RAR ...).
type Client struct {
	ep   *endpoint
	addr string

	mu      sync.Mutex
	cur     *Peer
	changed chan struct{} // closed (and replaced) when cur changes
}

// NewClient builds a client with our identity cfg towards addr
// (host:port).
func NewClient(cfg PeerConfig, addr string, opts ...Option) (*Client, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("diameter: peer address %q: %w", addr, err)
	}
	ep, err := newEndpoint(cfg, roleClient, opts)
	if err != nil {
		return nil, err
	}
	return &Client{ep: ep, addr: addr, changed: make(chan struct{})}, nil
}

// Handle serves the server's requests of (app, code) with h.
func (c *Client) Handle(app, code uint32, h Handler) { c.ep.handle(app, code, h) }

// Config is the client's identity, with defaults filled in.
func (c *Client) Config() PeerConfig { return c.ep.cfg }

// Run keeps a connection up until ctx ends; it returns nil then.
func (c *Client) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	smCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() { c.ep.drainSM(smCtx) })
	for attempt := 0; ; {
		p, err := c.dial(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			attempt++
			d := backoff(attempt)
			c.ep.log.Warn("diameter: connect failed", "addr", c.addr, "attempt", attempt, "retry_in", d, "err", err)
			sleep(ctx, d)
			continue
		}
		attempt = 0
		c.set(p)
		select {
		case <-p.Done():
		case <-ctx.Done():
			p.Close()
			<-p.Done()
		}
		c.set(nil)
		if ctx.Err() != nil {
			return nil
		}
		c.ep.log.Warn("diameter: connection lost, reconnecting", "addr", c.addr)
	}
}

// backoff is exponential from MinBackoff to MaxBackoff, with jitter.
func backoff(attempt int) time.Duration {
	d := min(MinBackoff<<min(attempt-1, 16), MaxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (c *Client) dial(ctx context.Context) (*Peer, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("diameter: dial %s: %w", c.addr, err)
	}
	p := newPeer(ctx, c.ep, nc)
	go p.run() // Run waits for p.Done() whatever happens
	if err := p.handshake(dctx); err != nil {
		p.Close()
		<-p.Done()
		return nil, err
	}
	return p, nil
}

func (c *Client) set(p *Peer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = p
	close(c.changed)
	c.changed = make(chan struct{})
}

// Peer is the current connection, nil while there is none.
func (c *Client) Peer() *Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// WaitConnected waits until a connection is up, or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) (*Peer, error) {
	for {
		c.mu.Lock()
		p, changed := c.cur, c.changed
		c.mu.Unlock()
		if p != nil && !p.isClosed() {
			return p, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w to %s: %w", ErrNotConnected, c.addr, ctx.Err())
		}
	}
}

// Request sends m on the current connection (waiting for one, within
// ctx) and returns its answer. A request the closing connection never
// took goes out on the next one.
func (c *Client) Request(ctx context.Context, m *diam.Message) (*diam.Message, error) {
	for {
		p, err := c.WaitConnected(ctx)
		if err != nil {
			return nil, err
		}
		ans, err := p.Request(ctx, m)
		if !errors.Is(err, errNotSent) {
			return ans, err
		}
	}
}
