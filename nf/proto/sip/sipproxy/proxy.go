// Package sipproxy is the stateful SIP proxy core the CSCFs share (RFC
// 3261 16): prepare a request for forwarding (loose routing, Max-Forwards,
// Record-Route, Via), relay the responses of its client transaction to
// the server transaction, propagate CANCEL, and forward ACKs for 2xx
// statelessly. Routing decisions stay with the caller.
package sipproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Timeouts of a forwarded transaction: Timer C for INVITE (RFC 3261
// 16.6 step 11, above 3 minutes) and 64*T1 for the others.
const (
	InviteTimeout    = 181 * time.Second
	NonInviteTimeout = 32 * time.Second
)

// ErrTooManyHops: Max-Forwards reached 0 (483).
var ErrTooManyHops = errors.New("sipproxy: too many hops")

// Proxy forwards requests through a sipgo client.
type Proxy struct {
	client *sipgo.Client
	log    *slog.Logger
	self   func(sip.Uri) bool
	rr     func(transport string) sip.Uri

	wg       sync.WaitGroup
	inflight atomic.Int64
}

// New builds a proxy sending with client; self tells our own URIs (a
// Route naming us is removed) and recordRoute gives our Record-Route
// URI for a transport.
func New(client *sipgo.Client, log *slog.Logger, self func(sip.Uri) bool, recordRoute func(transport string) sip.Uri) *Proxy {
	return &Proxy{client: client, log: log, self: self, rr: recordRoute}
}

// InFlight is the number of transactions being relayed.
func (p *Proxy) InFlight() int { return int(p.inflight.Load()) }

// Wait blocks until background CANCELs are done.
func (p *Proxy) Wait() { p.wg.Wait() }

// Prepare clones req for forwarding: Route entries naming us are removed
// (and returned, outermost first) and Max-Forwards decremented.
func (p *Proxy) Prepare(req *sip.Request) (fwd *sip.Request, popped []sip.Uri, err error) {
	fwd = req.Clone()
	for {
		r := fwd.Route()
		if r == nil || !p.self(r.Address) {
			break
		}
		popped = append(popped, *r.Address.Clone())
		fwd.RemoveHeader("Route")
	}
	if mf := fwd.MaxForwards(); mf != nil {
		if mf.Val() <= 1 {
			return nil, popped, ErrTooManyHops
		}
		mf.Dec()
	} else {
		m := sip.MaxForwardsHeader(70)
		fwd.AppendHeader(&m)
	}
	return fwd, popped, nil
}

// Retarget sets fwd's Request-URI to target and puts routes (URIs,
// outermost first, e.g. a Path) in front of its Route set.
func Retarget(fwd *sip.Request, target sip.Uri, routes []string) error {
	var hs []sip.Header
	for _, r := range routes {
		var u sip.Uri
		if err := sip.ParseUri(strings.Trim(strings.TrimSpace(r), "<>"), &u); err != nil {
			return fmt.Errorf("route %q: %w", r, err)
		}
		hs = append(hs, &sip.RouteHeader{Address: u})
	}
	fwd.Recipient = target
	// One at a time, innermost first: sipgo's Route() is the header
	// prepended last.
	for i := len(hs) - 1; i >= 0; i-- {
		fwd.PrependHeader(hs[i])
	}
	return nil
}

// finish resets what Clone copied from the received message, so the
// transport layer sends fwd where its Route set or Request-URI says.
func finish(fwd *sip.Request) {
	fwd.SetDestination("")
	fwd.SetSource("")
	fwd.Laddr = sip.Addr{}
	uri := fwd.Recipient
	if r := fwd.Route(); r != nil {
		uri = r.Address
	}
	tp := "UDP"
	if v, ok := uri.UriParams.Get("transport"); ok && v != "" {
		tp = strings.ToUpper(v)
	}
	fwd.SetTransport(tp)
}

// SpentACK reports whether fwd, an ACK from Prepare, is the hop-by-hop
// ACK of a non-2xx final response whose transaction has already ended
// here: no Route is left and the Request-URI is still the callee's
// address of record in domain (an ACK for a 2xx follows the dialog's
// route to the remote target, a contact). It is absorbed: forwarding it
// would resolve the home domain in DNS.
func SpentACK(fwd *sip.Request, domain string) bool {
	return fwd.Route() == nil && strings.EqualFold(fwd.Recipient.Host, domain)
}

// Stateless sends fwd without a transaction (ACK for a 2xx).
func (p *Proxy) Stateless(fwd *sip.Request) error {
	finish(fwd)
	if err := p.client.WriteRequest(fwd, sipgo.ClientRequestAddVia); err != nil {
		return fmt.Errorf("forward %s: %w", fwd.Method, err)
	}
	return nil
}

// Relay forwards fwd (from Prepare) in a client transaction and relays
// its responses to tx, the server transaction of req, until a final
// response; recordRoute keeps us on the dialog's path. It returns when
// the transaction is over; the error says why none was relayed.
func (p *Proxy) Relay(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, fwd *sip.Request, recordRoute bool) error {
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	timeout := NonInviteTimeout
	if req.IsInvite() {
		timeout = InviteTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	finish(fwd)
	if recordRoute {
		fwd.PrependHeader(&sip.RecordRouteHeader{Address: p.rr(fwd.Transport())})
	}
	ct, err := p.client.TransactionRequest(ctx, fwd, sipgo.ClientRequestAddVia)
	if err != nil {
		p.reply(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
		return fmt.Errorf("forward %s to %s: %w", req.Method, fwd.Recipient.String(), err)
	}
	defer ct.Terminate()
	cancels := make(chan struct{}, 1)
	if req.IsInvite() {
		tx.OnCancel(func(*sip.Request) {
			select {
			case cancels <- struct{}{}:
			default:
			}
		})
	}
	for {
		select {
		case res, ok := <-ct.Responses():
			if !ok {
				return nil
			}
			if res.StatusCode == sip.StatusTrying {
				continue
			}
			p.respond(tx, req, res)
			if res.StatusCode >= 200 {
				return nil
			}
		case <-cancels:
			p.cancel(ctx, fwd)
		case <-ct.Done():
			if err := ct.Err(); err != nil {
				p.reply(tx, req, sip.StatusRequestTimeout, "Request Timeout")
				return fmt.Errorf("forward %s to %s: %w", req.Method, fwd.Recipient.String(), err)
			}
			return nil
		case <-ctx.Done():
			p.reply(tx, req, sip.StatusRequestTimeout, "Request Timeout")
			return fmt.Errorf("forward %s: %w", req.Method, ctx.Err())
		}
	}
}

// respond relays res upstream without our Via.
func (p *Proxy) respond(tx sip.ServerTransaction, req *sip.Request, res *sip.Response) {
	out := res.Clone()
	out.RemoveHeader("Via")
	out.SetDestination(req.Source())
	out.SetTransport(req.Transport())
	if err := tx.Respond(out); err != nil {
		p.log.Debug("relay response", "status", res.StatusCode, "err", err)
	}
}

// cancel sends CANCEL for the forwarded INVITE fwd (RFC 3261 16.10).
func (p *Proxy) cancel(ctx context.Context, fwd *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, *fwd.Recipient.Clone())
	if v := fwd.Via(); v != nil {
		c.AppendHeader(v.Clone())
	}
	for _, h := range fwd.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	for _, name := range []string{"From", "To", "Call-ID"} {
		if h := fwd.GetHeader(name); h != nil {
			c.AppendHeader(sip.HeaderClone(h))
		}
	}
	if cs := fwd.CSeq(); cs != nil {
		c.AppendHeader(&sip.CSeqHeader{SeqNo: cs.SeqNo, MethodName: sip.CANCEL})
	}
	c.SetBody(nil)
	c.SetTransport(fwd.Transport())
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), NonInviteTimeout)
		defer cancel()
		noop := func(*sipgo.Client, *sip.Request) error { return nil }
		if _, err := p.client.Do(cctx, c, noop); err != nil {
			p.log.Info("CANCEL downstream", "call_id", c.CallID(), "err", err)
		}
	}()
}

// Reply answers req on tx with a response of ours; hdrs are added. A
// final response other than 100 gets a To tag when the request had none.
func Reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) error {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if to := res.To(); to != nil && code > 100 {
		if _, ok := to.Params.Get("tag"); !ok {
			to.Params.Add("tag", sip.GenerateTagN(16))
		}
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		return fmt.Errorf("respond %d to %s: %w", code, req.Method, err)
	}
	return nil
}

// reply is Reply, logging a failure (the transaction may be gone).
func (p *Proxy) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	if err := Reply(tx, req, code, reason); err != nil {
		p.log.Debug("reply", "err", err)
	}
}
