package scscftest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// Timeout bounds every exchange of a UE.
const Timeout = 10 * time.Second

// UE is a SIP user agent with a USIM, listening on UDP loopback.
type UE struct {
	t    testing.TB
	Sub  Subscriber
	Addr string // our bound UDP address
	// Proxy is where REGISTER goes (the S-CSCF or the I-CSCF).
	Proxy string
	// Ring makes incoming INVITEs ring (180) and wait for a CANCEL
	// instead of being answered 200.
	Ring atomic.Bool
	// Card answers challenges; a USIMCard unless replaced.
	Card ims.AKACard
	// TCP sends REGISTER over TCP (the contact stays UDP).
	TCP bool

	ep           *ims.Endpoint
	tag, callID  string
	cseq         atomic.Uint32
	ServiceRoute []string

	Invites, Acks, Byes, Notifies, Cancels chan *sip.Request

	mu      sync.Mutex
	dialogs map[string]calleeDialog // call-id -> what we answered
}

type calleeDialog struct {
	invite *sip.Request
	tag    string
}

// NewUE starts a UE for sub sending REGISTER to proxy; its USIM starts
// as if highest had been accepted.
func NewUE(t testing.TB, sub Subscriber, proxy string, highest aka.SQN) *UE {
	t.Helper()
	usim, err := aka.NewUSIM(aka.USIMConfig{K: MustHex(t, K), OPc: MustHex(t, OPc), SUPI: "imsi-" + sub.IMSI, HighestSQN: highest})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := ims.NewEndpoint(Host, "ue-"+sub.IMSI, nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	u := &UE{t: t, Sub: sub, Proxy: proxy, Card: ims.USIMCard{USIM: usim}, ep: ep, tag: sip.GenerateTagN(8),
		callID: "reg-" + sip.GenerateTagN(12), dialogs: map[string]calleeDialog{},
		Invites: make(chan *sip.Request, 8), Acks: make(chan *sip.Request, 8), Byes: make(chan *sip.Request, 8),
		Notifies: make(chan *sip.Request, 32), Cancels: make(chan *sip.Request, 8)}
	ep.Handle(sip.INVITE, u.onInvite)
	ep.Handle(sip.ACK, func(r *sip.Request, _ sip.ServerTransaction) { u.Acks <- r })
	ep.Handle(sip.BYE, u.okAndQueue(u.Byes))
	ep.Handle(sip.NOTIFY, u.okAndQueue(u.Notifies))
	ctx, cancel := context.WithCancel(context.Background())
	addr, done, err := ep.Listen(ctx, "udp", 0)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		if err := ep.Close(); err != nil {
			t.Errorf("ue close: %v", err)
		}
	})
	u.Addr = addr
	return u
}

// Contact is our contact URI.
func (u *UE) Contact() string { return "sip:" + u.Sub.IMSI + "@" + u.Addr }

func uri(t testing.TB, s string) sip.Uri {
	t.Helper()
	var v sip.Uri
	if err := sip.ParseUri(s, &v); err != nil {
		t.Fatalf("uri %q: %v", s, err)
	}
	return v
}

func (u *UE) okAndQueue(q chan *sip.Request) func(*sip.Request, sip.ServerTransaction) {
	return func(r *sip.Request, tx sip.ServerTransaction) {
		if err := tx.Respond(sip.NewResponseFromRequest(r, sip.StatusOK, "OK", nil)); err != nil {
			u.t.Errorf("ue respond %s: %v", r.Method, err)
		}
		q <- r
	}
}

func (u *UE) onInvite(r *sip.Request, tx sip.ServerTransaction) {
	tag := sip.GenerateTagN(8)
	u.mu.Lock()
	u.dialogs[r.CallID().Value()] = calleeDialog{invite: r, tag: tag}
	u.mu.Unlock()
	u.Invites <- r
	code, reason := sip.StatusOK, "OK"
	if u.Ring.Load() {
		code, reason = sip.StatusRinging, "Ringing"
		tx.OnCancel(func(c *sip.Request) { u.Cancels <- c })
	}
	res := sip.NewResponseFromRequest(r, code, reason, nil)
	res.To().Params.Add("tag", tag)
	res.AppendHeader(sip.NewHeader("Contact", "<"+u.Contact()+">"))
	if err := tx.Respond(res); err != nil {
		u.t.Errorf("ue answer INVITE: %v", err)
	}
	if code == sip.StatusRinging {
		// sipgo ends the transaction when the handler returns: ring on
		// until the CANCEL.
		select {
		case <-tx.Done():
		case <-time.After(Timeout):
		}
	}
}

