package gtpu

import (
	"maps"
	"sync"
	"sync/atomic"
)

// tunnelShards splits the TEID table so that a change copies only a
// small map.
const tunnelShards = 256

// tunnelTable maps TEIDs to handlers. Lookups (every G-PDU, from every
// read loop) take no lock and write no shared memory: each shard is an
// immutable map swapped whole under mu when a tunnel comes or goes.
type tunnelTable struct {
	mu     sync.Mutex
	shards [tunnelShards]atomic.Pointer[map[uint32]tunnelEntry]
}

// tunnelEntry is a handler with its LoopHandler view resolved once.
type tunnelEntry struct {
	h    Handler
	loop LoopHandler // nil unless h implements it
}

func (t *tunnelTable) get(teid uint32) (tunnelEntry, bool) {
	m := t.shards[teid%tunnelShards].Load()
	if m == nil {
		return tunnelEntry{}, false
	}
	e, ok := (*m)[teid]
	return e, ok
}

// add installs h for teid unless it has one.
func (t *tunnelTable) add(teid uint32, h Handler) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.shards[teid%tunnelShards]
	var next map[uint32]tunnelEntry
	if m := s.Load(); m != nil {
		if _, ok := (*m)[teid]; ok {
			return false
		}
		next = maps.Clone(*m)
	} else {
		next = make(map[uint32]tunnelEntry, 1)
	}
	e := tunnelEntry{h: h}
	e.loop, _ = h.(LoopHandler)
	next[teid] = e
	s.Store(&next)
	return true
}

// remove forgets teid and reports whether it was there.
func (t *tunnelTable) remove(teid uint32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.shards[teid%tunnelShards]
	m := s.Load()
	if m == nil {
		return false
	}
	if _, ok := (*m)[teid]; !ok {
		return false
	}
	next := maps.Clone(*m)
	delete(next, teid)
	s.Store(&next)
	return true
}
