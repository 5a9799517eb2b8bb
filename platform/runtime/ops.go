package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"

	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/shim"
)

func (r *Runtime) load(id string) (*libcontainer.Container, error) {
	c, err := libcontainer.Load(r.stateDir, id)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("container %s: load state: %w", id, err)
	}
	return c, nil
}

// State observes a container. dir is its directory and shimPid its monitor;
// both come from the caller's records, so this works the same for a
// container this daemon started and for one it adopted after a restart.
func (r *Runtime) State(id, dir string, shimPid int) (*State, error) {
	if exit, err := shim.ReadExit(dir); err == nil {
		return &State{Status: container.StatusExited, Pid: exit.Pid, Exit: exit}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	c, err := r.load(id)
	if err != nil {
		return nil, err
	}
	st, err := c.State()
	if err != nil {
		return nil, fmt.Errorf("container %s: state: %w", id, err)
	}
	status, err := c.Status()
	if err != nil {
		return nil, fmt.Errorf("container %s: status: %w", id, err)
	}
	out := &State{Pid: st.InitProcessPid, Started: st.Created}
	switch status {
	case libcontainer.Running, libcontainer.Paused:
		out.Status = container.StatusRunning
	case libcontainer.Created:
		out.Status = container.StatusCreated
	default:
		out.Status = container.StatusStopped
		// The init is gone: its monitor either writes the exit status any
		// moment now, or was killed and the status is lost.
		if !ShimAlive(shimPid, dir) {
			if exit, err := shim.ReadExit(dir); err == nil {
				return &State{Status: container.StatusExited, Pid: exit.Pid, Exit: exit}, nil
			}
			out.Status = container.StatusUnknown
		}
	}
	return out, nil
}

// ShimAlive says whether pid is still the monitor of the container in dir
// (and not another process that reused the pid).
func ShimAlive(pid int, dir string) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return strings.Contains(string(b), "\x00-dir\x00"+dir+"\x00")
}

// WaitExit waits until the container's monitor recorded its exit status.
func (r *Runtime) WaitExit(ctx context.Context, id, dir string, shimPid int) (*shim.Exit, error) {
	if err := waitProcess(ctx, shimPid, func() bool { return ShimAlive(shimPid, dir) }); err != nil {
		return nil, fmt.Errorf("container %s: wait for exit: %w", id, err)
	}
	exit, err := shim.ReadExit(dir)
	if err != nil {
		return nil, fmt.Errorf("container %s: its monitor ended without an exit status: %w", id, err)
	}
	return exit, nil
}

// waitProcess waits for pid to end with a pidfd, which works for processes
// that are not our children. still guards against pid reuse.
func waitProcess(ctx context.Context, pid int, still func() bool) error {
	if !still() {
		return nil
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if !still() {
		return nil
	}
	for {
		timeout := 100
		if dl, ok := ctx.Deadline(); ok {
			timeout = min(timeout, int(time.Until(dl).Milliseconds())+1)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, timeout)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("poll pidfd: %w", err)
		}
		if n > 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Stop sends SIGTERM, waits up to grace, then sends SIGKILL, and returns
// once the exit status is recorded.
func (r *Runtime) Stop(ctx context.Context, id, dir string, shimPid int, grace time.Duration) (*shim.Exit, error) {
	c, err := r.load(id)
	if err != nil {
		return nil, err
	}
	if err := c.Signal(unix.SIGTERM); err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
		return nil, fmt.Errorf("container %s: SIGTERM: %w", id, err)
	}
	graceCtx, cancel := context.WithTimeout(ctx, grace)
	exit, err := r.WaitExit(graceCtx, id, dir, shimPid)
	cancel()
	if err == nil {
		return exit, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	if err := c.Signal(unix.SIGKILL); err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
		return nil, fmt.Errorf("container %s: SIGKILL after %s: %w", id, grace, err)
	}
	return r.WaitExit(ctx, id, dir, shimPid)
}

// Kill sends a signal to the container's init.
func (r *Runtime) Kill(id string, sig unix.Signal) error {
	c, err := r.load(id)
	if err != nil {
		return err
	}
	if err := c.Signal(sig); err != nil {
		if errors.Is(err, libcontainer.ErrNotRunning) {
			return fmt.Errorf("container %s: %w", id, ErrNotRunning)
		}
		return fmt.Errorf("container %s: signal %s: %w", id, unix.SignalName(sig), err)
	}
	return nil
}

// Delete removes a stopped container's cgroups and libcontainer state. A
// container still running is killed first. Deleting what does not exist is
// not an error.
func (r *Runtime) Delete(id string) error {
	c, err := r.load(id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if status, err := c.Status(); err == nil && status != libcontainer.Stopped {
		if err := c.Signal(unix.SIGKILL); err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
			return fmt.Errorf("container %s: kill before delete: %w", id, err)
		}
		if err := waitStopped(c); err != nil {
			return fmt.Errorf("container %s: %w", id, err)
		}
	}
	if err := c.Destroy(); err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	return nil
}

func waitStopped(c *libcontainer.Container) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.State()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return waitProcess(ctx, st.InitProcessPid, func() bool {
		s, err := c.Status()
		return err == nil && s != libcontainer.Stopped
	})
}
