package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/profiles"
)

// Status is `corebox status PROFILE`.
type Status struct {
	Name       string    `json:"name"`
	Generation int64     `json:"generation"`
	Applied    time.Time `json:"applied"`
	Deleting   bool      `json:"deleting,omitempty"`
	// Ready: every desired instance is ready and runs the current spec.
	Ready      bool            `json:"ready"`
	MgmtSubnet string          `json:"mgmt_subnet"`
	NFs        []NFStatus      `json:"nfs"`
	Networks   []NetworkStatus `json:"networks"`
}

// NFStatus is one NF's replicas.
type NFStatus struct {
	Name      string            `json:"name"`
	Image     string            `json:"image"`
	Desired   int               `json:"desired"`
	Ready     int               `json:"ready"`
	Scaling   *profiles.Scaling `json:"scaling,omitempty"`
	Instances []InstanceStatus  `json:"instances"`
}

// InstanceStatus is one replica.
type InstanceStatus struct {
	Name          string            `json:"name"`
	Phase         state.Phase       `json:"phase"`
	Message       string            `json:"message,omitempty"`
	Pid           int               `json:"pid,omitempty"`
	Restarts      int               `json:"restarts"`
	Addresses     map[string]string `json:"addresses,omitempty"`
	CPUSet        string            `json:"cpuset,omitempty"`
	CPUUsageNanos uint64            `json:"cpu_usage_ns,omitempty"`
	MemoryBytes   uint64            `json:"memory_bytes,omitempty"`
	// Info is what the NF reports about itself on GET /info (with stats).
	Info map[string]string `json:"info,omitempty"`
	// Routes are those the orchestrator keeps in the instance (profile
	// key routes), as "DST via ADDR".
	Routes    []string  `json:"routes,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	ReadyAt   time.Time `json:"ready_at,omitzero"`
}

// NetworkStatus is one of the profile's networks.
type NetworkStatus struct {
	Name   string `json:"name"` // as in the profile
	Host   string `json:"host"` // PROFILE-NET
	Subnet string `json:"subnet"`
	Exists bool   `json:"exists"`
}

// Profiles lists the applied profiles' names.
func (c *Controller) Profiles() ([]string, error) {
	ds, err := c.store.Profiles()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out, nil
}

// Status reports a profile's NFs, instances and networks as observed now;
// withStats adds each instance's CPU and memory (cgroup reads, not free).
func (c *Controller) Status(ctx context.Context, name string, withStats bool) (*Status, error) {
	d, err := c.store.Profile(name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s (applied: see `corebox status`)", ErrNotFound, name)
	}
	if err != nil {
		return nil, err
	}
	recs, err := c.store.Instances(name)
	if err != nil {
		return nil, err
	}
	byName := map[string]*state.Instance{}
	for _, r := range recs {
		byName[r.Name] = r
	}
	routes := c.routesShown(name)
	st := &Status{Name: name, Generation: d.Generation, Applied: d.Applied, Deleting: d.Deleting, MgmtSubnet: d.MgmtSubnet, Ready: !d.Deleting}
	for i := range d.Profile.NFs {
		nf := &d.Profile.NFs[i]
		ns := NFStatus{Name: nf.Name, Image: imageOf(d, nf), Desired: d.ReplicasOf(nf), Scaling: nf.Scaling}
		for j := range ns.Desired {
			is := c.instanceStatus(ctx, profiles.InstanceName(name, nf.Name, j), byName, withStats)
			is.Routes = routes(is.Name)
			if is.Phase == state.PhaseReady {
				ns.Ready++
			}
			ns.Instances = append(ns.Instances, is)
		}
		// Instances beyond the desired count are still shown while they drain.
		for _, r := range recs {
			if r.NF == nf.Name && r.Index >= ns.Desired {
				is := c.instanceStatus(ctx, r.Name, byName, withStats)
				is.Routes = routes(is.Name)
				ns.Instances = append(ns.Instances, is)
			}
		}
		st.Ready = st.Ready && ns.Ready == ns.Desired
		st.NFs = append(st.NFs, ns)
	}
	st.Ready = st.Ready && c.settled(name, d.Generation)
	st.Networks, err = c.networkStatus(ctx, d)
	return st, err
}

func (c *Controller) instanceStatus(ctx context.Context, name string, recs map[string]*state.Instance, withStats bool) InstanceStatus {
	is := InstanceStatus{Name: name, Phase: state.PhasePending}
	if r := recs[name]; r != nil {
		is.Phase, is.Message, is.Restarts, is.CPUSet = r.Phase, r.Message, r.Restarts, r.CPUSet
		is.StartedAt, is.ReadyAt = r.StartedAt, r.ReadyAt
	}
	ctr, err := c.be.Inspect(ctx, name)
	if err != nil {
		return is
	}
	is.Pid = ctr.Pid
	is.Addresses = map[string]string{}
	for _, a := range ctr.Attachments {
		is.Addresses[a.IfName] = a.Address.Addr().String()
	}
	if withStats && ctr.ExitCode == nil {
		if s, err := c.be.Stats(ctx, name); err == nil {
			is.CPUUsageNanos, is.MemoryBytes = s.CPUUsageNanos, s.MemoryBytes
		}
		if ir, ok := c.ops.(InfoReader); ok && is.Phase == state.PhaseReady {
			info, err := ir.Info(ctx, *ctr)
			if err != nil {
				info = map[string]string{"info": "unavailable: " + err.Error()}
			}
			is.Info = info
		}
	}
	return is
}

func (c *Controller) networkStatus(ctx context.Context, d *state.Desired) ([]NetworkStatus, error) {
	nets, err := c.be.Networks(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]backend.Network{}
	for _, n := range nets {
		have[n.Name] = n
	}
	var out []NetworkStatus
	for _, n := range d.Profile.Networks {
		host := profiles.HostNetwork(d.Name, n.Name)
		subnet := n.Subnet
		if subnet == "" {
			subnet = d.MgmtSubnet
		}
		_, ok := have[host]
		out = append(out, NetworkStatus{Name: n.Name, Host: host, Subnet: subnet, Exists: ok})
	}
	return out, nil
}

// Events returns the event log after seq.
func (c *Controller) Events(after uint64, limit int) ([]state.Event, error) {
	return c.store.Events(after, limit)
}

// Follow streams events after seq until ctx ends.
func (c *Controller) Follow(ctx context.Context, after uint64, fn func(state.Event) error) error {
	return c.ev.follow(ctx, after, fn)
}

// routesShown is what the profile's loop last set as each instance's routes.
func (c *Controller) routesShown(profile string) func(instance string) []string {
	c.mu.Lock()
	w := c.workers[profile]
	c.mu.Unlock()
	return func(instance string) []string {
		if w == nil {
			return nil
		}
		return w.state.routes.routesOf(instance)
	}
}
