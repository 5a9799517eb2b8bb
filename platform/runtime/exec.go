package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	stdin, copyStdin, err := stdinFile(e.Stdin)
	if err != nil {
		return 0, fmt.Errorf("container %s: exec: %w", id, err)
	}
	p := &libcontainer.Process{
		Args:   e.Args,
		Env:    env,
		Cwd:    cwd,
		Stdin:  stdin,
		Stdout: e.Stdout,
		Stderr: e.Stderr,
	}
	err = c.Run(p)
	if f, ok := stdin.(*os.File); ok && f != e.Stdin {
		f.Close() // the process holds its own copy now
	}
	if err != nil {
		copyStdin(false)
		return 0, fmt.Errorf("container %s: exec %q: %w", id, e.Args[0], err)
	}
	copyStdin(true)
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

// stdinFile gives the process a pipe for a stdin that is not a file, fed by
// a goroutine that is not waited for: os/exec would otherwise wait for the
// source to end even after the process exited. start(true) starts the copy;
// start(false) drops the pipe.
func stdinFile(in io.Reader) (io.Reader, func(start bool), error) {
	if in == nil {
		return nil, func(bool) {}, nil
	}
	if _, ok := in.(*os.File); ok {
		return in, func(bool) {}, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("stdin pipe: %w", err)
	}
	return pr, func(start bool) {
		if !start {
			pw.Close()
			return
		}
		go func() {
			defer pw.Close()
			// Ends when the source ends or the process closed its stdin.
			_, _ = io.Copy(pw, in)
		}()
	}, nil
}
