package ue

import (
	"context"
	"sync"
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// qciVoice is the QCI of a VoLTE call's GBR bearer (TS 23.203 6.1.7).
const qciVoice = 1

// bearerEvent is a dedicated bearer coming or going, as the ESM code
// sees it (activateDedicated, dropBearer).
type bearerEvent struct {
	ebi, linked, qci uint8
	up               bool
	at               time.Time
}

// bearerHub fans a UE's dedicated bearer events out to the calls
// watching for their voice bearer. notify never blocks: the UE's loop
// calls it.
type bearerHub struct {
	mu      sync.Mutex
	watches map[*bearerWatch]struct{}
}

func newBearerHub() *bearerHub { return &bearerHub{watches: map[*bearerWatch]struct{}{}} }

// notify is the hook of the ESM code.
func (h *bearerHub) notify(ev bearerEvent) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watches {
		w.observe(ev)
	}
}

// watch starts recording the first QCI 1 bearer activated from now on,
// and its release. stop ends it.
func (h *bearerHub) watch() *bearerWatch {
	w := &bearerWatch{hub: h, active: make(chan struct{}), released: make(chan struct{})}
	if h != nil {
		h.mu.Lock()
		h.watches[w] = struct{}{}
		h.mu.Unlock()
	}
	return w
}

// bearerWatch is one call's view of its voice bearer.
type bearerWatch struct {
	hub *bearerHub

	mu         sync.Mutex
	ebi, qci   uint8
	activeAt   time.Time
	isActive   bool
	isReleased bool
	active     chan struct{} // closed on activation
	released   chan struct{} // closed on that bearer's release
}

func (w *bearerWatch) observe(ev bearerEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case ev.up && !w.isActive && ev.qci == qciVoice:
		w.ebi, w.qci, w.activeAt, w.isActive = ev.ebi, ev.qci, ev.at, true
		close(w.active)
	case !ev.up && w.isActive && !w.isReleased && ev.ebi == w.ebi:
		w.isReleased = true
		close(w.released)
	}
}

func (w *bearerWatch) stop() {
	if w.hub == nil {
		return
	}
	w.hub.mu.Lock()
	delete(w.hub.watches, w)
	w.hub.mu.Unlock()
}

// waitActive waits for the activation until deadline (or ctx).
func (w *bearerWatch) waitActive(ctx context.Context, deadline time.Time) bool {
	return waitClosed(ctx, w.active, deadline)
}

// waitReleased waits for the release of the activated bearer.
func (w *bearerWatch) waitReleased(ctx context.Context, deadline time.Time) bool {
	return waitClosed(ctx, w.released, deadline)
}

func waitClosed(ctx context.Context, ch <-chan struct{}, deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		select {
		case <-ch:
			return true
		default:
			return false
		}
	case <-ctx.Done():
		return false
	}
}

// outcome is the call's bearer relative to answered (the 200 OK), nil
// without a QCI 1 bearer.
func (w *bearerWatch) outcome(answered time.Time) *simapi.CallBearer {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.isActive {
		return nil
	}
	return &simapi.CallBearer{EBI: w.ebi, QCI: w.qci, Released: w.isReleased,
		SetupMs: ms(w.activeAt.Sub(answered))}
}

// bearerChanged is the ESM code's hook: a dedicated bearer was activated
// (up) or deactivated. Calls waiting for their voice bearer see it.
func (u *UE) bearerChanged(b *epsBearer, up bool) {
	if u.ims == nil {
		return
	}
	u.ims.bearers.notify(bearerEvent{ebi: b.ebi, linked: b.linked, qci: b.qci, up: up, at: time.Now()})
}
