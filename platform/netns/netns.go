// Package netns makes persistent network namespaces: a namespace bind
// mounted onto a file, so it lives before its container starts (CNI wires
// it first) and after the daemon that made it restarts.
package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// Create makes a new network namespace and pins it at path.
func Create(path string) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	done := make(chan error, 1)
	// unshare works on the calling thread: do it on a thread of its own
	// that is never reused (it exits with the goroutine, still locked).
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("unshare: %w", err)
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
			done <- fmt.Errorf("bind mount: %w", err)
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	if err := setLoopbackUp(path); err != nil {
		return errors.Join(err, unmount(path))
	}
	return nil
}

// Remove unpins and deletes the namespace at path; a path that is already
// gone is not an error.
func Remove(path string) error {
	if err := unmount(path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	return nil
}

func unmount(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("netns %s: unmount: %w", path, err)
	}
	return nil
}

// Do runs fn on a thread that has joined the namespace at path.
func Do(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is left in the namespace and never unlocked, so Go
		// discards it when this goroutine ends.
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- fmt.Errorf("open netns %s: %w", path, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			done <- fmt.Errorf("enter netns %s: %w", path, err)
			return
		}
		done <- fn()
	}()
	return <-done
}
