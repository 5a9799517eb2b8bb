package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// State observes a container whose directory is dir. Everything it needs
// is on disk, so this works the same for a container this daemon started
// and for one it adopted after a restart.
func (r *Runtime) State(id, dir string) (*State, error) {
	if exit, err := shim.ReadExit(dir); err == nil {
		return &State{Status: container.StatusExited, Pid: exit.Pid, Exit: exit}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	// The common case, cheaply: a live monitor with no exit recorded
	// watches a running init.
	if m, err := readMonitorID(dir); err == nil && m.Init > 0 && m.alive() && !r.starting(id) {
		return &State{Status: container.StatusRunning, Pid: m.Init}, nil
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
		if !monitorAlive(dir) {
			if exit, err := shim.ReadExit(dir); err == nil {
				return &State{Status: container.StatusExited, Pid: exit.Pid, Exit: exit}, nil
			}
			out.Status = container.StatusUnknown
		}
	}
	return out, nil
}

// starting says whether the container is still being started: its monitor
// runs but the init may not have been released yet (libcontainer's exec
// fifo still exists).
func (r *Runtime) starting(id string) bool {
	_, err := os.Stat(filepath.Join(r.stateDir, id, "exec.fifo"))
	return err == nil
}

// WaitExit waits until the container's monitor recorded its exit status.
func (r *Runtime) WaitExit(ctx context.Context, id, dir string) (*shim.Exit, error) {
	if err := waitMonitor(ctx, dir); err != nil {
		return nil, fmt.Errorf("container %s: wait for exit: %w", id, err)
	}
	exit, err := shim.ReadExit(dir)
	if err != nil {
		return nil, fmt.Errorf("container %s: its monitor ended without an exit status: %w", id, err)
	}
	return exit, nil
}

// waitMonitor waits for the container's monitor to end. A pidfd works for
// processes that are not our children; the monitor's identity is checked
// again after every wake-up, since a pidfd also wakes when a non-leader
// thread execs (the monitor re-executes itself).
func waitMonitor(ctx context.Context, dir string) error {
	id, err := readMonitorID(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for id.alive() {
		if err := waitPidfd(ctx, id.Pid); err != nil {
			return err
		}
	}
	return nil
}

func waitPidfd(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	for {
		timeout := 100
		if dl, ok := ctx.Deadline(); ok {
			timeout = max(0, min(timeout, int(time.Until(dl).Milliseconds())+1))
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
func (r *Runtime) Stop(ctx context.Context, id, dir string, grace time.Duration) (*shim.Exit, error) {
	c, err := r.load(id)
	if err != nil {
		return nil, err
	}
	if err := c.Signal(unix.SIGTERM); err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
		return nil, fmt.Errorf("container %s: SIGTERM: %w", id, err)
	}
	graceCtx, cancel := context.WithTimeout(ctx, grace)
	exit, err := r.WaitExit(graceCtx, id, dir)
	cancel()
	if err == nil {
		return exit, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	if err := r.killAll(c); err != nil {
		return nil, fmt.Errorf("container %s: SIGKILL after %s: %w", id, grace, err)
	}
	killCtx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	return r.WaitExit(killCtx, id, dir)
}

// killWait bounds the wait after SIGKILL: the kernel ends a killed process
// at once, so a longer wait means something is wrong and is reported.
const killWait = 10 * time.Second

// killAll sends SIGKILL to the init and to every process in the container's
// cgroup. The init alone is enough when all is well (its PID namespace goes
// with it); the cgroup catches a process libcontainer no longer knows as its
// init.
func (r *Runtime) killAll(c *libcontainer.Container) error {
	err := c.Signal(unix.SIGKILL)
	if err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
		return err
	}
	pids, perr := c.Processes()
	if perr != nil {
		return fmt.Errorf("list processes: %w", perr)
	}
	for _, pid := range pids {
		if kerr := unix.Kill(pid, unix.SIGKILL); kerr != nil && !errors.Is(kerr, unix.ESRCH) {
			return fmt.Errorf("kill %d: %w", pid, kerr)
		}
	}
	return nil
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

// Delete removes a container's cgroups and libcontainer state, killing it
// first if it still runs, and returns once its monitor has ended (so
// nothing writes to dir afterwards). Deleting what does not exist is not an
// error.
func (r *Runtime) Delete(id, dir string) error {
	c, err := r.load(id)
	if errors.Is(err, ErrNotFound) {
		return r.waitShim(id, dir)
	}
	if err != nil {
		return err
	}
	if status, err := c.Status(); err == nil && status != libcontainer.Stopped {
		if err := r.killAll(c); err != nil {
			return fmt.Errorf("container %s: kill before delete: %w", id, err)
		}
	}
	if err := r.waitShim(id, dir); err != nil {
		return err
	}
	if err := c.Destroy(); err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	return nil
}

// waitShim waits, bounded, for the monitor to record the exit and end.
func (r *Runtime) waitShim(id, dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	if err := waitMonitor(ctx, dir); err != nil {
		return fmt.Errorf("container %s: its monitor did not end: %w", id, err)
	}
	return nil
}
