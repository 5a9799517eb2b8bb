package scscf

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	ims "github.com/corebox/corebox/nf/proto/sip"
)

// statusBadEvent is 489 (RFC 6665): an event package we do not serve.
const statusBadEvent = 489

// notifyTimeout bounds one NOTIFY transaction.
const notifyTimeout = 10 * time.Second

// subscription is a reg event dialog (RFC 3680), we being the notifier.
type subscription struct {
	mu sync.Mutex // serialises this dialog's NOTIFYs (CSeq, version)

	callID, localTag, remoteTag string
	localURI, remoteURI         sip.Uri
	target                      sip.Uri   // the subscriber's Contact
	routes                      []sip.Uri // from Record-Route, in order
	transport                   string
	expires                     time.Time // guarded by the user's op
	cseq, version               uint32
}

// subscribeRequest is what a reg SUBSCRIBE says.
type subscribeRequest struct {
	impu      string
	fromTag   string
	toTag     string
	callID    string
	expires   uint32
	contact   sip.Uri
	routes    []sip.Uri
	from, to  sip.Uri
	subscribe string // asserted identity of the subscriber
}

// isRegEvent tells a SUBSCRIBE to the reg event package.
func isRegEvent(req *sip.Request) bool {
	ev := req.GetHeader("Event")
	if ev == nil {
		return false
	}
	pkg, _, _ := strings.Cut(ev.Value(), ";")
	return strings.EqualFold(strings.TrimSpace(pkg), "reg")
}

// parseSubscribe reads a reg SUBSCRIBE; errors wrap errMalformed.
func parseSubscribe(req *sip.Request, defaultExpires uint32) (subscribeRequest, error) {
	var s subscribeRequest
	from, to, cid, c := req.From(), req.To(), req.CallID(), req.Contact()
	if from == nil || to == nil || cid == nil || c == nil || c.Address.Wildcard {
		return s, malformed("SUBSCRIBE without From, To, Call-ID or Contact")
	}
	var ok bool
	if s.fromTag, ok = from.Params.Get("tag"); !ok || s.fromTag == "" {
		return s, malformed("SUBSCRIBE without From tag")
	}
	s.toTag, _ = to.Params.Get("tag")
	s.impu, s.callID, s.contact = canonicalURI(to.Address.String()), cid.Value(), *c.Address.Clone()
	s.from, s.to = *from.Address.Clone(), *to.Address.Clone()
	s.expires = defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		v, err := parseSeconds(h.Value())
		if err != nil {
			return s, malformed("Expires: %v", err)
		}
		s.expires = v
	}
	for _, h := range req.GetHeaders("Record-Route") {
		rr, ok := h.(*sip.RecordRouteHeader)
		if !ok {
			return s, malformed("Record-Route %q", h.Value())
		}
		s.routes = append(s.routes, *rr.Address.Clone())
	}
	id, err := assertedIdentity(req)
	if err != nil {
		return s, err
	}
	s.subscribe = id
	return s, nil
}

