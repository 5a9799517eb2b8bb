// Package container describes containers: what a user asks for (Spec), what
// the node records and observes (Container), and their limits and counters.
// It is plain data with no dependencies, shared by the node, its runtime,
// the API and its clients.
package container

import (
	"fmt"
	"net/netip"
	"time"
)

// Spec is what `corebox run` asks for.
type Spec struct {
	Name  string   `json:"name"`
	Image string   `json:"image"`
	Args  []string `json:"args,omitempty"` // replaces the image's Cmd
	// Entrypoint replaces the image's entrypoint when set.
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Env          []string          `json:"env,omitempty"`
	Networks     []NetRequest      `json:"networks,omitempty"`
	Volumes      []Volume          `json:"volumes,omitempty"`
	Capabilities []string          `json:"capabilities,omitempty"`
	Devices      []string          `json:"devices,omitempty"`
	Sysctls      map[string]string `json:"sysctls,omitempty"`
	Resources    Resources         `json:"resources"`
	// Config is the NF's config file, mounted read-only at ConfigPath
	// (default /etc/corebox/<kind>.yaml).
	Config     []byte            `json:"config,omitempty"`
	ConfigPath string            `json:"config_path,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// NetRequest is one --net flag: a network, and optionally an address and an
// interface name other than the network's.
type NetRequest struct {
	Network string     `json:"network"`
	IfName  string     `json:"ifname,omitempty"`
	IP      netip.Addr `json:"ip,omitzero"`
}

// Volume is a named directory under the state root that outlives containers.
type Volume struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// Attachment is an interface as it was made.
type Attachment struct {
	Network string       `json:"network"`
	IfName  string       `json:"ifname"`
	Address netip.Prefix `json:"address"`
	Gateway netip.Addr   `json:"gateway,omitzero"`
	MAC     string       `json:"mac"`
}

// Container is a container's record and its observed state.
type Container struct {
	ID          string       `json:"id"`
	Spec        Spec         `json:"spec"`
	ImageDigest string       `json:"image_digest"`
	Args        []string     `json:"args"`
	Env         []string     `json:"env"`
	Cwd         string       `json:"cwd"`
	Attachments []Attachment `json:"attachments"`
	// ConfigTarget is where the config file is mounted in the container.
	ConfigTarget string    `json:"config_target,omitempty"`
	Created      time.Time `json:"created"`
	Phase        Phase     `json:"phase"`
	Pid          int       `json:"pid,omitempty"`
	ShimPid      int       `json:"shim_pid,omitempty"`
	Started      time.Time `json:"started,omitzero"`
	Status       Status    `json:"status,omitempty"`
	ExitCode     *int      `json:"exit_code,omitempty"`
	ExitSignal   string    `json:"exit_signal,omitempty"`
	Finished     time.Time `json:"finished,omitzero"`
}

// Phase is how far a run got; a record left in PhaseCreating or PhaseWiring
// was interrupted and is undone when the daemon restarts.
type Phase string

const (
	PhaseCreating Phase = "creating"
	// PhaseWiring: interfaces are being attached; an undo must detach.
	PhaseWiring  Phase = "wiring"
	PhaseStarted Phase = "started"
)

// Status of a container as observed.
type Status string

const (
	StatusCreated Status = "created"
	StatusRunning Status = "running"
	StatusStopped Status = "stopped"
	// StatusExited: the process ended and its monitor recorded how.
	StatusExited Status = "exited"
	// StatusUnknown: the process ended but its monitor is gone too, so the
	// exit status was lost (the monitor was killed).
	StatusUnknown Status = "unknown"
)

// Resources are the cgroup limits of a container; zero means unlimited.
type Resources struct {
	CPUs        float64 `json:"cpus,omitempty"`
	MemoryBytes int64   `json:"memory_bytes,omitempty"`
	Pids        int64   `json:"pids,omitempty"`
	// CPUSet pins the container to these CPUs ("2-3"), for data-plane NFs.
	CPUSet string `json:"cpuset,omitempty"`
}

// Validate reports resource values a user cannot mean.
func (r Resources) Validate() error {
	switch {
	case r.CPUs < 0:
		return fmt.Errorf("cpus %v: must be positive (e.g. 1.5)", r.CPUs)
	case r.CPUs > 0 && r.CPUs < 0.01:
		return fmt.Errorf("cpus %v: the smallest limit is 0.01", r.CPUs)
	case r.MemoryBytes < 0:
		return fmt.Errorf("memory %d: must be positive (e.g. 256Mi)", r.MemoryBytes)
	case r.MemoryBytes > 0 && r.MemoryBytes < 6<<20:
		return fmt.Errorf("memory %d bytes: the smallest limit is 6Mi", r.MemoryBytes)
	case r.Pids < 0:
		return fmt.Errorf("pids %d: must be positive", r.Pids)
	}
	return nil
}

// Impairment is netem-style link trouble on one interface; the zero value
// means none.
type Impairment struct {
	Delay          time.Duration `json:"delay,omitempty"`
	Jitter         time.Duration `json:"jitter,omitempty"`
	LossPercent    float64       `json:"loss_percent,omitempty"`
	RateBitsPerSec uint64        `json:"rate_bps,omitempty"`
}

// Stats is a container's resource use, from its cgroups and interfaces.
type Stats struct {
	CPUUsageNanos  uint64           `json:"cpu_usage_ns"`
	CPUThrottledNs uint64           `json:"cpu_throttled_ns"`
	MemoryBytes    uint64           `json:"memory_bytes"`
	MemoryLimit    uint64           `json:"memory_limit_bytes"`
	MemoryMaxBytes uint64           `json:"memory_max_bytes"`
	Pids           uint64           `json:"pids"`
	PidsLimit      uint64           `json:"pids_limit"`
	Interfaces     []InterfaceStats `json:"interfaces,omitempty"`
}

// InterfaceStats are the counters of one container interface.
type InterfaceStats struct {
	IfName    string `json:"ifname"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
}
