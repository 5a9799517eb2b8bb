package ue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// RFC 3261 timers (17.1.1.1): T1 the RTT estimate, T2 the cap of
// non-INVITE retransmissions; a transaction gives up after 64*T1.
const (
	sipT1      = 500 * time.Millisecond
	sipT2      = 4 * time.Second
	sipTimeout = 64 * sipT1
	maxSIPSize = 65535
)

var errSIPTimeout = errors.New("sip transaction timeout (64*T1)")

// parseSIP reads one datagram as a SIP message that has every header a
// transaction needs (Via with a branch, From, To, Call-ID, CSeq).
// sipgo's parser may panic on some inputs: that is contained here.
func parseSIP(b []byte) (m sip.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("sip parser panic: %v", r)
		}
	}()
	m, err = sip.ParseMessage(b)
	if err != nil {
		return nil, fmt.Errorf("parse sip: %w", err)
	}
	var via *sip.ViaHeader
	var cseq *sip.CSeqHeader
	switch v := m.(type) {
	case *sip.Request:
		via, cseq = v.Via(), v.CSeq()
		if v.From() == nil || v.To() == nil || v.CallID() == nil {
			return nil, errors.New("sip request without From, To or Call-ID")
		}
		if cseq != nil && cseq.MethodName != v.Method {
			return nil, fmt.Errorf("sip request %s with CSeq method %s", v.Method, cseq.MethodName)
		}
	case *sip.Response:
		via, cseq = v.Via(), v.CSeq()
		if v.From() == nil || v.To() == nil || v.CallID() == nil {
			return nil, errors.New("sip response without From, To or Call-ID")
		}
	default:
		return nil, fmt.Errorf("sip message of type %T", m)
	}
	if via == nil || cseq == nil {
		return nil, errors.New("sip message without Via or CSeq")
	}
	if b, ok := via.Params.Get("branch"); !ok || b == "" {
		return nil, errors.New("sip message without a Via branch")
	}
	return m, nil
}

// txKey names a transaction: the top Via branch and the CSeq method
// (RFC 3261 17.1.3, 17.2.3; ACK to a non-2xx shares the INVITE's).
func txKey(m sip.Message) string {
	var via *sip.ViaHeader
	var cseq *sip.CSeqHeader
	switch v := m.(type) {
	case *sip.Request:
		via, cseq = v.Via(), v.CSeq()
	case *sip.Response:
		via, cseq = v.Via(), v.CSeq()
	}
	branch, _ := via.Params.Get("branch")
	return branch + "/" + string(cseq.MethodName)
}

// sipConn is a UE's SIP over UDP: one socket towards the P-CSCF (the
// outbound proxy of every request), client transactions with RFC 3261
// retransmissions, and a cache of the last response of each server
// transaction so retransmitted requests get the same answer.
type sipConn struct {
	pc        net.PacketConn
	proxy     net.Addr
	log       *slog.Logger
	malformed func(reason string)

	// onRequest takes a new request (not a retransmission; ACKs always).
	onRequest func(req *sip.Request, from net.Addr)
	// onStray takes a response no transaction waits for (a 2xx to an
	// INVITE retransmitted after the transaction ended).
	onStray func(res *sip.Response)

	mu      sync.Mutex
	clients map[string]chan *sip.Response
	servers map[string]*serverTx
}

type serverTx struct {
	last    []byte
	to      net.Addr
	created time.Time
}

func newSIPConn(pc net.PacketConn, proxy net.Addr, log *slog.Logger, malformed func(string)) *sipConn {
	return &sipConn{pc: pc, proxy: proxy, log: log, malformed: malformed,
		clients: map[string]chan *sip.Response{}, servers: map[string]*serverTx{}}
}

// localAddr is the bound socket address.
func (c *sipConn) localAddr() net.Addr { return c.pc.LocalAddr() }

// serve reads until the socket is closed.
func (c *sipConn) serve() {
	buf := make([]byte, maxSIPSize)
	for {
		n, from, err := c.pc.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				c.log.Debug("sip read", "err", err)
			}
			return
		}
		c.handle(append([]byte(nil), buf[:n]...), from)
	}
}

