package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	// Device rules in the cgroup need the devices controller code.
	_ "github.com/opencontainers/cgroups/devices"
	// nsexec runs before the Go runtime in `init` re-execs.
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
)

// SpecFile is the name of a container's OCI spec in its directory.
const SpecFile = "config.json"

// Init must be called first thing by every binary that starts or enters
// containers (corebox-shim, and corebox for exec), before any other work: libcontainer re-executes it as `init` inside the new
// namespaces. It never returns there; elsewhere it does nothing.
func Init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init()
	}
}

// StartContainer creates and starts one container with libcontainer, its
// stdout and stderr going to log, and returns the pid of its init, a child
// of the calling process. It is the shim's Starter.
func StartContainer(state, id, specPath string, log *os.File) (int, error) {
	return createAndStart(state, id, specPath, log)
}

func createAndStart(state, id, specPath string, logs *os.File) (pid int, err error) {
	spec, err := readSpec(specPath)
	if err != nil {
		return 0, err
	}
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{CgroupName: id, Spec: spec})
	if err != nil {
		return 0, fmt.Errorf("container %s: convert spec: %w", id, err)
	}
	c, err := libcontainer.Create(state, id, cfg)
	if err != nil {
		return 0, fmt.Errorf("container %s: create: %w", id, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Destroy())
		}
	}()
	p := &libcontainer.Process{
		Args:   spec.Process.Args,
		Env:    spec.Process.Env,
		Cwd:    spec.Process.Cwd,
		Stdout: logs,
		Stderr: logs,
		Init:   true,
	}
	if err := c.Run(p); err != nil {
		return 0, fmt.Errorf("container %s: start %q: %w", id, spec.Process.Args[0], err)
	}
	pid, err = p.Pid()
	if err != nil {
		return 0, fmt.Errorf("container %s: init pid: %w", id, err)
	}
	return pid, nil
}

func readSpec(path string) (*specs.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse spec %s: %w", path, err)
	}
	if s.Process == nil || len(s.Process.Args) == 0 {
		return nil, fmt.Errorf("spec %s has no process", path)
	}
	return &s, nil
}
