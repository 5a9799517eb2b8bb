package mme

import "sync"

// queueLimit bounds the work waiting on one UE: a peer flooding one UE
// loses the excess rather than growing memory.
const queueLimit = 256

// workers counts the executor goroutines so Run can wait for them; once
// closed it starts no more.
type workers struct {
	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

// spawn runs f on a new goroutine unless the MME is stopping.
func (w *workers) spawn(f func()) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	w.wg.Go(f)
	return true
}

// close refuses new goroutines and waits for the running ones.
func (w *workers) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}

// serial runs a UE's work items one at a time, in order, on a goroutine
// that exists only while items are queued.
type serial struct {
	mu     sync.Mutex
	queue  []func()
	active bool
}

// post queues f; false when the queue is full or the MME is stopping.
func (s *serial) post(w *workers, f func()) bool {
	s.mu.Lock()
	if len(s.queue) >= queueLimit {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, f)
	if s.active {
		s.mu.Unlock()
		return true
	}
	s.active = true
	s.mu.Unlock()
	if w.spawn(s.run) {
		return true
	}
	s.mu.Lock()
	s.queue, s.active = nil, false
	s.mu.Unlock()
	return false
}

func (s *serial) run() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.active = false
			s.mu.Unlock()
			return
		}
		f := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()
		f()
	}
}
