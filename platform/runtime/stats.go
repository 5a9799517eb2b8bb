package runtime

import (
	"fmt"

	"github.com/corebox/corebox/platform/container"

	"github.com/opencontainers/runc/libcontainer/specconv"
)

// Stats reads the container's cgroup counters.
func (r *Runtime) Stats(id string) (*container.Stats, error) {
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
	return &container.Stats{
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
func (r *Runtime) Resize(id string, res container.Resources) error {
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
