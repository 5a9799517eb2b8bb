// Package shim is the small monitor process that is the parent of one
// container. The daemon that started a container may die and restart; the
// shim stays, so the container's exit status is still captured (the role
// containerd's shim and conmon play).
//
// The shim starts the container itself (through a Starter, which uses
// libcontainer), so the container's init is its child; it waits for the
// init and writes its exit status to a file when it ends. The container's
// stdout and stderr are the log file itself: output never passes through
// the shim. It is its own binary (cmd/corebox-shim), so a container start
// costs the same execs as `runc run`.
package shim

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// File names inside a container's directory.
const (
	LogFile  = "output.log"
	ExitFile = "exit.json"
)

// Report is the one JSON line the shim writes on its stdout once the
// container runs (Pid) or could not be started (Error).
type Report struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// Exit is the content of ExitFile.
type Exit struct {
	Pid      int       `json:"pid"`
	Code     int       `json:"code"`
	Signal   string    `json:"signal,omitempty"`
	ExitedAt time.Time `json:"exited_at"`
}

// Starter creates and starts the container described by the OCI spec at
// specPath, with stdout and stderr going to log, and returns the pid of its
// init, which must be a child of this process.
type Starter func(stateDir, id, specPath string, log *os.File) (int, error)

// Main runs the shim with the given arguments and returns its exit code.
//
//	corebox-shim -dir CONTAINER_DIR -state STATE_DIR -id ID -spec CONFIG_JSON
//
// Once the container runs, the shim re-executes itself as
//
//	corebox-shim -monitor -dir CONTAINER_DIR -pid INIT_PID
//
// which keeps its pid, and so stays the init's parent, but drops what
// starting the container loaded: the monitor that remains for the
// container's life is as small as a Go program gets.
func Main(args []string, start Starter) int {
	if len(args) > 0 && args[0] == "-monitor" {
		return monitorMain(args[1:])
	}
	fs := flag.NewFlagSet("corebox-shim", flag.ContinueOnError)
	dir := fs.String("dir", "", "the container's directory (log and exit files)")
	state := fs.String("state", "", "libcontainer state directory")
	id := fs.String("id", "", "container id")
	spec := fs.String("spec", "", "OCI spec of the container")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || *state == "" || *id == "" || *spec == "" {
		fmt.Fprintln(os.Stderr, "usage: corebox-shim -dir CONTAINER_DIR -state STATE_DIR -id ID -spec CONFIG_JSON")
		return 2
	}
	ignoreSignals()
	pid, err := startContainer(*dir, func(log *os.File) (int, error) { return start(*state, *id, *spec, log) })
	if err != nil {
		if rerr := writeReport(Report{Error: err.Error()}); rerr != nil {
			fmt.Fprintf(os.Stderr, "corebox-shim: %v\n", rerr)
		}
		return 1
	}
	if err := writeReport(Report{Pid: pid}); err != nil {
		fmt.Fprintf(os.Stderr, "corebox-shim: %v\n", err)
	}
	err = becomeMonitor(*dir, pid)
	// Only reached when the exec failed: monitor from here instead.
	fmt.Fprintf(os.Stderr, "corebox-shim: re-exec as monitor: %v; monitoring in place\n", err)
	return monitor(*dir, pid)
}

func becomeMonitor(dir string, pid int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	argv := []string{os.Args[0], "-monitor", "-dir", dir, "-pid", strconv.Itoa(pid)}
	return unix.Exec(self, argv, os.Environ())
}

func monitorMain(args []string) int {
	fs := flag.NewFlagSet("corebox-shim -monitor", flag.ContinueOnError)
	dir := fs.String("dir", "", "the container's directory")
	pid := fs.Int("pid", 0, "the container's init, a child of this process")
	if err := fs.Parse(args); err != nil || *dir == "" || *pid <= 0 {
		fmt.Fprintln(os.Stderr, "usage: corebox-shim -monitor -dir CONTAINER_DIR -pid PID")
		return 2
	}
	ignoreSignals()
	return monitor(*dir, *pid)
}

// monitor waits for the init to end and records how it ended.
func monitor(dir string, pid int) int {
	status, err := waitFor(pid)
	if err == nil {
		err = writeExit(dir, pid, status)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "corebox-shim: container init %d: %v\n", pid, err)
		return 1
	}
	return 0
}

func ignoreSignals() {
	for _, s := range []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGTERM, unix.SIGQUIT, unix.SIGPIPE} {
		ignoreSignal(s)
	}
}

func startContainer(dir string, start func(*os.File) (int, error)) (int, error) {
	logf, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return 0, fmt.Errorf("open log: %w", err)
	}
	defer logf.Close()
	return start(logf)
}

// waitFor reaps children until pid has ended; any other child (there
// should be none) is reaped too rather than left a zombie.
func waitFor(pid int) (unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if got == pid {
			return ws, nil
		}
	}
}

// writeReport answers the daemon on stdout, then points stdout at
// /dev/null so nothing written later lands in a closed or reused fd.
func writeReport(r Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := os.Stdout.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devnull.Close()
	if err := unix.Dup3(int(devnull.Fd()), 1, 0); err != nil {
		return fmt.Errorf("close report pipe: %w", err)
	}
	return nil
}

func writeExit(dir string, pid int, ws unix.WaitStatus) error {
	e := Exit{Pid: pid, Code: ws.ExitStatus(), ExitedAt: time.Now().UTC()}
	if ws.Signaled() {
		e.Code = 128 + int(ws.Signal())
		e.Signal = unix.SignalName(ws.Signal())
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ExitFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write exit status: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ExitFile)); err != nil {
		return fmt.Errorf("write exit status: %w", err)
	}
	return nil
}

// ReadExit reads the exit status a shim wrote; os.ErrNotExist while the
// container has not exited.
func ReadExit(dir string) (*Exit, error) {
	b, err := os.ReadFile(filepath.Join(dir, ExitFile))
	if err != nil {
		return nil, err
	}
	var e Exit
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ExitFile, err)
	}
	return &e, nil
}