// onSubscribe serves SUBSCRIBE to reg (TS 24.229 5.4.2.1); other event
// packages are routed like any request.
func (n *SCSCF) onSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	if !isRegEvent(req) {
		n.onRequest(req, tx)
		return
	}
	s, err := parseSubscribe(req, n.cfg.Registrar.DefaultExpires)
	if err != nil {
		n.bad(tx, req, err)
		return
	}
	n.store.mu.Lock()
	owner := n.store.byIMPU[s.impu]
	n.store.mu.Unlock()
	if owner == nil {
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	u, _ := n.lockUser(owner.impi, false)
	if u == nil {
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	defer n.unlockUser(u)
	if !n.maySubscribe(u, s) {
		n.log.Info("reg SUBSCRIBE refused", "impu", s.impu, "subscriber", s.subscribe)
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	sub := n.findSubscription(u, s)
	if sub == nil && s.toTag != "" {
		n.reply(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if sub == nil {
		sub = &subscription{callID: s.callID, localTag: sip.GenerateTagN(16), remoteTag: s.fromTag,
			localURI: s.to, remoteURI: s.from, target: s.contact, routes: s.routes, transport: req.Transport()}
	}
	exp := min(s.expires, n.cfg.Registrar.MaxExpires)
	sub.expires = time.Now().Add(time.Duration(exp) * time.Second)
	n.replySubscribe(tx, req, sub, exp)
	if exp == 0 {
		n.setSubs(u, slices.DeleteFunc(slices.Clone(u.subs), func(x *subscription) bool { return x == sub }))
		n.sendNotify(sub, u, nil, "terminated;reason=timeout")
		return
	}
	if !slices.Contains(u.subs, sub) {
		n.setSubs(u, append(slices.Clone(u.subs), sub))
	}
	n.sendNotify(sub, u, nil, "active;expires="+strconv.FormatUint(uint64(exp), 10))
}

// maySubscribe: the user itself (one of its identities), or the P-CSCF
// on its Path (TS 24.229 5.4.2.1.1).
func (n *SCSCF) maySubscribe(u *user, s subscribeRequest) bool {
	if slices.Contains(u.impus, s.subscribe) {
		return true
	}
	host := s.from.Host
	for _, b := range u.bindings {
		for _, p := range b.path {
			var pu sip.Uri
			if err := sip.ParseUri(strings.Trim(p, "<>"), &pu); err == nil && strings.EqualFold(pu.Host, host) {
				return true
			}
		}
	}
	return false
}

func (n *SCSCF) findSubscription(u *user, s subscribeRequest) *subscription {
	for _, sub := range u.subs {
		if sub.callID == s.callID && sub.remoteTag == s.fromTag && (s.toTag == "" || sub.localTag == s.toTag) {
			return sub
		}
	}
	return nil
}

func (n *SCSCF) setSubs(u *user, subs []*subscription) {
	n.store.mu.Lock()
	u.subs = subs
	n.store.mu.Unlock()
}

func (n *SCSCF) replySubscribe(tx sip.ServerTransaction, req *sip.Request, sub *subscription, exp uint32) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if to := res.To(); to != nil {
		to.Params.Add("tag", sub.localTag)
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.FormatUint(uint64(exp), 10)))
	res.AppendHeader(sip.NewHeader("Contact", "<"+n.contactURI(sub.transport)+">"))
	if err := tx.Respond(res); err != nil {
		n.log.Debug("reply SUBSCRIBE", "err", err)
	}
}

// contactURI is our own address for dialogs we are an endpoint of.
func (n *SCSCF) contactURI(transport string) string {
	return "sip:" + net.JoinHostPort(n.cfg.SIP.Address, strconv.Itoa(n.port)) + ";transport=" + strings.ToLower(transport)
}

// notifyAll tells every subscriber of u about changes (u's op held).
func (n *SCSCF) notifyAll(u *user, changes []ims.ContactChange) {
	state := "active"
	if len(u.bindings) == 0 {
		state = "terminated;reason=noresource"
	}
	now := time.Now()
	for _, sub := range u.subs {
		if state == "active" {
			n.sendNotify(sub, u, changes, "active;expires="+strconv.FormatInt(max(int64(sub.expires.Sub(now)/time.Second), 0), 10))
		} else {
			n.sendNotify(sub, u, changes, state)
		}
	}
	if len(u.bindings) == 0 {
		n.setSubs(u, nil)
	}
}

// regInfo is u's full state: every binding, the changed ones with their
// event (u's op held).
func regInfo(u *user, changes []ims.ContactChange, now time.Time) ims.RegInfo {
	var all []ims.ContactChange
	for _, b := range u.bindings {
		if slices.ContainsFunc(changes, func(c ims.ContactChange) bool { return c.ID == b.id }) {
			continue
		}
		all = append(all, ims.ContactChange{ID: b.id, URI: b.uri, Event: ims.ContactEventRegistered,
			Expires: uint32(max(b.expires.Sub(now)/time.Second, 0)), CallID: b.callID, CSeq: b.cseq})
	}
	all = append(all, changes...)
	doc := ims.RegInfo{State: ims.RegInfoFull}
	for i, impu := range u.impus {
		r := ims.NewRegInfoNotify(0, ims.RegInfoFull, impu, u.regID+"-"+strconv.Itoa(i), all...)
		doc.Registrations = append(doc.Registrations, r.Registrations...)
	}
	return doc
}

// sendNotify sends one NOTIFY in the background (u's op held while
// building it).
func (n *SCSCF) sendNotify(sub *subscription, u *user, changes []ims.ContactChange, state string) {
	doc := regInfo(u, changes, time.Now())
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		sub.mu.Lock()
		defer sub.mu.Unlock()
		doc.Version = sub.version
		sub.version++
		sub.cseq++
		if err := n.notify(sub, doc, state); err != nil {
			n.metrics.notifies.WithLabelValues("failed").Inc()
			n.log.Info("reg NOTIFY", "call_id", sub.callID, "err", err)
			return
		}
		n.metrics.notifies.WithLabelValues("ok").Inc()
	}()
}

func (n *SCSCF) notify(sub *subscription, doc ims.RegInfo, state string) error {
	body, err := doc.Marshal()
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.NOTIFY, *sub.target.Clone())
	for _, r := range sub.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	from := &sip.FromHeader{Address: *sub.localURI.Clone(), Params: sip.HeaderParams{{K: "tag", V: sub.localTag}}}
	to := &sip.ToHeader{Address: *sub.remoteURI.Clone(), Params: sip.HeaderParams{{K: "tag", V: sub.remoteTag}}}
	cid := sip.CallIDHeader(sub.callID)
	mf := sip.MaxForwardsHeader(70)
	ct := sip.ContentTypeHeader(ims.ContentTypeRegInfo)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: sub.cseq, MethodName: sip.NOTIFY})
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("Event", "reg"))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Contact", "<"+n.contactURI(sub.transport)+">"))
	req.AppendHeader(&ct)
	req.SetBody(body)
	req.SetTransport(sub.transport)
	ctx, cancel := context.WithTimeout(n.runCtx, notifyTimeout)
	defer cancel()
	res, err := n.ep.Client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("NOTIFY to %s: %w", sub.target.String(), err)
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("NOTIFY to %s: %d %s", sub.target.String(), res.StatusCode, res.Reason)
	}
	return nil
}