func (u *UE) header(req *sip.Request, to sip.Uri, toTag string) {
	from := &sip.FromHeader{Address: uri(u.t, u.Sub.IMPU()), Params: sip.HeaderParams{{K: "tag", V: u.tag}}}
	th := &sip.ToHeader{Address: to, Params: sip.NewParams()}
	if toTag != "" {
		th.Params.Add("tag", toTag)
	}
	req.AppendHeader(from)
	req.AppendHeader(th)
}

// Register runs a registration (with its AKA round) asking for expires
// seconds; tamper, when set, spoils the credentials.
func (u *UE) Register(expires int, tamper func(*ims.Authorization)) *sip.Response {
	u.t.Helper()
	auth := ims.InitialAuthorization(u.Sub.IMPI(), Domain, "sip:"+Domain)
	for range 3 {
		res := u.sendRegister(expires, auth.String())
		if res.StatusCode != sip.StatusUnauthorized {
			if res.StatusCode == sip.StatusOK {
				u.ServiceRoute = nil
				for _, h := range res.GetHeaders(ims.HeaderServiceRoute) {
					l, err := ims.ParseNameAddrList(h.Value())
					if err != nil {
						u.t.Fatalf("Service-Route: %v", err)
					}
					u.ServiceRoute = append(u.ServiceRoute, l.URIs()...)
				}
			}
			return res
		}
		h := res.GetHeader(ims.HeaderWWWAuthenticate)
		if h == nil {
			u.t.Fatal("401 without WWW-Authenticate")
		}
		c, err := ims.ParseChallenge(h.Value())
		if err != nil {
			u.t.Fatal(err)
		}
		if c.CK == "" || c.IK == "" {
			u.t.Errorf("challenge without ck/ik for the P-CSCF: %s", h.Value())
		}
		a, err := ims.AnswerAKA(c, u.Card, u.Sub.IMPI(), "REGISTER", "sip:"+Domain, 1)
		if err != nil {
			u.t.Fatal(err)
		}
		auth = a.Authorization
		if tamper != nil && !a.Resync {
			tamper(&auth)
		}
	}
	u.t.Fatal("registration did not end after 3 challenges")
	return nil
}

func (u *UE) sendRegister(expires int, auth string) *sip.Response {
	u.t.Helper()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: Domain})
	u.header(req, uri(u.t, u.Sub.IMPU()), "")
	cid := sip.CallIDHeader(u.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: u.cseq.Add(1), MethodName: sip.REGISTER})
	req.AppendHeader(sip.NewHeader("Contact", "<"+u.Contact()+">"))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	req.AppendHeader(sip.NewHeader(ims.HeaderAuthorization, auth))
	req.SetDestination(u.Proxy)
	if u.TCP {
		req.SetTransport("TCP")
	}
	return u.do(req)
}

