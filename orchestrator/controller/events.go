package controller

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/state"
)

// events records events in the store and hands them to followers.
type events struct {
	store *state.Store
	log   *slog.Logger
	now   func() time.Time

	mu   sync.Mutex
	subs map[chan state.Event]struct{}
}

func (e *events) emit(profile, object, reason, msg string, data map[string]any) {
	ev := state.Event{Time: e.now().UTC(), Profile: profile, Object: object, Reason: reason, Message: msg, Data: data}
	if err := e.store.AddEvent(&ev); err != nil {
		e.log.Error("record event", "reason", reason, "err", err)
		return
	}
	e.log.Info(msg, "profile", profile, "object", object, "reason", reason)
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default: // a follower that does not keep up misses events; it reads the log again
		}
	}
}

// Follow sends events after seq to fn until ctx ends or fn fails.
func (e *events) follow(ctx context.Context, after uint64, fn func(state.Event) error) error {
	ch := make(chan state.Event, 256)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.subs, ch)
		e.mu.Unlock()
	}()
	last := after
	send := func(ev state.Event) error {
		if ev.Seq <= last {
			return nil
		}
		last = ev.Seq
		return fn(ev)
	}
	backlog := func() error {
		for {
			evs, err := e.store.Events(last, 500)
			if err != nil || len(evs) == 0 {
				return err
			}
			for _, ev := range evs {
				if err := send(ev); err != nil {
					return err
				}
			}
		}
	}
	if err := backlog(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-ch:
			// A gap means events were dropped for us: read them back.
			if ev.Seq > last+1 {
				if err := backlog(); err != nil {
					return err
				}
			}
			if err := send(ev); err != nil {
				return err
			}
		}
	}
}