// handle dispatches one datagram.
func (c *sipConn) handle(b []byte, from net.Addr) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return // keep-alive (RFC 5626 CRLF)
	}
	m, err := parseSIP(b)
	if err != nil {
		c.malformed("parse")
		c.log.Debug("malformed sip dropped", "from", from.String(), "err", err)
		return
	}
	switch v := m.(type) {
	case *sip.Response:
		c.mu.Lock()
		ch := c.clients[txKey(v)]
		c.mu.Unlock()
		if ch == nil {
			if c.onStray != nil {
				c.onStray(v)
			}
			return
		}
		select {
		case ch <- v:
		default: // the transaction's queue is full: a retransmission will come
		}
	case *sip.Request:
		if v.IsAck() {
			c.onRequest(v, from)
			return
		}
		if c.retransmitted(v, from) {
			return
		}
		c.onRequest(v, from)
	}
}

// retransmitted answers a request we have seen with our last response
// to it; a new request opens a server transaction.
func (c *sipConn) retransmitted(req *sip.Request, from net.Addr) bool {
	key := txKey(req)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.servers[key]; st != nil {
		if st.last != nil {
			c.write(st.last, st.to)
		}
		return true
	}
	for k, st := range c.servers {
		if now.Sub(st.created) > sipTimeout {
			delete(c.servers, k)
		}
	}
	c.servers[key] = &serverTx{to: from, created: now}
	return false
}

// respond sends res in the server transaction of req and keeps it for
// retransmissions of req.
func (c *sipConn) respond(req *sip.Request, res *sip.Response) error {
	b := []byte(res.String())
	key := txKey(req)
	c.mu.Lock()
	st := c.servers[key]
	if st == nil {
		st = &serverTx{created: time.Now(), to: c.proxy}
		c.servers[key] = st
	}
	st.last = b
	to := st.to
	c.mu.Unlock()
	return c.send(b, to)
}

func (c *sipConn) write(b []byte, to net.Addr) {
	if _, err := c.pc.WriteTo(b, to); err != nil {
		c.log.Debug("sip write", "to", to.String(), "err", err)
	}
}

func (c *sipConn) send(b []byte, to net.Addr) error {
	if _, err := c.pc.WriteTo(b, to); err != nil {
		return fmt.Errorf("sip send to %s: %w", to, err)
	}
	return nil
}

// sendRaw sends a request outside any transaction (ACK to a 2xx).
func (c *sipConn) sendRaw(req *sip.Request) error { return c.send([]byte(req.String()), c.proxy) }

// do runs a client transaction to the proxy: it retransmits req (INVITE
// until a provisional response; others until the final, at T2 after a
// provisional), hands provisional responses to provisional, and returns
// the final response. A non-2xx final response to an INVITE is ACKed
// here (17.1.1.3).
func (c *sipConn) do(ctx context.Context, req *sip.Request, provisional func(*sip.Response)) (*sip.Response, error) {
	key := txKey(req)
	ch := make(chan *sip.Response, 16)
	c.mu.Lock()
	c.clients[key] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.clients, key)
		c.mu.Unlock()
	}()
	raw := []byte(req.String())
	if err := c.send(raw, c.proxy); err != nil {
		return nil, err
	}
	interval := sipT1
	retransmit := time.NewTimer(interval)
	defer retransmit.Stop()
	giveUp := time.NewTimer(sipTimeout)
	defer giveUp.Stop()
	for {
		select {
		case res := <-ch:
			if res.StatusCode >= 200 {
				if req.IsInvite() && res.StatusCode >= 300 {
					c.ackNon2xx(req, res)
				}
				return res, nil
			}
			if provisional != nil {
				provisional(res)
			}
			if req.IsInvite() {
				retransmit.Stop()
				giveUp.Stop() // Timer B only runs until a provisional response
			} else {
				interval = sipT2
			}
		case <-retransmit.C:
			c.write(raw, c.proxy)
			interval *= 2
			if !req.IsInvite() {
				interval = min(interval, sipT2)
			}
			retransmit.Reset(interval)
		case <-giveUp.C:
			return nil, fmt.Errorf("%s: %w", req.Method, errSIPTimeout)
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", req.Method, ctx.Err())
		}
	}
}

// ackNon2xx builds the hop-by-hop ACK of 17.1.1.3: the INVITE's Request-
// URI, top Via, From, Call-ID, CSeq number and Route, the response's To.
func (c *sipConn) ackNon2xx(inv *sip.Request, res *sip.Response) {
	ack := sip.NewRequest(sip.ACK, *inv.Recipient.Clone())
	ack.AppendHeader(inv.Via().Clone())
	for _, h := range inv.GetHeaders("Route") {
		ack.AppendHeader(sip.HeaderClone(h))
	}
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	ack.SetBody(nil)
	if err := c.sendRaw(ack); err != nil {
		c.log.Debug("ack non-2xx", "err", err)
	}
}

func (c *sipConn) close() error { return c.pc.Close() }