func (u *UE) do(req *sip.Request, opts ...sipgo.ClientRequestOption) *sip.Response {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	res, err := u.ep.Client.Do(ctx, req, opts...)
	if err != nil {
		u.t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

// SubscribeReg subscribes to our own reg event through our
// Service-Route.
func (u *UE) SubscribeReg(expires int) *sip.Response { return u.SubscribeRegOf(u.Sub.IMPU(), expires) }

// SubscribeRegOf subscribes to the reg event of impu.
func (u *UE) SubscribeRegOf(impu string, expires int) *sip.Response {
	u.t.Helper()
	req := sip.NewRequest(sip.SUBSCRIBE, uri(u.t, impu))
	u.routes(req)
	u.header(req, uri(u.t, impu), "")
	cid := sip.CallIDHeader("sub-" + sip.GenerateTagN(12))
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(sip.NewHeader("Contact", "<"+u.Contact()+">"))
	req.AppendHeader(sip.NewHeader("Event", "reg"))
	req.AppendHeader(sip.NewHeader("Accept", ims.ContentTypeRegInfo))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	return u.do(req)
}

func (u *UE) routes(req *sip.Request) {
	for _, r := range u.ServiceRoute {
		req.AppendHeader(&sip.RouteHeader{Address: uri(u.t, r)})
	}
	if len(u.ServiceRoute) == 0 {
		req.SetDestination(u.Proxy)
	}
}

// Call is an INVITE we sent.
type Call struct {
	u   *UE
	Req *sip.Request
	Tx  sip.ClientTransaction
	Res *sip.Response // the final response
}

// Invite calls to through our Service-Route (or Proxy, unregistered).
func (u *UE) Invite(to string) *Call {
	u.t.Helper()
	req := sip.NewRequest(sip.INVITE, uri(u.t, to))
	u.routes(req)
	u.header(req, uri(u.t, to), "")
	cid := sip.CallIDHeader("call-" + sip.GenerateTagN(12))
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	req.AppendHeader(sip.NewHeader("Contact", "<"+u.Contact()+">"))
	req.SetBody(nil)
	tx, err := u.ep.Client.TransactionRequest(context.Background(), req)
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(tx.Terminate)
	return &Call{u: u, Req: req, Tx: tx}
}

// Await waits for a response of at least code (provisional ones below
// are skipped) and returns it.
func (c *Call) Await(code int) *sip.Response {
	c.u.t.Helper()
	deadline := time.After(Timeout)
	for {
		select {
		case res := <-c.Tx.Responses():
			if res.StatusCode >= 200 {
				c.Res = res
			}
			if res.StatusCode >= code {
				return res
			}
		case <-c.Tx.Done():
			c.u.t.Fatalf("INVITE transaction ended: %v", c.Tx.Err())
		case <-deadline:
			c.u.t.Fatalf("no response >= %d to INVITE", code)
		}
	}
}

// inDialog builds a request of the caller's dialog after a 2xx.
func (c *Call) inDialog(method sip.RequestMethod, seq uint32) *sip.Request {
	res := c.Res
	req := sip.NewRequest(method, *res.Contact().Address.Clone())
	rr := res.GetHeaders("Record-Route")
	for _, h := range slices.Backward(rr) {
		req.AppendHeader(&sip.RouteHeader{Address: h.(*sip.RecordRouteHeader).Address})
	}
	req.AppendHeader(sip.HeaderClone(c.Req.From()))
	req.AppendHeader(sip.HeaderClone(res.To()))
	req.AppendHeader(sip.HeaderClone(c.Req.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.SetBody(nil)
	return req
}

// Ack acknowledges the 2xx end to end.
func (c *Call) Ack() {
	c.u.t.Helper()
	if err := c.u.ep.Client.WriteRequest(c.inDialog(sip.ACK, 1)); err != nil {
		c.u.t.Fatal(err)
	}
}

// Bye hangs up from the caller's side.
func (c *Call) Bye() *sip.Response { return c.u.do(c.inDialog(sip.BYE, 2)) }

// Cancel cancels the pending INVITE.
func (c *Call) Cancel() *sip.Response {
	c.u.t.Helper()
	req := sip.NewRequest(sip.CANCEL, *c.Req.Recipient.Clone())
	req.AppendHeader(c.Req.Via().Clone())
	for _, h := range c.Req.GetHeaders("Route") {
		req.AppendHeader(sip.HeaderClone(h))
	}
	for _, h := range []sip.Header{c.Req.From(), c.Req.To(), c.Req.CallID()} {
		req.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.Req.CSeq().SeqNo, MethodName: sip.CANCEL})
	req.SetBody(nil)
	return c.u.do(req, func(*sipgo.Client, *sip.Request) error { return nil })
}

// ByeAsCallee hangs up a call we answered.
func (u *UE) ByeAsCallee(callID string) *sip.Response {
	u.t.Helper()
	u.mu.Lock()
	d, ok := u.dialogs[callID]
	u.mu.Unlock()
	if !ok {
		u.t.Fatalf("no dialog %s", callID)
	}
	inv := d.invite
	req := sip.NewRequest(sip.BYE, *inv.Contact().Address.Clone())
	for _, h := range inv.GetHeaders("Record-Route") {
		req.AppendHeader(&sip.RouteHeader{Address: h.(*sip.RecordRouteHeader).Address})
	}
	to := sip.HeaderClone(inv.From())
	from := &sip.FromHeader{Address: inv.To().Address, Params: sip.HeaderParams{{K: "tag", V: d.tag}}}
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: to.(*sip.FromHeader).Address, Params: to.(*sip.FromHeader).Params})
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.BYE})
	req.SetBody(nil)
	return u.do(req)
}

// Next returns the next request on q or fails after Timeout.
func Next(t testing.TB, q chan *sip.Request, what string) *sip.Request {
	t.Helper()
	select {
	case r := <-q:
		return r
	case <-time.After(Timeout):
		t.Fatalf("no %s within %v", what, Timeout)
		return nil
	}
}

// String is for failure messages.
func (u *UE) String() string { return fmt.Sprintf("UE %s at %s", u.Sub.IMSI, u.Addr) }
