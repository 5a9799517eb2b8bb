package profiles

import (
	"slices"
	"strings"
)

// references checks every ${nf.network} the NF's config, env and args
// hold: the NF exists, has an interface there, and has that replica.
func (v *validator) references(p string, nf *NF) {
	nf.eachString(func(sub, s string) {
		for _, r := range refsIn(s) {
			if r.NF == SelfRef {
				v.selfReference(p+"."+sub, nf, r)
				continue
			}
			v.reference(p+"."+sub, r)
		}
	})
}

func (v *validator) selfReference(path string, nf *NF, r Ref) {
	if r.Network == SelfIndex {
		return
	}
	if r.Network != MgmtNetwork && !nf.on(r.Network) {
		v.at(path, "%s: NF %q has no interface on %q%s (its networks: %s)", r, nf.Name, r.Network, suggest(r.Network, nf.networks()), keyList(nf.networks()))
	}
}

func (v *validator) reference(path string, r Ref) {
	j, ok := v.nfs[r.NF]
	if !ok {
		v.at(path, "%s: no NF %q in this profile%s (NFs: %s)", r, r.NF, suggest(r.NF, v.nfList()), v.nfNames())
		return
	}
	target := &v.p.NFs[j]
	if r.Network != MgmtNetwork && !target.on(r.Network) {
		v.at(path, "%s: NF %q has no interface on %q%s (its networks: %s)", r, r.NF, r.Network, suggest(r.Network, target.networks()), keyList(target.networks()))
		return
	}
	if r.All {
		return
	}
	limit, why := target.Replicas, "has"
	if target.Scaling != nil && target.Scaling.Min < limit {
		limit, why = target.Scaling.Min, "may scale in to"
	}
	switch {
	case limit <= 0:
		v.at(path, "%s: NF %q %s no replicas", r, r.NF, why)
	case r.Index >= limit:
		v.at(path, "%s: replica %d is out of range: NF %q %s %s (indexes 0 to %d)", r, r.Index, r.NF, why, count(limit, "replica", "replicas"), limit-1)
	}
}

// networks lists the NF's networks, mgmt first (it is added when absent).
func (nf *NF) networks() []string {
	names := []string{MgmtNetwork}
	for _, itf := range nf.Interfaces {
		if itf.Network != MgmtNetwork {
			names = append(names, itf.Network)
		}
	}
	return names
}

// edge is a dependency of one NF on another: written in depends_on, or
// implied by a reference (ref) to its addresses.
type edge struct {
	to   int
	path string
	ref  string
}

func (v *validator) edges(i int) []edge {
	nf := &v.p.NFs[i]
	var out []edge
	named := map[string]bool{}
	for j, d := range nf.DependsOn {
		if to, ok := v.nfs[d.NF]; ok && d.NF != nf.Name {
			out = append(out, edge{to: to, path: joinIndex(joinIndex("nfs", i)+".depends_on", j) + ".nf"})
			named[d.NF] = true
		}
	}
	nf.eachString(func(sub, s string) {
		if n := v.pos[joinIndex("nfs", i)+"."+sub]; n != nil && v.l.reported[n] {
			return // a malformed value has no reference to follow
		}
		for _, r := range refsIn(s) {
			if to, ok := v.nfs[r.NF]; ok && r.NF != nf.Name && r.NF != SelfRef && !named[r.NF] {
				out = append(out, edge{to: to, path: joinIndex("nfs", i) + "." + sub, ref: r.String()})
				named[r.NF] = true
			}
		}
	})
	return out
}

// cycles reports dependency cycles, each once, at the dependency that
// closes it. Reference edges count: a referenced NF must start first.
func (v *validator) cycles() {
	state := make([]int, len(v.p.NFs)) // 0 new, 1 on the stack, 2 done
	var stack []int
	seen := map[string]bool{}
	var visit func(i int)
	visit = func(i int) {
		state[i] = 1
		stack = append(stack, i)
		for _, e := range v.edges(i) {
			switch state[e.to] {
			case 0:
				visit(e.to)
			case 1:
				v.cycle(stack[slices.Index(stack, e.to):], e, seen)
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
	}
	for i := range v.p.NFs {
		if state[i] == 0 && v.nfs[v.p.NFs[i].Name] == i {
			visit(i)
		}
	}
}

// cycle reports the cycle of NFs loop, closed by edge e back to loop[0].
func (v *validator) cycle(loop []int, e edge, seen map[string]bool) {
	names := make([]string, 0, len(loop)+1)
	for _, i := range loop {
		names = append(names, v.p.NFs[i].Name)
	}
	// The same cycle is found from any of its NFs: know it by its members.
	key := append([]string(nil), names...)
	slices.Sort(key)
	if seen[strings.Join(key, " ")] {
		return
	}
	seen[strings.Join(key, " ")] = true
	last := names[len(names)-1]
	names = append(names, names[0])
	msg := "dependency cycle: " + strings.Join(names, " -> ")
	if e.ref != "" {
		msg += " (" + last + " refers to " + e.ref + ")"
	}
	v.report(e.path, false, "%s", msg) // even where the value had another problem
}
