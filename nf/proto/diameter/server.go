package diameter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Server accepts Diameter peers (MMEs at an HSS, PGWs at a PCRF ...).
// Register handlers with Handle before Serve.
type Server struct {
	ep   *endpoint
	addr atomic.Pointer[net.Addr]

	mu     sync.Mutex
	peers  map[*Peer]struct{}
	byHost map[string]*Peer
}

// NewServer builds a server with our identity cfg.
func NewServer(cfg PeerConfig, opts ...Option) (*Server, error) {
	ep, err := newEndpoint(cfg, roleServer, opts)
	if err != nil {
		return nil, err
	}
	s := &Server{ep: ep, peers: map[*Peer]struct{}{}, byHost: map[string]*Peer{}}
	ep.onUp = s.registerHost
	return s, nil
}

// Handle serves requests of (app, code) with h.
func (s *Server) Handle(app, code uint32, h Handler) { s.ep.handle(app, code, h) }

// Config is the server's identity, with defaults filled in.
func (s *Server) Config() PeerConfig { return s.ep.cfg }

// Addr is the bound address once Serve runs, else nil.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Run listens on addr (TCP) and serves until ctx ends.
func (s *Server) Run(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("diameter: listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts on ln (closing it) until ctx ends; then it closes every
// connection and returns once all their goroutines have.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	a := ln.Addr()
	s.addr.Store(&a)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { s.ep.drainSM(ctx) })
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() }) // Accept returns; its error is ours to report
	defer stop()
	s.ep.log.Info("diameter: listening", "addr", a.String(), "origin_host", s.ep.cfg.OriginHost)
	err := s.accept(ctx, ln, &wg)
	cancel()
	s.closeAll()
	wg.Wait()
	return err
}

func (s *Server) accept(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("diameter: accept: %w", err)
			}
			// Out of file descriptors and the like: wait, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.ep.log.Warn("diameter: accept", "err", err, "retry_in", delay)
			sleep(ctx, delay)
			continue
		}
		delay = 0
		p := newPeer(ctx, s.ep, nc)
		s.mu.Lock()
		s.peers[p] = struct{}{}
		s.mu.Unlock()
		wg.Go(func() {
			p.run()
			s.remove(p)
		})
	}
}

// registerHost makes p the peer of its Origin-Host; an older connection of
// the same host (a peer that reconnected) is closed.
func (s *Server) registerHost(p *Peer) {
	s.mu.Lock()
	old := s.byHost[p.OriginHost()]
	s.byHost[p.OriginHost()] = p
	s.mu.Unlock()
	if old != nil && old != p {
		old.logger().Info("diameter: replaced by a newer connection of the same host")
		old.Close()
	}
}

func (s *Server) remove(p *Peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.peers, p)
	if host := p.OriginHost(); s.byHost[host] == p {
		delete(s.byHost, host)
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	peers := make([]*Peer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.Close()
	}
}

// Peer is the connected peer whose Origin-Host is host (to send it CLR,
// RAR ...).
func (s *Server) Peer(host string) (*Peer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byHost[host]
	return p, ok
}

// PeerCount is the number of peers with capabilities exchanged.
func (s *Server) PeerCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byHost)
}

// StartDrain makes new requests get DIAMETER_TOO_BUSY (3004), so peers
// send them elsewhere; requests in hand finish.
func (s *Server) StartDrain() { s.ep.draining.Store(true) }

// InFlight is the number of requests being handled.
func (s *Server) InFlight() int { return int(s.ep.inflight.Load()) }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
