package udr

import (
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"
)

var (
	// errAbort rolls a group's transaction back when a write failed.
	errAbort = errors.New("udr: group commit aborted")
	// errWriteFailed marks a fn's failed write (any other error of a fn is
	// a refusal that wrote nothing).
	errWriteFailed = errors.New("udr: write failed")
)

// groupCommit runs the writes that arrive while a commit is in progress
// together in the next transaction: one fsync for many SQN updates under
// load, and no added wait for a lone writer (bolt.DB.Batch waits
// MaxBatchDelay for company). The writer that finds no commit running
// commits; after one group it hands the lead to a waiting writer, so no
// request is held up committing for others indefinitely.
//
// A fn refuses (returns an error) before it writes, or fails its write
// with an error wrapping errWriteFailed, which aborts the whole group.
type groupCommit struct {
	db      *bolt.DB
	mu      sync.Mutex
	pending []*write
	leading bool
}

type write struct {
	fn   func(*bolt.Tx) error
	err  error
	done chan struct{} // closed once committed (or failed)
	lead chan struct{} // closed when handed the lead
}

func (g *groupCommit) do(fn func(*bolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan struct{}), lead: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if g.leading {
		g.mu.Unlock()
		select {
		case <-w.done:
			return w.err
		case <-w.lead:
		}
		g.mu.Lock()
	}
	g.leading = true
	group := g.pending
	g.pending = nil
	g.mu.Unlock()

	g.commit(group) // includes w

	g.mu.Lock()
	if len(g.pending) > 0 {
		close(g.pending[0].lead)
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return w.err
}

func (g *groupCommit) commit(group []*write) {
	err := g.db.Update(func(tx *bolt.Tx) error {
		for _, w := range group {
			w.err = w.fn(tx)
			if errors.Is(w.err, errWriteFailed) {
				return errAbort
			}
		}
		return nil
	})
	for _, w := range group {
		if err != nil && (w.err == nil || errors.Is(err, errAbort)) {
			w.err = errors.Join(err, w.err)
		}
		close(w.done)
	}
}
