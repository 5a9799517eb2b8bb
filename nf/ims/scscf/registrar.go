package scscf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/proto/diameter"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// errTooManyUsers: registrar.max_users reached.
var errTooManyUsers = errors.New("too many users")

// onRegister serves REGISTER (TS 24.229 5.4.1).
func (n *SCSCF) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	r, err := parseRegister(req)
	if err != nil {
		n.bad(tx, req, err)
		return
	}
	u, err := n.lockUser(r.impi, true)
	if err != nil {
		n.metrics.registration(regError)
		n.reply(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	defer n.unlockUser(u)
	ctx, cancel := context.WithTimeout(n.runCtx, n.hss.Config().RequestTimeout)
	defer cancel()
	switch {
	case r.auth != nil && r.auth.AUTS != "":
		n.resync(ctx, req, tx, r, u)
	case r.auth != nil && !r.auth.IsInitial():
		n.authenticate(ctx, req, tx, r, u)
	case r.integrity && len(u.bindings) > 0:
		// A P-CSCF vouches for the UE (TS 24.229 5.4.1.2.1): no new AKA run.
		n.bind(ctx, req, tx, r, u)
	default:
		n.challenge(ctx, req, tx, r, u, nil, regChallenged)
	}
}

// lockUser returns impi's user with its op lock held, creating it when
// asked. nil, nil: none and create is false.
func (n *SCSCF) lockUser(impi string, create bool) (*user, error) {
	for {
		n.store.mu.Lock()
		u := n.store.byIMPI[impi]
		if u == nil {
			if !create {
				n.store.mu.Unlock()
				return nil, nil
			}
			if len(n.store.byIMPI) >= n.cfg.Registrar.MaxUsers {
				n.store.mu.Unlock()
				return nil, fmt.Errorf("register %s: %w (%d)", impi, errTooManyUsers, n.cfg.Registrar.MaxUsers)
			}
			u = &user{impi: impi, regID: "reg-" + strconv.FormatUint(regSeq.Add(1), 10)}
			n.store.byIMPI[impi] = u
		}
		n.store.mu.Unlock()
		u.op.Lock()
		n.store.mu.Lock()
		current := n.store.byIMPI[impi] == u
		n.store.mu.Unlock()
		if current {
			return u, nil
		}
		u.op.Unlock() // dropped while we waited: look again
	}
}

// unlockUser releases u, forgetting it when it holds nothing any more.
func (n *SCSCF) unlockUser(u *user) {
	if len(u.bindings) == 0 && (u.pending == nil || time.Now().After(u.pending.deadline)) {
		n.store.mu.Lock()
		n.store.drop(u)
		n.store.mu.Unlock()
	}
	u.op.Unlock()
}

// challenge answers 401 with a fresh AKA challenge (MAR; resync first
// when rs is set).
func (n *SCSCF) challenge(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, r registerRequest, u *user, rs *diameter.Resync, result string) {
	if n.draining.Load() && len(u.bindings) == 0 {
		n.metrics.registration(regError)
		n.reply(tx, req, sip.StatusServiceUnavailable, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	v, res, err := n.multimediaAuth(ctx, r.impi, r.impu, rs)
	switch {
	case err != nil:
		n.metrics.registration(regError)
		n.log.Warn("MAR failed", "impi", r.impi, "err", err)
		n.reply(tx, req, statusServerTimeout, "Server Time-out")
		return
	case !res.OK():
		n.metrics.registration(regRejected)
		n.log.Info("MAR refused", "impi", r.impi, "impu", r.impu, "result", res)
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	c := ims.NewAKAChallenge(n.cfg.Domain, v.AKAVector, true)
	u.pending = &pending{challenge: c, xres: v.xres, deadline: time.Now().Add(n.cfg.Registrar.AuthTimeout)}
	n.metrics.registration(result)
	n.reply(tx, req, sip.StatusUnauthorized, "Unauthorized", sip.NewHeader(ims.HeaderWWWAuthenticate, c.String()))
}

// resync handles an answer carrying auts (TS 33.203 6.1.2).
func (n *SCSCF) resync(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, r registerRequest, u *user) {
	rnd, auts, _, err := r.auth.ResyncAUTS()
	if err != nil {
		n.bad(tx, req, fmt.Errorf("%w: %w", errMalformed, err))
		return
	}
	p := u.pending
	u.pending = nil
	if p == nil || p.challenge.Nonce != r.auth.Nonce {
		n.challenge(ctx, req, tx, r, u, nil, regChallenged) // not our challenge: start over
		return
	}
	n.challenge(ctx, req, tx, r, u, &diameter.Resync{RAND: [diameter.RANDLen]byte(rnd), AUTS: [diameter.AUTSLen]byte(auts)}, regResync)
}

// authenticate checks an answer to our challenge, then binds.
func (n *SCSCF) authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, r registerRequest, u *user) {
	p := u.pending
	if p == nil || p.challenge.Nonce != r.auth.Nonce || time.Now().After(p.deadline) {
		n.challenge(ctx, req, tx, r, u, nil, regChallenged) // stale or unknown nonce
		return
	}
	err := ims.VerifyAKA(*r.auth, string(req.Method), p.challenge, p.xres)
	switch {
	case errors.Is(err, ims.ErrAuthFailed):
		u.pending = nil
		n.metrics.registration(regAuthFailed)
		n.log.Info("AKA authentication failed", "impi", r.impi)
		if _, res, err := n.serverAssignment(ctx, r.impi, []string{r.impu}, diameter.AssignAuthenticationFailure); err != nil || !res.OK() {
			n.log.Info("SAR AUTHENTICATION_FAILURE", "impi", r.impi, "result", res, "err", err)
		}
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	case err != nil:
		n.challenge(ctx, req, tx, r, u, nil, regChallenged)
		return
	}
	u.pending = nil
	n.bind(ctx, req, tx, r, u)
}

// bind applies the REGISTER's contacts (TS 24.229 5.4.1.2.2, RFC 3261
// 10.3) after a SAR, and answers 200 with the bindings.
func (n *SCSCF) bind(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, r registerRequest, u *user) {
	now := time.Now()
	next, changes, tooBrief := n.nextBindings(u, r, now)
	if tooBrief {
		n.metrics.registration(regRejected)
		n.reply(tx, req, sip.StatusIntervalToBrief, "Interval Too Brief",
			sip.NewHeader("Min-Expires", strconv.FormatUint(uint64(n.cfg.Registrar.MinExpires), 10)))
		return
	}
	was := len(u.bindings) > 0
	typ, result := diameter.AssignReRegistration, regRefreshed
	switch {
	case len(next) == 0 && !was:
		n.okRegister(tx, req, u, r, nil) // a query, or removing nothing
		return
	case len(next) == 0:
		typ, result = diameter.AssignUserDeregistration, regDeregistered
	case !was:
		typ, result = diameter.AssignRegistration, regRegistered
	}
	sub, res, err := n.serverAssignment(ctx, r.impi, []string{r.impu}, typ)
	if err != nil || !res.OK() {
		n.log.Warn("SAR failed", "impi", r.impi, "type", typ, "result", res, "err", err)
		if err != nil {
			n.metrics.registration(regError)
			n.reply(tx, req, statusServerTimeout, "Server Time-out")
			return
		}
		n.metrics.registration(regRejected)
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	impus := u.impus
	if sub != nil {
		impus = orderIdentities(r.impu, sub.Identities())
	}
	if len(next) > 0 && !slices.Contains(impus, r.impu) {
		n.metrics.registration(regRejected)
		n.log.Warn("registered identity not in User-Data", "impi", r.impi, "impu", r.impu)
		n.reply(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	n.store.mu.Lock()
	n.store.drop(u)
	u.bindings, u.impus = next, impus
	n.store.byIMPI[u.impi] = u
	if len(next) > 0 {
		n.store.index(u)
	}
	n.store.mu.Unlock()
	n.metrics.registration(result)
	n.log.Info("registration", "impi", r.impi, "result", result, "contacts", len(next))
	n.okRegister(tx, req, u, r, next)
	n.notifyAll(u, changes)
}

// orderIdentities puts the registered IMPU first (the default public
// identity of P-Associated-URI), canonical forms only.
func orderIdentities(first string, ids []string) []string {
	out := []string{first}
	for _, id := range ids {
		if c := canonicalURI(id); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// nextBindings is u's binding set after r, the reginfo changes, and
// whether a lifetime below min_expires was asked for.
func (n *SCSCF) nextBindings(u *user, r registerRequest, now time.Time) ([]*binding, []ims.ContactChange, bool) {
	cfg := n.cfg.Registrar
	var next []*binding
	var changes []ims.ContactChange
	for _, b := range u.bindings {
		if b.expires.After(now) {
			c := *b
			next = append(next, &c)
		}
	}
	remove := func(i int, event string) {
		b := next[i]
		changes = append(changes, ims.ContactChange{ID: b.id, URI: b.uri, Event: event, CallID: r.callID, CSeq: r.cseq})
		next = slices.Delete(next, i, i+1)
	}
	if r.wildcard {
		for len(next) > 0 {
			remove(0, ims.ContactEventUnregistered)
		}
		return next, changes, false
	}
	for _, c := range r.contacts {
		exp := cfg.DefaultExpires
		switch {
		case c.hasExp:
			exp = c.expires
		case r.hasExp:
			exp = r.expires
		}
		i := slices.IndexFunc(next, func(b *binding) bool { return contactKey(b.uri) == contactKey(c.uri) })
		if exp == 0 {
			if i >= 0 {
				remove(i, ims.ContactEventUnregistered)
			}
			continue
		}
		if exp < cfg.MinExpires {
			return nil, nil, true
		}
		exp = min(exp, cfg.MaxExpires)
		event := ims.ContactEventRefreshed
		if i < 0 {
			u.nextID++
			next = append(next, &binding{id: u.regID + "-c" + strconv.Itoa(u.nextID), uri: c.uri})
			i, event = len(next)-1, ims.ContactEventRegistered
		}
		b := next[i]
		b.expires, b.callID, b.cseq, b.path = now.Add(time.Duration(exp)*time.Second), r.callID, r.cseq, r.path
		changes = append(changes, ims.ContactChange{ID: b.id, URI: b.uri, Event: event, Expires: exp, CallID: r.callID, CSeq: r.cseq})
	}
	return next, changes, false
}

// contactKey compares Contact URIs: without parameters, case-folded.
func contactKey(uri string) string {
	s, _, _ := strings.Cut(strings.Trim(uri, "<>"), ";")
	return strings.ToLower(s)
}

// okRegister answers 200 with the current bindings (TS 24.229
// 5.4.1.2.2): Service-Route naming us for originating requests, and the
// implicitly registered identities in P-Associated-URI.
func (n *SCSCF) okRegister(tx sip.ServerTransaction, req *sip.Request, u *user, r registerRequest, bs []*binding) {
	now := time.Now()
	var hdrs []sip.Header
	for _, b := range bs {
		secs := max(int64(b.expires.Sub(now)/time.Second), 1)
		hdrs = append(hdrs, sip.NewHeader("Contact", "<"+b.uri+">;expires="+strconv.FormatInt(secs, 10)))
	}
	if len(bs) > 0 {
		hdrs = append(hdrs, sip.NewHeader(ims.HeaderServiceRoute, "<"+n.origURI()+">"))
		var assoc []string
		for _, p := range u.impus {
			assoc = append(assoc, "<"+p+">")
		}
		hdrs = append(hdrs, sip.NewHeader("P-Associated-URI", strings.Join(assoc, ", ")))
	}
	for _, p := range r.path {
		hdrs = append(hdrs, sip.NewHeader(ims.HeaderPath, "<"+p+">"))
	}
	n.reply(tx, req, sip.StatusOK, "OK", hdrs...)
}

// origURI is our Service-Route entry: the orig user part marks
// originating requests (TS 24.229 5.4.1.2.2).
func (n *SCSCF) origURI() string {
	return "sip:orig@" + net.JoinHostPort(n.cfg.SIP.Address, strconv.Itoa(n.port)) + ";lr"
}

// statusServerTimeout is 504: the HSS did not answer.
const statusServerTimeout = 504
