package image

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// flock holds a lock on a file; each holder opens the file itself, so
// goroutines of one process exclude each other like processes do.
type flock struct{ f *os.File }

func lockFile(path string, how int) (*flock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", path, err), f.Close())
	}
	return &flock{f: f}, nil
}

// release drops the lock; closing the fd is what releases it.
func (l *flock) release() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("release lock %s: %w", l.f.Name(), err)
	}
	return nil
}

// lock takes the store lock: exclusive for mutations, shared for readers.
func (s *Store) lock(exclusive bool) (*flock, error) {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	return lockFile(s.lockPath(), how)
}

// withLock runs fn under the store lock and reports a failed release too.
func (s *Store) withLock(exclusive bool, fn func() error) (err error) {
	l, err := s.lock(exclusive)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.release()) }()
	return fn()
}
