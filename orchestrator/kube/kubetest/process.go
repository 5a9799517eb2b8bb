package kubetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// process is one control-plane program, its output in DIR/NAME.log.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func (cp *ControlPlane) run(name, bin string, args ...string) (*process, error) {
	logf, err := os.Create(filepath.Join(cp.dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, killed with the test binary if that dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: logf}
	go func() {
		defer close(p.done)
		if err := cmd.Wait(); err != nil {
			fmt.Fprintf(logf, "kubetest: %s exited: %v\n", name, err)
		}
	}()
	cp.procs = append(cp.procs, p)
	return p, nil
}

// exited says whether the process has ended (a start that failed).
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the end of the process's log, for error messages.
func (p *process) tail() string {
	b, err := os.ReadFile(p.log.Name())
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop asks the process group to end, and kills it after 10 s.
func (p *process) stop() {
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM); err != nil && err != syscall.ESRCH {
		fmt.Fprintf(p.log, "kubetest: stop %s: %v\n", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			fmt.Fprintf(p.log, "kubetest: kill %s: %v\n", p.name, err)
		}
		<-p.done
	}
	p.log.Close()
}
