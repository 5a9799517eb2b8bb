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
// Calls come from the endpoint's read loop, one at a time.
type Handler interface {
	HandleGPDU(src netip.AddrPort, h *Header, payload []byte)
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
	// OnErrorIndication and OnEndMarker, when set, are called from the
	// read loop for every well-formed Error Indication and End Marker.
	OnErrorIndication func(from netip.AddrPort, ei ErrorIndication)
	OnEndMarker       func(from netip.AddrPort, teid uint32)
	Logger            *slog.Logger
}

// Endpoint is one GTP-U socket. New binds it; Run reads until the context
// ends. Send and Echo may be called from any goroutine once Run runs.
type Endpoint struct {
	cfg       Config
	log       *slog.Logger
	conn      *net.UDPConn
	local     netip.AddrPort
	advertise netip.Addr
	ipv6      bool
	stats     Stats

	tunnelsMu sync.RWMutex
	tunnels   map[uint32]Handler

	echoMu   sync.Mutex
	echoWait map[uint16]echoWaiter
	seq      atomic.Uint32

	limiter   tokenBucket
	bufs      sync.Pool
	hdr       Header // the read loop's header, reused for every packet
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

// New binds the endpoint's socket.
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
	conn, ipv6, err := listen(cfg.Addr)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "gtpu", "addr", conn.LocalAddr().String()),
		conn:     conn,
		ipv6:     ipv6,
		tunnels:  make(map[uint32]Handler),
		echoWait: make(map[uint16]echoWaiter),
		limiter:  newTokenBucket(cfg.ErrorIndicationRate, cfg.ErrorIndicationBurst),
	}
	e.local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	e.bufs.New = func() any { b := make([]byte, 0, sendBufSize); return &b }
	if err := e.pickAdvertiseAddr(); err != nil {
		conn.Close()
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
		if err := enableDstInfo(e.conn, e.ipv6); err != nil {
			return fmt.Errorf("gtpu endpoint %s: %w", e.local, err)
		}
	}
	return nil
}

// Stats returns the live counters.
func (e *Endpoint) Stats() *Stats { return &e.stats }

// LocalAddr is the bound address.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.local }

// AddTunnel routes G-PDUs for teid to h.
func (e *Endpoint) AddTunnel(teid uint32, h Handler) error {
	e.tunnelsMu.Lock()
	defer e.tunnelsMu.Unlock()
	if _, ok := e.tunnels[teid]; ok {
		return fmt.Errorf("add tunnel %#x: %w", teid, ErrTunnelExists)
	}
	e.tunnels[teid] = h
	return nil
}

// RemoveTunnel forgets teid; it reports whether the tunnel existed.
func (e *Endpoint) RemoveTunnel(teid uint32) bool {
	e.tunnelsMu.Lock()
	defer e.tunnelsMu.Unlock()
	_, ok := e.tunnels[teid]
	delete(e.tunnels, teid)
	return ok
}

func (e *Endpoint) tunnel(teid uint32) Handler {
	e.tunnelsMu.RLock()
	h := e.tunnels[teid]
	e.tunnelsMu.RUnlock()
	return h
}

// Run reads and dispatches datagrams until ctx ends, then closes the
// socket. It returns nil after cancellation.
func (e *Endpoint) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("gtpu endpoint: Run called twice")
	}
	stop := context.AfterFunc(ctx, func() { e.Close() })
	defer stop()
	err := e.readLoop()
	e.Close()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Close releases the socket; Run then returns.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.conn.Close() })
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
// Prepend in the caller's own buffer.
func (e *Endpoint) WritePacket(dst netip.AddrPort, pkt []byte) error {
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	if dst.Addr().Is4() == e.ipv6 {
		e.stats.TxErrors.Add(1)
		return fmt.Errorf("gtpu send to %s: %w", dst, ErrUnsupportedAddr)
	}
	n, err := e.conn.WriteToUDPAddrPort(pkt, dst)
	if err != nil {
		e.stats.TxErrors.Add(1)
		return fmt.Errorf("gtpu send to %s: %w", dst, err)
	}
	e.stats.TxPackets.Add(1)
	e.stats.TxBytes.Add(uint64(n))
	return nil
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

// tokenBucket limits Error Indications; only the read loop uses it.
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
