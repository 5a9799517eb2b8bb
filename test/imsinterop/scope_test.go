package imsinterop

import (
	"os"
	"sync"
	"testing"
)

// scope is a testing.TB whose Cleanup and TempDir end with close, not
// with the test: one benchmark step starts and stops a whole target.
// Should the step fail (Fatal ends the goroutine before close), the
// test's own cleanup closes it.
type scope struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	closed   bool
}

func newScope(tb testing.TB) *scope {
	s := &scope{TB: tb}
	tb.Cleanup(s.close)
	return s
}

// Cleanup registers f to run at close, last added first.
func (s *scope) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// TempDir is a new directory removed at close.
func (s *scope) TempDir() string {
	s.Helper()
	dir, err := os.MkdirTemp("", "imsinterop-")
	if err != nil {
		s.Fatal(err)
	}
	s.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			s.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

func (s *scope) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	fs := s.cleanups
	s.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
