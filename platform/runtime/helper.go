package runtime

import (
	"encoding/json"
	"errors"
	"flag"
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

// logFD is where the monitor hands the container's log file to the helper.
const logFD = 3

// Init must be called first thing by the binary that serves as Helper,
// before any other work: libcontainer re-executes it as `init` inside the new
// namespaces. It never returns there; elsewhere it does nothing.
func Init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init()
	}
}

// HelperMain creates and starts one container and reports its init pid as
// JSON on stdout; the monitor that ran it adopts the init when it exits.
//
//	_start -state DIR -id ID -spec CONFIG_JSON
func HelperMain(args []string) int {
	fs := flag.NewFlagSet("_start", flag.ContinueOnError)
	state := fs.String("state", "", "libcontainer state dir")
	id := fs.String("id", "", "container id")
	specPath := fs.String("spec", "", "OCI spec file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pid, err := createAndStart(*state, *id, *specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]int{"pid": pid}); err != nil {
		fmt.Fprintf(os.Stderr, "report pid: %v\n", err)
		return 1
	}
	return 0
}

func createAndStart(state, id, specPath string) (pid int, err error) {
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
	logs := os.NewFile(logFD, "log")
	if logs == nil {
		return 0, errors.New("no log file on fd 3 (the helper runs under corebox-shim)")
	}
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
