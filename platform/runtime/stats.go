package runtime

import (
	"fmt"

	"github.com/opencontainers/runc/libcontainer/specconv"
)

// Stats are a container's resource use, read from its cgroups.
type Stats struct {
	CPUUsageNanos  uint64 `json:"cpu_usage_ns"`
	CPUThrottledNs uint64 `json:"cpu_throttled_ns"`
	MemoryBytes    uint64 `json:"memory_bytes"`
	MemoryLimit    uint64 `json:"memory_limit_bytes"`
	MemoryMaxBytes uint64 `json:"memory_max_bytes"`
	Pids           uint64 `json:"pids"`
	PidsLimit      uint64 `json:"pids_limit"`
}

// Stats reads the container's cgroup counters.
func (r *Runtime) Stats(id string) (*Stats, error) {
	c, err := r.load(id)
	if err != nil {
		return nil, err
	}
	s, err := c.Stats()
	if err != nil {
		return nil, fmt.Errorf("container %s: stats: %w", id, err)
	}
	cg := s.CgroupStats
	if cg == nil {
		return nil, fmt.Errorf("container %s: no cgroup stats", id)
	}
	return &Stats{
		CPUUsageNanos:  cg.CpuStats.CpuUsage.TotalUsage,
		CPUThrottledNs: cg.CpuStats.ThrottlingData.ThrottledTime,
		MemoryBytes:    cg.MemoryStats.Usage.Usage,
		MemoryLimit:    cg.MemoryStats.Usage.Limit,
		MemoryMaxBytes: cg.MemoryStats.Usage.MaxUsage,
		Pids:           cg.PidsStats.Current,
		PidsLimit:      cg.PidsStats.Limit,
	}, nil
}

// Resize changes the cgroup limits of a running container in place: the
// process keeps running and keeps its pid.
func (r *Runtime) Resize(id string, res Resources) error {
	if err := res.Validate(); err != nil {
		return err
	}
	c, err := r.load(id)
	if err != nil {
		return err
	}
	cfg := c.Config()
	spec, err := OCISpec(Spec{ID: id, Args: []string{"resize"}, Resources: res})
	if err != nil {
		return err
	}
	cg, err := specconv.CreateCgroupConfig(&specconv.CreateOpts{CgroupName: id, Spec: spec}, nil)
	if err != nil {
		return fmt.Errorf("container %s: convert limits: %w", id, err)
	}
	next := *cfg.Cgroups.Resources
	next.CpuQuota = cg.Resources.CpuQuota
	next.CpuPeriod = cg.Resources.CpuPeriod
	next.CpusetCpus = cg.Resources.CpusetCpus
	next.Memory = cg.Resources.Memory
	next.PidsLimit = cg.Resources.PidsLimit
	cgroups := *cfg.Cgroups
	cgroups.Resources = &next
	cfg.Cgroups = &cgroups
	if err := c.Set(cfg); err != nil {
		return fmt.Errorf("container %s: set limits: %w", id, err)
	}
	return nil
}
