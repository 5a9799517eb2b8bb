package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"reflect"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// ApplyRequest is `corebox up`.
type ApplyRequest struct {
	Profile  *profiles.Profile
	Set      map[string]string
	ImageTag string
	DryRun   bool
}

// ErrInvalid: the request cannot be applied as asked (the message says why).
var ErrInvalid = errors.New("invalid request")

// Apply stores the profile as desired state and wakes its loop; with
// DryRun it only answers the plan.
func (c *Controller) Apply(ctx context.Context, req ApplyRequest) (*Plan, error) {
	if req.Profile == nil || req.Profile.Name == "" {
		return nil, fmt.Errorf("%w: no profile", ErrInvalid)
	}
	if req.ImageTag == "" {
		return nil, fmt.Errorf("%w: no image tag for the kind NFs", ErrInvalid)
	}
	next, err := c.nextDesired(ctx, req)
	if err != nil {
		return nil, err
	}
	plan, err := c.plan(ctx, next)
	if err != nil || req.DryRun {
		return plan, err
	}
	if err := c.store.PutProfile(next); err != nil {
		return nil, err
	}
	c.ev.emit(next.Name, next.Name, "Applied", fmt.Sprintf("profile %s applied (generation %d): %s", next.Name, next.Generation, plan.Summary()), nil)
	c.wake(next.Name)
	return plan, nil
}

// nextDesired is the desired state after applying req over what is stored:
// scale and resize overrides survive unless the profile changed what they
// override.
func (c *Controller) nextDesired(ctx context.Context, req ApplyRequest) (*state.Desired, error) {
	p := req.Profile
	next := &state.Desired{Name: p.Name, Profile: *p, Set: req.Set, ImageTag: req.ImageTag, Applied: c.now().UTC(), Generation: 1}
	prev, err := c.store.Profile(p.Name)
	switch {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		return nil, err
	case prev.Deleting:
		return nil, fmt.Errorf("%w: profile %s is being brought down; wait until `corebox status %s` says it is gone", ErrInvalid, p.Name, p.Name)
	default:
		next.Generation = prev.Generation + 1
		next.MgmtSubnet = prev.MgmtSubnet
		next.Replicas = keptReplicas(prev, p)
		next.ScaledAt = prev.ScaledAt
		next.Resources = keptResources(prev, p)
	}
	if err := c.checkSubnets(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}

func keptReplicas(prev *state.Desired, p *profiles.Profile) map[string]int {
	out := map[string]int{}
	for nf, n := range prev.Replicas {
		old, now := findNF(&prev.Profile, nf), findNF(p, nf)
		if old != nil && now != nil && old.Replicas == now.Replicas {
			out[nf] = n
		}
	}
	return out
}

func keptResources(prev *state.Desired, p *profiles.Profile) map[string]container.Resources {
	out := map[string]container.Resources{}
	for inst, r := range prev.Resources {
		for i := range p.NFs {
			old := findNF(&prev.Profile, p.NFs[i].Name)
			if old != nil && old.Resources == p.NFs[i].Resources && isInstanceOf(inst, p.Name, p.NFs[i].Name) {
				out[inst] = r
			}
		}
	}
	return out
}

func isInstanceOf(instance, profile, nf string) bool {
	prefix := profile + "-" + nf + "-"
	return len(instance) > len(prefix) && instance[:len(prefix)] == prefix
}

// checkSubnets refuses subnets that overlap networks of other owners,
// naming both, and allocates the mgmt subnet when the profile leaves it
// open.
func (c *Controller) checkSubnets(ctx context.Context, d *state.Desired) error {
	nets, err := c.be.Networks(ctx)
	if err != nil {
		return err
	}
	var others []backend.Network
	for _, n := range nets {
		if n.Labels[backend.LabelProfile] != d.Name {
			others = append(others, n)
		}
	}
	for _, n := range d.Profile.Networks {
		if n.Subnet == "" {
			continue
		}
		if o := overlapping(n.Subnet, others); o != nil {
			return fmt.Errorf("%w: network %s (%s) of profile %s overlaps network %s (%s): change the subnet (a variable, e.g. --set)",
				ErrInvalid, n.Name, n.Subnet, d.Name, o.Name, o.Subnet)
		}
	}
	if d.MgmtSubnet == "" {
		return c.allocateMgmt(d, nets)
	}
	return nil
}

func overlapping(subnet string, nets []backend.Network) *backend.Network {
	a, err := netip.ParsePrefix(subnet)
	if err != nil {
		return nil
	}
	for i, n := range nets {
		if b, err := netip.ParsePrefix(n.Subnet); err == nil && a.Overlaps(b) {
			return &nets[i]
		}
	}
	return nil
}

// allocateMgmt picks a free /24 in 10.250.0.0/16 for the mgmt network.
func (c *Controller) allocateMgmt(d *state.Desired, nets []backend.Network) error {
	for _, n := range d.Profile.Networks {
		if n.Name == profiles.MgmtNetwork && n.Subnet != "" {
			d.MgmtSubnet = n.Subnet
			return nil
		}
	}
	taken := append([]backend.Network(nil), nets...)
	for _, n := range d.Profile.Networks {
		taken = append(taken, backend.Network{Name: n.Name, Subnet: n.Subnet})
	}
	// Addresses on this host's interfaces too: another state root's
	// bridges, or the machine's own networks.
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
				taken = append(taken, backend.Network{Name: "host", Subnet: p.Masked().String()})
			}
		}
	}
	for third := range 256 {
		s := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 250, byte(third), 0}), 24).String()
		if overlapping(s, taken) == nil {
			d.MgmtSubnet = s
			return nil
		}
	}
	return fmt.Errorf("%w: no free /24 left in 10.250.0.0/16 for the mgmt network of %s: give mgmt a subnet in the profile", ErrInvalid, d.Name)
}

