// Package profiles is the profile format: a YAML description of a core
// network (its networks and NFs), loaded with includes and variables,
// validated with errors that point at file:line:column and the key path,
// and resolved into a Profile the orchestrator applies.
package profiles

import (
	"strconv"
	"time"
)

// Profile is a loaded profile: includes merged, variables substituted,
// defaults filled, and the mgmt network added. References to other NFs'
// addresses (${nrf.sbi}, ${upf.n4[*]}) stay in Config as text: the
// orchestrator resolves them at bring-up.
type Profile struct {
	Name string `yaml:"name" json:"name"`
	// Include lists other profiles (shipped names or paths relative to
	// this file) merged under this one by NF and network name. In a
	// loaded profile they are merged already: it records the file's list.
	Include []string `yaml:"include,omitempty" json:"include,omitempty"`
	// Variables are defaults for ${name} in any string value; --set
	// overrides them.
	Variables map[string]string `yaml:"variables,omitempty" json:"variables,omitempty"`
	Networks  []Network         `yaml:"networks" json:"networks"`
	NFs       []NF              `yaml:"nfs" json:"nfs"`
	// Source is the file the profile was loaded from ("shipped:NAME" for
	// an embedded one); not part of the format.
	Source string `yaml:"-" json:"source,omitempty"`
}

// Network is one of the profile's networks; on the host it is named
// PROFILE-NAME, inside containers the interface keeps NAME.
type Network struct {
	Name   string `yaml:"name" json:"name"`
	Subnet string `yaml:"subnet" json:"subnet"`                 // IPv4 CIDR; "" only for mgmt (allocated)
	Type   string `yaml:"type,omitempty" json:"type,omitempty"` // bridge (default) or macvlan
	Master string `yaml:"master,omitempty" json:"master,omitempty"`
	MTU    int    `yaml:"mtu,omitempty" json:"mtu,omitempty"`
}

// MgmtNetwork is the network every profile gets: each instance has an
// interface on it, and the daemon reaches ops endpoints through it.
const MgmtNetwork = "mgmt"

// OpsPort is where the ops server of our NFs listens on mgmt.
const OpsPort = 9090

// NF is one network function and its replicas.
type NF struct {
	Name string `yaml:"name" json:"name"`
	// Kind is a corenf kind (image corebox/KIND:TAG); Image is any OCI
	// image instead. Exactly one is set.
	Kind     string `yaml:"kind,omitempty" json:"kind,omitempty"`
	Image    string `yaml:"image,omitempty" json:"image,omitempty"`
	Replicas int    `yaml:"replicas" json:"replicas"` // default 1 (written always: 0 is a value)
	// Interfaces, one per network; mgmt is added when absent.
	Interfaces []Interface `yaml:"interfaces,omitempty" json:"interfaces"`
	Resources  Resources   `yaml:"resources,omitempty" json:"resources"`
	// Config is merged over the kind's default config and mounted at
	// /etc/corebox/KIND.yaml (ConfigPath for foreign images).
	Config     map[string]any `yaml:"config,omitempty" json:"config,omitempty"`
	ConfigPath string         `yaml:"config_path,omitempty" json:"config_path,omitempty"`
	Args       []string       `yaml:"args,omitempty" json:"args,omitempty"`
	Env        []string       `yaml:"env,omitempty" json:"env,omitempty"`
	DependsOn  []Dependency   `yaml:"depends_on,omitempty" json:"depends_on,omitempty"`
	// Routes the orchestrator keeps inside every instance (see Route).
	Routes  []Route  `yaml:"routes,omitempty" json:"routes,omitempty"`
	Volumes []Volume `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	// Capabilities, Devices and Sysctls as for `corebox run`.
	Capabilities []string          `yaml:"capabilities,omitempty" json:"capabilities,omitempty"`
	Devices      []string          `yaml:"devices,omitempty" json:"devices,omitempty"`
	Sysctls      map[string]string `yaml:"sysctls,omitempty" json:"sysctls,omitempty"`
	Readiness    Probe             `yaml:"readiness,omitempty" json:"readiness"`
	Drain        Drain             `yaml:"drain,omitempty" json:"drain"`
	Restart      RestartPolicy     `yaml:"restart,omitempty" json:"restart"`
	Scaling      *Scaling          `yaml:"scaling,omitempty" json:"scaling,omitempty"`
}

// Interface puts the NF on a network, optionally at fixed addresses (one
// per replica, in replica order).
type Interface struct {
	Network   string   `yaml:"network" json:"network"`
	Addresses []string `yaml:"addresses,omitempty" json:"addresses,omitempty"`
}

// Dataplane modes for Resources.Dataplane.
const (
	DataplaneNone      = ""
	DataplaneRequired  = "required"  // exclusive cores or refuse
	DataplanePreferred = "preferred" // exclusive cores if free, else shared
)

// Resources are an instance's limits.
type Resources struct {
	CPUs      float64 `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	Memory    string  `yaml:"memory,omitempty" json:"memory,omitempty"` // e.g. 256Mi
	Pids      int64   `yaml:"pids,omitempty" json:"pids,omitempty"`
	Dataplane string  `yaml:"dataplane,omitempty" json:"dataplane,omitempty"`
}

