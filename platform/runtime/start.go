package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/corebox/corebox/platform/shim"
)

// Started is what Start reports.
type Started struct {
	Pid     int
	ShimPid int
}

// Start writes the container's OCI spec into dir and starts the container
// under its own monitor process. It returns once the container's process
// runs. dir receives the spec, the log and, later, the exit status.
func (r *Runtime) Start(ctx context.Context, s Spec, dir string) (*Started, error) {
	spec, err := OCISpec(s)
	if err != nil {
		return nil, err
	}
	// A restarted container must not look exited from its last run.
	if err := os.Remove(filepath.Join(dir, shim.ExitFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: clear the last exit status: %w", s.ID, err)
	}
	specPath := filepath.Join(dir, SpecFile)
	if err := writeJSON(specPath, spec); err != nil {
		return nil, fmt.Errorf("container %s: %w", s.ID, err)
	}
	cmd := exec.Command(r.shimPath, "-dir", dir, "-state", r.stateDir, "-id", s.ID, "-spec", specPath)
	cmd.Dir = dir
	// Its own session: the monitor must outlive the daemon and ignore
	// whatever happens to the daemon's process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	shimLog, err := os.OpenFile(filepath.Join(dir, "shim.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("container %s: open shim log: %w", s.ID, err)
	}
	defer shimLog.Close()
	cmd.Stderr = shimLog
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", s.ID, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("container %s: start monitor %s: %w", s.ID, r.shimPath, err)
	}
	if err := writeMonitorID(dir, monitorID{Pid: cmd.Process.Pid}); err != nil {
		return nil, errors.Join(fmt.Errorf("container %s: %w", s.ID, err), cmd.Process.Kill(), cmd.Wait())
	}
	rep, err := readReport(ctx, out)
	if err != nil {
		// A monitor that did not report is killed with everything it ran.
		if kerr := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			err = errors.Join(err, fmt.Errorf("kill monitor: %w", kerr))
		}
		// Killed just above: its wait status adds nothing to err.
		_ = cmd.Wait()
		err = errors.Join(err, r.Delete(s.ID, dir))
		return nil, fmt.Errorf("container %s: %w", s.ID, err)
	}
	if err := writeMonitorID(dir, monitorID{Pid: cmd.Process.Pid, Init: rep.Pid}); err != nil {
		return nil, errors.Join(fmt.Errorf("container %s: %w", s.ID, err), r.Delete(s.ID, dir))
	}
	// The daemon reaps its own monitors (a restarted daemon's monitors were
	// reparented and are reaped by init). A monitor reports its failures in
	// shim.log, so its wait status is not needed here.
	go func() { _ = cmd.Wait() }()
	return &Started{Pid: rep.Pid, ShimPid: cmd.Process.Pid}, nil
}

func readReport(ctx context.Context, out io.Reader) (*shim.Report, error) {
	type result struct {
		rep shim.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadBytes('\n')
		if err != nil {
			done <- result{err: fmt.Errorf("monitor ended without a report: %w", err)}
			return
		}
		var rep shim.Report
		if err := json.Unmarshal(line, &rep); err != nil {
			done <- result{err: fmt.Errorf("monitor report %q: %w", line, err)}
			return
		}
		done <- result{rep: rep}
	}()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the container to start: %w", ctx.Err())
	case res := <-done:
		if res.err != nil {
			return nil, res.err
		}
		if res.rep.Error != "" {
			return nil, errors.New(res.rep.Error)
		}
		return &res.rep, nil
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
