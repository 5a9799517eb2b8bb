package diameter

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
)

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// recorder is an Observer that remembers.
type recorder struct {
	mu        sync.Mutex
	answered  map[string]int // "AIR 2001"
	malformed map[string]int
	up, down  int
}

func newRecorder() *recorder {
	return &recorder{answered: map[string]int{}, malformed: map[string]int{}}
}

func (r *recorder) Answered(cmd string, res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answered[cmd+" "+resultLabel(res)]++
}

func (r *recorder) Malformed(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.malformed[reason]++
}

func (r *recorder) PeerUp(string)   { r.mu.Lock(); r.up++; r.mu.Unlock() }
func (r *recorder) PeerDown(string) { r.mu.Lock(); r.down++; r.mu.Unlock() }

func (r *recorder) count(m map[string]int, k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return m[k]
}

func serverConfig() PeerConfig {
	return PeerConfig{OriginHost: hssHost, OriginRealm: realm, Applications: []uint32{AppS6a}}
}

func clientConfig(host string) PeerConfig {
	return PeerConfig{OriginHost: host, OriginRealm: realm, Applications: []uint32{AppS6a}}
}

// startServer serves on a fresh loopback port until the test ends.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, s, ln)
}

func serveOn(t *testing.T, s *Server, ln net.Listener) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return ln.Addr().String()
}

// startClient runs c until the test ends and waits for its connection.
func startClient(t *testing.T, c *Client) *Peer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("client Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("client Run did not return")
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	p, err := c.WaitConnected(wctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newServer(t *testing.T, obs Observer, mod func(*PeerConfig)) *Server {
	t.Helper()
	cfg := serverConfig()
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewServer(cfg, WithLogger(quiet()), WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newClient(t *testing.T, addr, host string, mod func(*PeerConfig)) *Client {
	t.Helper()
	cfg := clientConfig(host)
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg, addr, WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// aiaHandler answers every AIR with one fixed vector.
func aiaHandler(_ context.Context, p *Peer, m *diam.Message) (*diam.Message, error) {
	air, err := ParseAIR(m)
	if err != nil {
		return nil, err
	}
	a := &AIA{AnswerHeader: AnswerHeader{SessionID: air.SessionID, OriginHost: p.Local().OriginHost,
		OriginRealm: p.Local().OriginRealm, Result: Success}, Vectors: []EUTRANVector{vector(0)}}
	return a.Build()
}

func air(t testing.TB, user string) *diam.Message {
	t.Helper()
	m, err := (&AIR{RequestHeader: req(NewSessionID(mmeHost), mmeHost, ""), UserName: user, VisitedPLMN: plmn(t), Vectors: 1}).Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
