// Package graph draws a profile: its NFs, its networks, which NF sits on
// which network, and which NF waits for which. DOT for Graphviz, Mermaid
// for Markdown viewers. Output is sorted so that it diffs cleanly.
package graph

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/corebox/corebox/profiles"
)

// model is what both renderings draw.
type model struct {
	name  string
	nfs   []node // by name
	nets  []node // by name
	links []edge // NF – network, one per interface
	deps  []edge // dependent → dependency
}

type node struct {
	name  string
	lines []string // label lines after the name
}

type edge struct{ from, to, label string }

func build(p *profiles.Profile) model {
	m := model{}
	if p == nil {
		return m
	}
	m.name = p.Name
	nfs, nets := map[string]bool{}, map[string]bool{}
	for _, nf := range p.NFs {
		if !nfs[nf.Name] { // a duplicate name is invalid; draw the first
			nfs[nf.Name] = true
			m.nfs = append(m.nfs, node{name: nf.Name, lines: nfLines(nf)})
		}
	}
	for _, n := range p.Networks {
		if !nets[n.Name] {
			nets[n.Name] = true
			m.nets = append(m.nets, node{name: n.Name, lines: netLines(n)})
		}
	}
	for _, nf := range p.NFs {
		for _, itf := range nf.Interfaces {
			m.links = append(m.links, edge{nf.Name, itf.Network, strings.Join(itf.Addresses, ", ")})
		}
		for _, dep := range nf.DependsOn {
			m.deps = append(m.deps, edge{nf.Name, dep.NF, cmp.Or(dep.Condition, profiles.ConditionReady)})
		}
	}
	// An edge to something the profile does not declare (an invalid
	// profile) still shows, and says so, instead of vanishing.
	for _, l := range m.links {
		if !nets[l.to] {
			nets[l.to] = true
			m.nets = append(m.nets, node{name: l.to, lines: []string{"(not declared)"}})
		}
	}
	for _, d := range m.deps {
		if !nfs[d.to] {
			nfs[d.to] = true
			m.nfs = append(m.nfs, node{name: d.to, lines: []string{"(not declared)"}})
		}
	}
	byName := func(a, b node) int { return cmp.Compare(a.name, b.name) }
	byEnds := func(a, b edge) int { return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to)) }
	slices.SortStableFunc(m.nfs, byName)
	slices.SortStableFunc(m.nets, byName)
	slices.SortStableFunc(m.links, byEnds)
	slices.SortStableFunc(m.deps, byEnds)
	return m
}

// nfLines: "kind upf" or "image IMAGE", then "×2" (and the autoscaling
// range when there is a policy).
func nfLines(nf profiles.NF) []string {
	var lines []string
	switch {
	case nf.Kind != "":
		lines = append(lines, "kind "+nf.Kind)
	case nf.Image != "":
		lines = append(lines, "image "+nf.Image)
	}
	replicas := fmt.Sprintf("×%d", nf.Replicas)
	if s := nf.Scaling; s != nil {
		replicas += fmt.Sprintf(" (autoscale %d–%d)", s.Min, s.Max)
	}
	return append(lines, replicas)
}

// netLines: the subnet, and the type when it is not the default bridge.
func netLines(n profiles.Network) []string {
	var lines []string
	if n.Subnet != "" {
		lines = append(lines, n.Subnet)
	}
	switch {
	case n.Type != "" && n.Master != "":
		lines = append(lines, n.Type+" on "+n.Master)
	case n.Type != "" && n.Type != "bridge":
		lines = append(lines, n.Type)
	}
	return lines
}

func (n node) label() []string { return append([]string{n.name}, n.lines...) }
