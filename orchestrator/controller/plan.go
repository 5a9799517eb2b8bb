package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// Action is one step of a plan.
type Action struct {
	Op     string `json:"op"`   // create, remove, roll, resize, keep
	Kind   string `json:"kind"` // network, instance
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
}

// Plan is what applying a profile will change, in dependency waves.
type Plan struct {
	Profile    string     `json:"profile"`
	Generation int64      `json:"generation"`
	Waves      [][]string `json:"waves"`
	Actions    []Action   `json:"actions"`
}

// Summary counts the plan's actions by kind of change.
func (p *Plan) Summary() string {
	n := map[string]int{}
	for _, a := range p.Actions {
		if a.Op != "keep" {
			n[a.Op+" "+a.Kind]++
		}
	}
	if len(n) == 0 {
		return "no changes"
	}
	var parts []string
	for k, v := range n {
		parts = append(parts, fmt.Sprintf("%d to %s", v, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// plan compares a desired state with what runs now.
func (c *Controller) plan(ctx context.Context, d *state.Desired) (*Plan, error) {
	ws, err := waves(&d.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	all, err := c.be.List(ctx)
	if err != nil {
		return nil, err
	}
	nets, err := c.be.Networks(ctx)
	if err != nil {
		return nil, err
	}
	recs, err := c.store.Instances(d.Name)
	if err != nil {
		return nil, err
	}
	return computePlan(d, all, nets, recs, ws), nil
}

// computePlan is the diff itself, pure so that it can be tested on its own.
func computePlan(d *state.Desired, all []container.Container, nets []backend.Network, recs []*state.Instance, ws [][]string) *Plan {
	p := &pass{d: d, ctrs: map[string]container.Container{}, recs: map[string]*state.Instance{}}
	for _, ctr := range all {
		if ctr.Spec.Labels[backend.LabelProfile] == d.Name {
			p.ctrs[ctr.Spec.Name] = ctr
		}
	}
	for _, r := range recs {
		p.recs[r.Name] = r
	}
	p.addrs = p.addressBook()
	plan := &Plan{Profile: d.Name, Generation: d.Generation, Waves: ws}
	plan.Actions = append(plan.Actions, networkActions(d, nets)...)
	for _, wave := range ws {
		for _, name := range wave {
			plan.Actions = append(plan.Actions, p.nfActions(findNF(&d.Profile, name))...)
		}
	}
	for name, ctr := range p.ctrs {
		if findNF(&d.Profile, ctr.Spec.Labels[backend.LabelNF]) == nil {
			plan.Actions = append(plan.Actions, Action{Op: "remove", Kind: "instance", Name: name, Detail: "its NF left the profile; drained first"})
		}
	}
	return plan
}

func networkActions(d *state.Desired, nets []backend.Network) []Action {
	have := map[string]backend.Network{}
	for _, n := range nets {
		have[n.Name] = n
	}
	var out []Action
	wanted := map[string]bool{}
	for _, n := range d.Profile.Networks {
		host := profiles.HostNetwork(d.Name, n.Name)
		wanted[host] = true
		subnet := n.Subnet
		if subnet == "" {
			subnet = d.MgmtSubnet
		}
		switch h, ok := have[host]; {
		case !ok:
			out = append(out, Action{Op: "create", Kind: "network", Name: host, Detail: subnet})
		case h.Subnet != subnet:
			out = append(out, Action{Op: "keep", Kind: "network", Name: host, Detail: fmt.Sprintf("subnet %s cannot change to %s while it exists: bring the profile down first", h.Subnet, subnet)})
		default:
			out = append(out, Action{Op: "keep", Kind: "network", Name: host, Detail: subnet})
		}
	}
	for _, n := range nets {
		if n.Labels[backend.LabelProfile] == d.Name && !wanted[n.Name] {
			out = append(out, Action{Op: "remove", Kind: "network", Name: n.Name, Detail: n.Subnet})
		}
	}
	return out
}

func (p *pass) nfActions(nf *profiles.NF) []Action {
	var out []Action
	n := p.d.ReplicasOf(nf)
	for i := range n {
		name := profiles.InstanceName(p.d.Name, nf.Name, i)
		ctr, ok := p.ctrs[name]
		if !ok {
			out = append(out, Action{Op: "create", Kind: "instance", Name: name, Detail: imageOf(p.d, nf)})
			continue
		}
		out = append(out, p.instanceChange(nf, p.recs[name], ctr))
	}
	for _, name := range p.surplus(nf.Name, n) {
		if _, ok := p.ctrs[name]; ok {
			out = append(out, Action{Op: "remove", Kind: "instance", Name: name, Detail: "scale-in to " + strconv.Itoa(n) + "; drained first"})
		}
	}
	return out
}

func (p *pass) instanceChange(nf *profiles.NF, rec *state.Instance, ctr container.Container) Action {
	name := ctr.Spec.Name
	_, hash, err := instanceSpec(p.d, nf, indexOf(ctr), rec, p.addrs)
	var unresolved *errUnresolved
	switch {
	case errors.As(err, &unresolved):
		return Action{Op: "keep", Kind: "instance", Name: name, Detail: "spec not known until " + unresolved.msg}
	case err != nil:
		return Action{Op: "keep", Kind: "instance", Name: name, Detail: err.Error()}
	case hash != ctr.Spec.Labels[backend.LabelConfigHash]:
		return Action{Op: "roll", Kind: "instance", Name: name, Detail: "spec or config changed; re-created one replica at a time"}
	}
	if rec == nil {
		rec = &state.Instance{Name: name}
	}
	want, err := resourcesOf(p.d, nf, rec)
	have := ctr.Spec.Resources
	if err == nil && (want.CPUs != have.CPUs || want.MemoryBytes != have.MemoryBytes || want.Pids != have.Pids) {
		return Action{Op: "resize", Kind: "instance", Name: name, Detail: fmt.Sprintf("cpus %v, memory %d, pids %d (in place)", want.CPUs, want.MemoryBytes, want.Pids)}
	}
	return Action{Op: "keep", Kind: "instance", Name: name}
}

func indexOf(ctr container.Container) int {
	i, _ := strconv.Atoi(ctr.Spec.Labels[backend.LabelIndex])
	return i
}
