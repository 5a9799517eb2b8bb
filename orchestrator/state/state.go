// Package state keeps the orchestrator's desired and observed state in
// bbolt under the state root, so that a restarted daemon resumes where the
// killed one stopped.
package state

import (
	"time"

	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// Desired is what the user asked for one profile: the resolved profile and
// every later change made by command (scale, resize) or by the autoscaler.
type Desired struct {
	Name    string           `json:"name"`
	Profile profiles.Profile `json:"profile"`
	// Set are the --set overrides the profile was resolved with.
	Set map[string]string `json:"set,omitempty"`
	// ImageTag names the images of kind NFs: corebox/KIND:ImageTag.
	ImageTag string `json:"image_tag"`
	// Replicas overrides the profile's replica counts, by NF.
	Replicas map[string]int `json:"replicas,omitempty"`
	// ScaledAt is when an NF was last scaled by command: its autoscaling
	// policy waits a cooldown after that too.
	ScaledAt map[string]time.Time `json:"scaled_at,omitempty"`
	// Resources overrides limits of single instances (corebox resize).
	Resources map[string]container.Resources `json:"resources,omitempty"`
	// MgmtSubnet is the mgmt network's subnet, allocated at the first up
	// when the profile leaves it open.
	MgmtSubnet string    `json:"mgmt_subnet"`
	Generation int64     `json:"generation"`
	Applied    time.Time `json:"applied"`
	// Deleting: `down` was asked; the controller removes everything and
	// then the record.
	Deleting bool `json:"deleting,omitempty"`
}

// ReplicasOf is the desired replica count of an NF.
func (d *Desired) ReplicasOf(nf *profiles.NF) int {
	if n, ok := d.Replicas[nf.Name]; ok {
		return n
	}
	return nf.Replicas
}

// Phase of an instance as the controller sees it.
type Phase string

const (
	PhasePending   Phase = "pending"   // not created: waiting for dependencies or a reference
	PhaseStarting  Phase = "starting"  // running, not ready yet
	PhaseReady     Phase = "ready"     // running and ready
	PhaseExited    Phase = "exited"    // ended; a restart is due (see NextRestart)
	PhaseCrashLoop Phase = "crashloop" // restarted often and soon; restarts at the longest backoff
	PhaseDraining  Phase = "draining"  // being emptied before removal
	PhaseFailed    Phase = "failed"    // cannot be created (the message says why)
	PhaseStopped   Phase = "stopped"   // ended, and its restart policy keeps it so
)

// Instance is one replica's controller record.
type Instance struct {
	Name    string `json:"name"`
	Profile string `json:"profile"`
	NF      string `json:"nf"`
	Index   int    `json:"index"`
	Phase   Phase  `json:"phase"`
	Message string `json:"message,omitempty"`
	// ConfigHash is the hash of the spec the container was made from; a
	// different desired hash rolls the instance.
	ConfigHash string `json:"config_hash,omitempty"`
	// Addresses pins the instance's addresses by network, so that a
	// re-created instance keeps them.
	Addresses map[string]string `json:"addresses,omitempty"`
	CPUSet    string            `json:"cpuset,omitempty"`
	Exclusive bool              `json:"exclusive,omitempty"`
	Restarts  int               `json:"restarts"`
	// Backoff is the wait before the next restart; it doubles on each
	// quick crash and resets after a stable run.
	Backoff      time.Duration `json:"backoff,omitempty"`
	NextRestart  time.Time     `json:"next_restart,omitzero"`
	LastExit     *int          `json:"last_exit,omitempty"`
	StartedAt    time.Time     `json:"started_at,omitzero"`
	ReadyAt      time.Time     `json:"ready_at,omitzero"`
	DrainStarted time.Time     `json:"drain_started,omitzero"`
}

// Event is one thing the orchestrator did or saw, for `corebox events`.
type Event struct {
	Seq     uint64         `json:"seq"`
	Time    time.Time      `json:"time"`
	Profile string         `json:"profile,omitempty"`
	Object  string         `json:"object,omitempty"` // NF or instance
	Reason  string         `json:"reason"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
}
