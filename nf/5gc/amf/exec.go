package amf

import "sync"

// maxQueued bounds the work waiting on one UE: a peer flooding one UE's
// messages loses the excess instead of growing memory.
const maxQueued = 256

// serial runs one UE's work items in order, one at a time, on a goroutine
// that lives only while there is work.
type serial struct {
	mu      sync.Mutex
	q       []func()
	running bool
}

// workers tracks executor goroutines so Run can wait for them; once
// closed it starts no more.
type workers struct {
	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

func (w *workers) start(f func()) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
	return true
}

// close stops new goroutines and waits for the running ones.
func (w *workers) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}

// do queues f; false when the queue is full or the AMF is stopping.
func (s *serial) do(w *workers, f func()) bool {
	s.mu.Lock()
	if len(s.q) >= maxQueued {
		s.mu.Unlock()
		return false
	}
	s.q = append(s.q, f)
	if s.running {
		s.mu.Unlock()
		return true
	}
	s.running = true
	s.mu.Unlock()
	if !w.start(s.drain) {
		s.mu.Lock()
		s.q, s.running = nil, false
		s.mu.Unlock()
		return false
	}
	return true
}

func (s *serial) drain() {
	for {
		s.mu.Lock()
		if len(s.q) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		f := s.q[0]
		s.q[0] = nil
		s.q = s.q[1:]
		s.mu.Unlock()
		f()
	}
}
