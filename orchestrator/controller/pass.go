package controller

import (
	"context"
	"fmt"
	"strconv"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// pass is one reconcile of one profile.
type pass struct {
	c   *Controller
	ctx context.Context
	d   *state.Desired
	ls  *loopState
	// creates are the instances to create at the end of the pass.
	creates []createJob

	ctrs  map[string]container.Container // the profile's containers
	recs  map[string]*state.Instance
	addrs addressBook
	// busy: something is in flight; reconcile again soon.
	busy bool
}

func (p *pass) run() error {
	if p.d.Deleting {
		return p.teardown()
	}
	if err := p.observe(); err != nil {
		return err
	}
	if err := p.ensureNetworks(); err != nil {
		return err
	}
	order, err := dependencyOrder(&p.d.Profile)
	if err != nil {
		return err
	}
	for _, nf := range order {
		if err := p.syncNF(nf); err != nil {
			return err
		}
	}
	if err := p.runCreates(); err != nil {
		return err
	}
	if err := p.removeOrphans(); err != nil {
		return err
	}
	p.syncRoutes()
	p.autoscale()
	return nil
}

// observe reads the containers and records of the profile.
func (p *pass) observe() error {
	all, err := p.c.be.List(p.ctx)
	if err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	p.ctrs = map[string]container.Container{}
	for _, ctr := range all {
		if ctr.Spec.Labels[backend.LabelProfile] == p.d.Name {
			p.ctrs[ctr.Spec.Name] = ctr
		}
	}
	recs, err := p.c.store.Instances(p.d.Name)
	if err != nil {
		return err
	}
	p.recs = map[string]*state.Instance{}
	for _, r := range recs {
		p.recs[r.Name] = r
	}
	p.addrs = p.addressBook()
	return nil
}

// addressBook lists, for every NF and network, the addresses of its
// desired replicas in order ("" for one not made yet).
func (p *pass) addressBook() addressBook {
	book := addressBook{}
	for i := range p.d.Profile.NFs {
		nf := &p.d.Profile.NFs[i]
		n := p.d.ReplicasOf(nf)
		byNet := map[string][]string{}
		for _, itf := range nf.Interfaces {
			byNet[itf.Network] = make([]string, n)
		}
		book[nf.Name] = byNet
	}
	for _, ctr := range p.ctrs {
		nf := ctr.Spec.Labels[backend.LabelNF]
		idx, err := strconv.Atoi(ctr.Spec.Labels[backend.LabelIndex])
		if err != nil || book[nf] == nil {
			continue
		}
		for _, a := range ctr.Attachments {
			if list := book[nf][a.IfName]; idx < len(list) {
				list[idx] = a.Address.Addr().String()
			}
		}
	}
	return book
}

// ensureNetworks creates the profile's networks that are missing.
func (p *pass) ensureNetworks() error {
	for _, n := range p.d.Profile.Networks {
		subnet := n.Subnet
		if n.Name == profiles.MgmtNetwork && subnet == "" {
			subnet = p.d.MgmtSubnet
		}
		typ := n.Type
		if typ == "" {
			typ = "bridge"
		}
		err := p.c.be.EnsureNetwork(p.ctx, backend.Network{
			Name: profiles.HostNetwork(p.d.Name, n.Name), Subnet: subnet, Type: typ, Master: n.Master, MTU: n.MTU,
			Labels: map[string]string{backend.LabelProfile: p.d.Name},
		})
		if err != nil {
			return fmt.Errorf("network %s: %w", n.Name, err)
		}
	}
	return nil
}

// removeOrphans drains away instances of NFs the profile no longer has,
// then removes networks it no longer has once nothing uses them.
func (p *pass) removeOrphans() error {
	wanted := map[string]bool{}
	for _, nf := range p.d.Profile.NFs {
		wanted[nf.Name] = true
	}
	for name, rec := range p.recs {
		if !wanted[rec.NF] {
			if err := p.scaleIn(name, nil); err != nil {
				return err
			}
		}
	}
	for name, ctr := range p.ctrs {
		if nf := ctr.Spec.Labels[backend.LabelNF]; !wanted[nf] && p.recs[name] == nil {
			if err := p.scaleIn(name, nil); err != nil {
				return err
			}
		}
	}
	return p.removeStaleNetworks()
}

func (p *pass) removeStaleNetworks() error {
	nets, err := p.c.be.Networks(p.ctx)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, n := range p.d.Profile.Networks {
		wanted[profiles.HostNetwork(p.d.Name, n.Name)] = true
	}
	for _, n := range nets {
		if n.Labels[backend.LabelProfile] != p.d.Name || wanted[n.Name] || p.networkInUse(n.Name) {
			continue
		}
		if err := p.c.be.RemoveNetwork(p.ctx, n.Name); err != nil {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
		p.c.ev.emit(p.d.Name, n.Name, "NetworkRemoved", "removed network "+n.Name, nil)
	}
	return nil
}

func (p *pass) networkInUse(hostName string) bool {
	for _, ctr := range p.ctrs {
		for _, r := range ctr.Spec.Networks {
			if r.Network == hostName {
				return true
			}
		}
	}
	return false
}

// teardown removes everything of a profile being brought down, then its
// records.
func (p *pass) teardown() error {
	if err := p.observe(); err != nil {
		return err
	}
	for name := range p.ctrs {
		if err := p.c.be.Remove(p.ctx, name); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
		p.c.releasePlacement(name)
		p.c.ev.emit(p.d.Name, name, "Removed", "removed "+name, nil)
	}
	p.ctrs = nil
	nets, err := p.c.be.Networks(p.ctx)
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Labels[backend.LabelProfile] != p.d.Name {
			continue
		}
		if err := p.c.be.RemoveNetwork(p.ctx, n.Name); err != nil {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
	}
	if err := p.c.store.DeleteProfile(p.d.Name); err != nil {
		return err
	}
	p.c.ev.emit(p.d.Name, p.d.Name, "Down", "profile "+p.d.Name+" removed", nil)
	return errGone
}
