package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// ExecSpec is a process to run inside a running container.
type ExecSpec struct {
	Args   []string
	Env    []string // the whole environment; PATH only when empty
	Cwd    string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Exec runs a process in the container's namespaces and cgroup and returns
// its exit code. Cancelling ctx kills the process.
func (r *Runtime) Exec(ctx context.Context, id string, e ExecSpec) (int, error) {
	if len(e.Args) == 0 {
		return 0, errors.New("exec: no command given")
	}
	c, err := r.load(id)
	if err != nil {
		return 0, err
	}
	if st, err := c.Status(); err != nil || st != libcontainer.Running {
		return 0, fmt.Errorf("container %s: %w", id, ErrNotRunning)
	}
	env := e.Env
	if len(env) == 0 {
		env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	}
	cwd := e.Cwd
	if cwd == "" {
		cwd = "/"
	}
	p := &libcontainer.Process{
		Args:   e.Args,
		Env:    env,
		Cwd:    cwd,
		Stdin:  e.Stdin,
		Stdout: e.Stdout,
		Stderr: e.Stderr,
	}
	if err := c.Run(p); err != nil {
		return 0, fmt.Errorf("container %s: exec %q: %w", id, e.Args[0], err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if err := p.Signal(unix.SIGKILL); err != nil {
				// Already gone; Wait below reports how it ended.
				return
			}
		case <-done:
		}
	}()
	state, err := p.Wait()
	close(done)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		state = exitErr.ProcessState
	} else if err != nil {
		return 0, fmt.Errorf("container %s: exec %q: %w", id, e.Args[0], err)
	}
	if state == nil {
		return 0, fmt.Errorf("container %s: exec %q: no exit status", id, e.Args[0])
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return state.ExitCode(), nil
}
