package gtpu

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
)

// Handler receives the G-PDUs of one tunnel. h and payload alias the read
// buffer and are valid only during the call: copy what must outlive it.
// Calls come from the endpoint's read loops, one per socket
// (Config.Sockets). With one socket, the default, they come one at a
// time; with several, loops call handlers concurrently, so a handler must
// be safe for that. The G-PDUs of one peer (address and port) always come
// from the same loop, in order.
type Handler interface {
	HandleGPDU(src netip.AddrPort, h *Header, payload []byte)
}

// LoopHandler is a Handler told which read loop calls it: 0 <= loop <
// Config.Sockets. One loop's calls never overlap, so state kept per loop
// needs no lock. The endpoint calls HandleGPDUOn instead of HandleGPDU.
type LoopHandler interface {
	Handler
	HandleGPDUOn(loop int, src netip.AddrPort, h *Header, payload []byte)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(src netip.AddrPort, h *Header, payload []byte)

// HandleGPDU calls f.
func (f HandlerFunc) HandleGPDU(src netip.AddrPort, h *Header, payload []byte) { f(src, h, payload) }

// Config configures an Endpoint. The zero value listens on :2152 (IPv4).
type Config struct {
	// Addr is the UDP listen address; default ":2152". An IPv6 literal
	// host selects an IPv6 socket, anything else an IPv4 one.
	Addr string
	// AdvertiseAddr is our address in Error Indications. Default: the
	// bound address, or for a wildcard bind the packet's destination.
	AdvertiseAddr netip.Addr
	// Recovery is the restart counter sent in Echo Responses. TS 29.281
	// §8.2 says GTP-U senders put 0 there and receivers ignore it.
	Recovery uint8
	// PDUType is the PDU Session Container type Send adds: PDUTypeDL for
	// a UPF on N3, PDUTypeUL for a gNB.
	PDUType uint8
	// ErrorIndicationRate limits Error Indications sent for unknown TEIDs,
	// per second (default 100; negative: never send), with bursts of
	// ErrorIndicationBurst (default 10).
	ErrorIndicationRate  float64
	ErrorIndicationBurst int
	// Sockets is how many sockets share Addr (SO_REUSEPORT, Linux only),
	// each with a read loop of its own; default 1. The kernel picks the
	// socket by a hash of the peer's address and port.
	Sockets int
	// GSO lets batches (Batch) send a run of datagrams to one peer, all
	// of one length but the last, as one UDP GSO message (Linux 4.18+,
	// else ignored): the kernel's send path runs once per run instead of
	// once per datagram. The peer receives the datagrams as usual, but
	// packet captures along the path show each run as one large datagram.
	GSO bool
	// OnErrorIndication and OnEndMarker, when set, are called from the
	// read loops (concurrently when Sockets > 1) for every well-formed
	// Error Indication and End Marker.
	OnErrorIndication func(from netip.AddrPort, ei ErrorIndication)
	OnEndMarker       func(from netip.AddrPort, teid uint32)
	Logger            *slog.Logger
}

// Endpoint is one GTP-U address: its sockets (Config.Sockets of them)
// and their read loops. New binds it; Run reads until the context ends.
// Send, Echo and batches may be used from any goroutine once Run runs.
type Endpoint struct {
	cfg       Config
	log       *slog.Logger
	socks     []*net.UDPConn
	local     netip.AddrPort
	advertise netip.Addr
	ipv6      bool
	stats     Stats
	tunnels   tunnelTable

	echoMu   sync.Mutex
	echoWait map[uint16]echoWaiter
	seq      atomic.Uint32

	limiterMu sync.Mutex
	limiter   tokenBucket
	bufs      sync.Pool
	running   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

type echoWaiter struct {
	peer netip.AddrPort
	ch   chan uint8
}

// sendBufSize fits a 1500-octet packet plus GTP-U/UDP/IP headroom.
const sendBufSize = 2048

// New binds the endpoint's sockets.
func New(cfg Config) (*Endpoint, error) {
	if cfg.Addr == "" {
		cfg.Addr = fmt.Sprintf(":%d", Port)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PDUType > PDUTypeUL {
		return nil, fmt.Errorf("gtpu endpoint: PDU type %d: %w", cfg.PDUType, ErrBadPDUSession)
	}
	if cfg.Sockets < 0 {
		return nil, fmt.Errorf("gtpu endpoint: %d sockets", cfg.Sockets)
	}
	cfg.Sockets = max(cfg.Sockets, 1)
	socks, ipv6, err := listen(cfg.Addr, cfg.Sockets)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "gtpu", "addr", socks[0].LocalAddr().String()),
		socks:    socks,
		ipv6:     ipv6,
		echoWait: make(map[uint16]echoWaiter),
		limiter:  newTokenBucket(cfg.ErrorIndicationRate, cfg.ErrorIndicationBurst),
	}
	e.local = socks[0].LocalAddr().(*net.UDPAddr).AddrPort()
	e.bufs.New = func() any { b := make([]byte, 0, sendBufSize); return &b }
	if err := e.pickAdvertiseAddr(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// pickAdvertiseAddr settles our Error Indication address, or asks the
// kernel for each packet's destination when bound to a wildcard.
func (e *Endpoint) pickAdvertiseAddr() error {
	switch {
	case e.cfg.AdvertiseAddr.IsValid():
		e.advertise = e.cfg.AdvertiseAddr.Unmap()
	case !e.local.Addr().IsUnspecified():
		e.advertise = e.local.Addr().Unmap()
	default:
		for _, c := range e.socks {
			if err := enableDstInfo(c, e.ipv6); err != nil {
				return fmt.Errorf("gtpu endpoint %s: %w", e.local, err)
			}
		}
	}
	return nil
}

// Stats returns the live counters.
func (e *Endpoint) Stats() *Stats { return &e.stats }

// LocalAddr is the bound address.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.local }

// Sockets is how many sockets (and read loops) the endpoint has.
func (e *Endpoint) Sockets() int { return len(e.socks) }

// AddTunnel routes G-PDUs for teid to h.
func (e *Endpoint) AddTunnel(teid uint32, h Handler) error {
	if !e.tunnels.add(teid, h) {
		return fmt.Errorf("add tunnel %#x: %w", teid, ErrTunnelExists)
	}
	return nil
}

// RemoveTunnel forgets teid; it reports whether the tunnel existed. A
// read loop may still be inside the old handler when it returns.
func (e *Endpoint) RemoveTunnel(teid uint32) bool { return e.tunnels.remove(teid) }

// Run reads and dispatches datagrams, one loop per socket, until ctx
// ends, then closes the sockets. It returns nil after cancellation.
func (e *Endpoint) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("gtpu endpoint: Run called twice")
	}
	readers := make([]*reader, len(e.socks))
	for i, c := range e.socks {
		ring, err := newRxRing(c, readBatchSize)
		if err != nil {
			e.Close()
			return fmt.Errorf("gtpu endpoint %s: %w", e.local, err)
		}
		readers[i] = e.newReader(i, ring)
	}
	stop := context.AfterFunc(ctx, func() { e.Close() })
	defer stop()
	errs := make([]error, len(readers))
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() {
			errs[i] = r.run()
			e.Close() // one loop failing stops them all
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

// Close releases the sockets; Run then returns.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		var errs []error
		for _, c := range e.socks {
			errs = append(errs, c.Close())
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// Send encapsulates payload in a G-PDU for teid with a PDU Session
// Container of type Config.PDUType carrying qfi. It does not allocate.
func (e *Endpoint) Send(dst netip.AddrPort, teid uint32, qfi uint8, payload []byte) error {
	var h Header
	h.Type = MsgGPDU
	h.TEID = teid
	h.SetPDUSession(PDUSessionInfo{PDUType: e.cfg.PDUType, QFI: qfi})
	return e.SendHeader(dst, &h, payload)
}

// SendHeader sends payload behind header h (any type, any extensions).
func (e *Endpoint) SendHeader(dst netip.AddrPort, h *Header, payload []byte) error {
	bp := e.bufs.Get().(*[]byte)
	pkt, err := Append((*bp)[:0], h, payload)
	if err != nil {
		e.bufs.Put(bp)
		return fmt.Errorf("gtpu send to %s TEID %#x: %w", dst, h.TEID, err)
	}
	err = e.WritePacket(dst, pkt)
	if cap(pkt) == sendBufSize { // keep oversized buffers out of the pool
		*bp = pkt[:0]
		e.bufs.Put(bp)
	}
	return err
}

// WritePacket sends an already encoded message, such as one built with
// Prepend in the caller's own buffer. To send many, use a Batch.
func (e *Endpoint) WritePacket(dst netip.AddrPort, pkt []byte) error {
	return e.writeOn(0, dst, pkt)
}

// writeOn sends pkt from socket i.
func (e *Endpoint) writeOn(i int, dst netip.AddrPort, pkt []byte) error {
	dst, err := e.checkDst(dst)
	if err != nil {
		return err
	}
	n, err := e.socks[i].WriteToUDPAddrPort(pkt, dst)
	if err != nil {
		e.stats.TxErrors.Add(1)
		return fmt.Errorf("gtpu send to %s: %w", dst, err)
	}
	e.stats.TxPackets.Add(1)
	e.stats.TxBytes.Add(uint64(n))
	return nil
}

// checkDst unmaps dst and refuses the other address family (counted).
func (e *Endpoint) checkDst(dst netip.AddrPort) (netip.AddrPort, error) {
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	if dst.Addr().Is4() == e.ipv6 {
		e.stats.TxErrors.Add(1)
		return dst, fmt.Errorf("gtpu send to %s: %w", dst, ErrUnsupportedAddr)
	}
	return dst, nil
}

// SendEndMarker tells dst that tunnel teid ends here (TS 29.281 §7.3.2).
func (e *Endpoint) SendEndMarker(dst netip.AddrPort, teid uint32) error {
	return e.WritePacket(dst, AppendEndMarker(nil, teid))
}

// Echo sends an Echo Request to dst and waits for the matching response
// until ctx ends; it returns the peer's Recovery value. Path supervision
// calls it periodically with a timeout in ctx.
func (e *Endpoint) Echo(ctx context.Context, dst netip.AddrPort) (uint8, error) {
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	seq := uint16(e.seq.Add(1))
	ch := make(chan uint8, 1)
	e.echoMu.Lock()
	e.echoWait[seq] = echoWaiter{peer: dst, ch: ch}
	e.echoMu.Unlock()
	defer func() {
		e.echoMu.Lock()
		delete(e.echoWait, seq)
		e.echoMu.Unlock()
	}()
	if err := e.WritePacket(dst, AppendEchoRequest(nil, seq)); err != nil {
		return 0, fmt.Errorf("echo request: %w", err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("echo %s: %w", dst, ctx.Err())
	}
}

// allowErrorIndication applies the Error Indication rate limit; the read
// loops share it.
func (e *Endpoint) allowErrorIndication(now time.Time) bool {
	e.limiterMu.Lock()
	defer e.limiterMu.Unlock()
	return e.limiter.allow(now)
}

// tokenBucket limits Error Indications (under Endpoint.limiterMu).
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int) tokenBucket {
	if rate == 0 {
		rate = 100
	}
	if burst <= 0 {
		burst = 10
	}
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

func (t *tokenBucket) allow(now time.Time) bool {
	if t.rate < 0 {
		return false
	}
	if !t.last.IsZero() {
		t.tokens = min(t.burst, t.tokens+now.Sub(t.last).Seconds()*t.rate)
	}
	t.last = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}
