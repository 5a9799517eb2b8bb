package scscf

import (
	"context"
	"slices"
	"time"

	"github.com/corebox/corebox/nf/proto/diameter"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// expiryLoop ends bindings, challenges and subscriptions whose time is
// up, every registrar.expiry_check.
func (n *SCSCF) expiryLoop(ctx context.Context) error {
	t := time.NewTicker(n.cfg.Registrar.ExpiryCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n.expire(ctx, time.Now())
		}
	}
}

// expire visits the users with something due.
func (n *SCSCF) expire(ctx context.Context, now time.Time) {
	n.store.mu.Lock()
	var due []string
	for impi, u := range n.store.byIMPI {
		if slices.ContainsFunc(u.bindings, func(b *binding) bool { return !b.expires.After(now) }) ||
			slices.ContainsFunc(u.subs, func(s *subscription) bool { return !s.expires.After(now) }) ||
			len(u.bindings) == 0 {
			due = append(due, impi)
		}
	}
	n.store.mu.Unlock()
	for _, impi := range due {
		if ctx.Err() != nil {
			return
		}
		n.expireUser(ctx, impi, now)
	}
}

func (n *SCSCF) expireUser(ctx context.Context, impi string, now time.Time) {
	u, _ := n.lockUser(impi, false)
	if u == nil {
		return
	}
	defer n.unlockUser(u) // drops a user left with nothing
	var live []*binding
	var changes []ims.ContactChange
	for _, b := range u.bindings {
		if b.expires.After(now) {
			live = append(live, b)
			continue
		}
		changes = append(changes, ims.ContactChange{ID: b.id, URI: b.uri, Event: ims.ContactEventExpired, CallID: b.callID, CSeq: b.cseq})
	}
	for _, s := range u.subs {
		if !s.expires.After(now) {
			n.sendNotify(s, u, nil, "terminated;reason=timeout")
		}
	}
	n.setSubs(u, slices.DeleteFunc(slices.Clone(u.subs), func(s *subscription) bool { return !s.expires.After(now) }))
	if len(changes) == 0 {
		return
	}
	n.store.mu.Lock()
	u.bindings = live
	n.store.mu.Unlock()
	n.metrics.registration(regExpired)
	if len(live) == 0 && len(u.impus) > 0 {
		cctx, cancel := context.WithTimeout(ctx, n.hss.Config().RequestTimeout)
		defer cancel()
		if _, res, err := n.serverAssignment(cctx, u.impi, u.impus[:1], diameter.AssignTimeoutDeregistration); err != nil || !res.OK() {
			n.log.Warn("SAR TIMEOUT_DEREGISTRATION", "impi", u.impi, "result", res, "err", err)
		}
		n.log.Info("registration expired", "impi", u.impi)
	}
	n.notifyAll(u, changes)
}
