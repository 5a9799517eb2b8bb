// Package shim is the small monitor process that is the parent of one
// container. The daemon that started a container may die and restart; the
// shim stays, so the container's exit status is still captured (the role
// containerd's shim and conmon play).
//
// The shim makes itself a child subreaper, runs the start helper (which uses
// libcontainer to create and start the container and then exits), adopts the
// container's init process when the helper exits, and writes the init's exit
// status to a file when it ends. The container's stdout and stderr are the
// log file itself: output never passes through the shim.
//
// It imports only the standard library and x/sys so that its memory stays
// small; it is its own binary (cmd/corebox-shim).
package shim

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// Main runs the shim with the given arguments and returns its exit code.
//
//	corebox-shim -dir CONTAINER_DIR -- HELPER [ARGS...]
func Main(args []string) int {
	fs := flag.NewFlagSet("corebox-shim", flag.ContinueOnError)
	dir := fs.String("dir", "", "the container's directory (log and exit files)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	helper := fs.Args()
	if *dir == "" || len(helper) == 0 {
		fmt.Fprintln(os.Stderr, "usage: corebox-shim -dir CONTAINER_DIR -- HELPER [ARGS...]")
		return 2
	}
	if err := run(*dir, helper, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "corebox-shim: %v\n", err)
		return 1
	}
	return 0
}

func run(dir string, helper []string, report *os.File) error {
	// Signals meant for a terminal or process group must not end the monitor.
	ignoreSignals()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return writeReport(report, Report{Error: fmt.Sprintf("become subreaper: %v", err)})
	}
	initPid, reaped, err := startContainer(dir, helper)
	if err != nil {
		return writeReport(report, Report{Error: err.Error()})
	}
	if err := writeReport(report, Report{Pid: initPid}); err != nil {
		return err
	}
	status, ok := reaped[initPid]
	if !ok {
		status, err = waitFor(initPid)
		if err != nil {
			return fmt.Errorf("wait for container init %d: %w", initPid, err)
		}
	}
	return writeExit(dir, initPid, status)
}

func ignoreSignals() {
	for _, s := range []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGTERM, unix.SIGQUIT, unix.SIGPIPE} {
		ignoreSignal(s)
	}
}

// startContainer runs the helper with the log file as fd 3 and returns the
// init pid it reports. Exits of other children seen meanwhile are returned,
// since the init may already have ended by the time the helper does.
func startContainer(dir string, helper []string) (int, map[int]unix.WaitStatus, error) {
	logf, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return 0, nil, fmt.Errorf("open log: %w", err)
	}
	defer logf.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return 0, nil, fmt.Errorf("pipe: %w", err)
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return 0, nil, fmt.Errorf("pipe: %w", err)
	}
	defer errR.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		outW.Close()
		errW.Close()
		return 0, nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	proc, err := os.StartProcess(helper[0], helper, &os.ProcAttr{
		Dir:   dir,
		Files: []*os.File{devnull, outW, errW, logf},
	})
	devnull.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("start helper %s: %w", helper[0], err)
	}
	stderrText := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(errR, 64<<10))
		stderrText <- b
	}()
	out, readErr := io.ReadAll(io.LimitReader(outR, 4096))
	reaped := map[int]unix.WaitStatus{}
	helperStatus, err := reapUntil(proc.Pid, reaped)
	if err != nil {
		return 0, nil, fmt.Errorf("wait for helper: %w", err)
	}
	msg := bytes.TrimSpace(<-stderrText)
	if !helperStatus.Exited() || helperStatus.ExitStatus() != 0 {
		if len(msg) == 0 {
			msg = []byte(describe(helperStatus))
		}
		return 0, nil, fmt.Errorf("%s", msg)
	}
	if readErr != nil {
		return 0, nil, fmt.Errorf("read helper report: %w", readErr)
	}
	var r Report
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil || r.Pid <= 0 {
		return 0, nil, fmt.Errorf("helper reported %q, want {\"pid\":N}", out)
	}
	return r.Pid, reaped, nil
}

// reapUntil reaps children until pid has exited, recording the others.
func reapUntil(pid int, reaped map[int]unix.WaitStatus) (unix.WaitStatus, error) {
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
		reaped[got] = ws
	}
}

func waitFor(pid int) (unix.WaitStatus, error) {
	return reapUntil(pid, map[int]unix.WaitStatus{})
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "helper killed by " + ws.Signal().String()
	}
	return fmt.Sprintf("helper exited with code %d", ws.ExitStatus())
}

func writeReport(w *os.File, r Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if r.Error != "" {
		return errors.New(r.Error)
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