// Conditions for Dependency.Condition.
const (
	ConditionStarted = "started"
	ConditionReady   = "ready" // default
)

// Dependency: this NF's instances are created only once every instance of
// NF is started (or ready). In YAML either "nrf" or {nf: nrf, condition: started}.
type Dependency struct {
	NF        string `yaml:"nf" json:"nf"`
	Condition string `yaml:"condition,omitempty" json:"condition,omitempty"`
}

// Route asks for routes inside every instance of an NF: each prefix that
// a running replica of NF From announces for Network (GET /routes on its
// ops endpoint) is routed via that replica's address on Network. It is
// how a data network reaches each UPF replica's slice of the UE pool. Not
// a bring-up dependency: routes follow replicas as they come and go.
type Route struct {
	From    string `yaml:"from" json:"from"`
	Network string `yaml:"network" json:"network"`
}

// Volume is a named volume; in YAML either "NAME:/path[:ro]" or a map.
type Volume struct {
	Name     string `yaml:"name" json:"name"`
	Path     string `yaml:"path" json:"path"`
	ReadOnly bool   `yaml:"read_only,omitempty" json:"read_only,omitempty"`
}

// Probe says how readiness is checked on the instance's mgmt address. The
// default is HTTP GET /readyz on OpsPort; a foreign image may name another
// HTTP path and port, or a TCP or UDP port that must answer.
type Probe struct {
	HTTP     string        `yaml:"http,omitempty" json:"http,omitempty"` // path
	TCP      int           `yaml:"tcp,omitempty" json:"tcp,omitempty"`
	UDP      int           `yaml:"udp,omitempty" json:"udp,omitempty"`
	Port     int           `yaml:"port,omitempty" json:"port,omitempty"` // for HTTP; default OpsPort
	Interval time.Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	Timeout  time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Drain says how an instance is emptied before it is stopped: POST to
// HTTP starts it, GET polls {"remaining":N} until 0 or Timeout. The
// default is /drain on OpsPort; Disabled skips draining (foreign images
// without an endpoint).
type Drain struct {
	HTTP     string        `yaml:"http,omitempty" json:"http,omitempty"`
	Port     int           `yaml:"port,omitempty" json:"port,omitempty"`
	Timeout  time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"` // default 30s
	Disabled bool          `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// RestartPolicy values.
type RestartPolicy string

const (
	RestartAlways    RestartPolicy = "always" // default
	RestartOnFailure RestartPolicy = "on-failure"
	RestartNever     RestartPolicy = "never"
)

// Scaling is an autoscaling policy: keep Metric per replica near Target.
type Scaling struct {
	Min    int     `yaml:"min" json:"min"`
	Max    int     `yaml:"max" json:"max"`
	Metric string  `yaml:"metric" json:"metric"` // a Prometheus metric the NF exports, or "cpu"
	Target float64 `yaml:"target" json:"target"`
	// Cooldown is the least time between two scaling decisions of this NF.
	Cooldown time.Duration `yaml:"cooldown,omitempty" json:"cooldown,omitempty"`
}

// Instance names: PROFILE-NF-I.
func InstanceName(profile, nf string, i int) string {
	return profile + "-" + nf + "-" + strconv.Itoa(i)
}

// HostNetwork is the host-side name of a profile's network: PROFILE-NET.
func HostNetwork(profile, network string) string { return profile + "-" + network }