// Down brings a profile down: every instance and network it made goes.
func (c *Controller) Down(ctx context.Context, name string) error {
	_, err := c.store.UpdateProfile(name, func(d *state.Desired) error {
		d.Deleting = true
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("%w: %s (see `corebox status`)", ErrNotFound, name)
	}
	if err != nil {
		return err
	}
	c.ev.emit(name, name, "DownRequested", "bringing "+name+" down", nil)
	c.wake(name)
	return nil
}

// Scale sets replica counts (NF -> N).
func (c *Controller) Scale(ctx context.Context, name string, replicas map[string]int) error {
	_, err := c.store.UpdateProfile(name, func(d *state.Desired) error {
		for nf, n := range replicas {
			f := findNF(&d.Profile, nf)
			if f == nil {
				return fmt.Errorf("%w: profile %s has no NF %q", ErrInvalid, name, nf)
			}
			if n < 0 {
				return fmt.Errorf("%w: %s=%d: replicas cannot be negative", ErrInvalid, nf, n)
			}
			if s := f.Scaling; s != nil && (n < s.Min || n > s.Max) {
				return fmt.Errorf("%w: %s=%d is outside its scaling policy (min %d, max %d)", ErrInvalid, nf, n, s.Min, s.Max)
			}
		}
		if d.Replicas == nil {
			d.Replicas = map[string]int{}
		}
		if d.ScaledAt == nil {
			d.ScaledAt = map[string]time.Time{}
		}
		maps.Copy(d.Replicas, replicas)
		for nf := range replicas {
			d.ScaledAt[nf] = c.now().UTC()
		}
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return err
	}
	c.ev.emit(name, name, "Scaled", fmt.Sprintf("scale %s: %v", name, replicas), map[string]any{"replicas": replicas})
	c.wake(name)
	return nil
}

// RecordResize keeps a resize of a profile's instance in its desired
// state, so that restarts and re-creations keep it.
func (c *Controller) RecordResize(instance, profile string, res container.Resources) error {
	_, err := c.store.UpdateProfile(profile, func(d *state.Desired) error {
		if d.Resources == nil {
			d.Resources = map[string]container.Resources{}
		}
		res.CPUSet = "" // placement owns the cpuset
		if reflect.DeepEqual(d.Resources[instance], res) {
			return nil
		}
		d.Resources[instance] = res
		return nil
	})
	if err != nil {
		return err
	}
	c.ev.emit(profile, instance, "ResizeRecorded", fmt.Sprintf("%s resized to cpus %v, memory %d, pids %d", instance, res.CPUs, res.MemoryBytes, res.Pids), nil)
	return nil
}
