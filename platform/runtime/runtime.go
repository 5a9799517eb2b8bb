// Package runtime runs containers on this node with embedded libcontainer.
//
// Lifecycle: Start (create and run, through a monitor process that outlives
// the daemon), Stop (SIGTERM, grace period, SIGKILL), Delete. A restarted
// daemon finds its containers again with State, because libcontainer keeps
// their state on disk and each container's monitor writes its exit status.
package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/shim"
)

// Errors a caller decides on.
var (
	ErrNotFound   = errors.New("container not found")
	ErrNotRunning = errors.New("container is not running")
)

// Config says where the runtime keeps state and how it starts containers.
type Config struct {
	// StateRoot holds libcontainer's state under StateRoot/runc.
	StateRoot string
	// ShimPath is the corebox-shim binary, which starts each container
	// and stays as its monitor.
	ShimPath string
}

// Runtime starts and manages containers.
type Runtime struct {
	stateDir string
	shimPath string
}

// New checks the configuration and prepares the state directory.
func New(cfg Config) (*Runtime, error) {
	if cfg.StateRoot == "" {
		return nil, errors.New("runtime: no state root")
	}
	if _, err := os.Stat(cfg.ShimPath); err != nil {
		return nil, fmt.Errorf("runtime: monitor binary corebox-shim: %w (build it with `make build`)", err)
	}
	dir := filepath.Join(cfg.StateRoot, "runc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("runtime: create state dir: %w", err)
	}
	return &Runtime{stateDir: dir, shimPath: cfg.ShimPath}, nil
}

// State is a container's observed state.
type State struct {
	Status  container.Status
	Pid     int
	Exit    *shim.Exit
	Started time.Time
}

// Mount is a bind mount from the host into the container.
type Mount struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only,omitempty"`
}

// Spec is what a container is made of.
type Spec struct {
	ID       string
	Hostname string
	Rootfs   string
	Args     []string
	Env      []string
	Cwd      string
	// NetNS is the path of the network namespace to join (made and wired
	// by the caller before Start).
	NetNS        string
	Capabilities []string // extra capabilities, e.g. NET_ADMIN
	Devices      []string // host device paths, e.g. /dev/net/tun
	Sysctls      map[string]string
	Mounts       []Mount
	Resources    container.Resources
}
