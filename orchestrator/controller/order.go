package controller

import (
	"fmt"
	"sort"

	"github.com/corebox/corebox/profiles"
)

// edges are an NF's dependencies: its depends_on, and every NF its config
// refers to (which must at least have started, to have an address).
func edges(nf *profiles.NF) []profiles.Dependency {
	deps := append([]profiles.Dependency(nil), nf.DependsOn...)
	seen := map[string]bool{}
	for _, d := range deps {
		seen[d.NF] = true
	}
	for _, r := range nf.References() {
		if !seen[r.NF] && r.NF != nf.Name {
			seen[r.NF] = true
			deps = append(deps, profiles.Dependency{NF: r.NF, Condition: profiles.ConditionStarted})
		}
	}
	return deps
}

// dependencyOrder sorts NFs so that each comes after what it depends on;
// ties keep the profile's order. The loader refuses cycles; one here is a
// bug, reported rather than looped on.
func dependencyOrder(p *profiles.Profile) ([]*profiles.NF, error) {
	index := map[string]int{}
	for i := range p.NFs {
		index[p.NFs[i].Name] = i
	}
	state := make([]int, len(p.NFs)) // 0 new, 1 visiting, 2 done
	var out []*profiles.NF
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return fmt.Errorf("dependency cycle through %s", p.NFs[i].Name)
		case 2:
			return nil
		}
		state[i] = 1
		deps := edges(&p.NFs[i])
		sort.SliceStable(deps, func(a, b int) bool { return index[deps[a].NF] < index[deps[b].NF] })
		for _, d := range deps {
			j, ok := index[d.NF]
			if !ok {
				return fmt.Errorf("%s depends on unknown NF %s", p.NFs[i].Name, d.NF)
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = 2
		out = append(out, &p.NFs[i])
		return nil
	}
	for i := range p.NFs {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// waves groups NFs by dependency depth: wave 0 depends on nothing, wave n
// on earlier waves only. For plans and graphs.
func waves(p *profiles.Profile) ([][]string, error) {
	order, err := dependencyOrder(p)
	if err != nil {
		return nil, err
	}
	depth := map[string]int{}
	var out [][]string
	for _, nf := range order {
		d := 0
		for _, e := range edges(nf) {
			d = max(d, depth[e.NF]+1)
		}
		depth[nf.Name] = d
		for len(out) <= d {
			out = append(out, nil)
		}
		out[d] = append(out[d], nf.Name)
	}
	return out, nil
}
