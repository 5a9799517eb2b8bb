package profiles

import (
	"fmt"
	"net/netip"
	"regexp"

	"gopkg.in/yaml.v3"
)

// validator checks a decoded, defaulted profile. Paths are those of the
// merged profile; at() finds the node behind one and reports at its file,
// line and local key path.
type validator struct {
	l   *loader
	p   *Profile
	pos map[string]*yaml.Node
	// failed are paths whose value the decoder reported and left out.
	failed map[string]bool
	nets   map[string]*Network // by name, the first of each
	nfs    map[string]int      // index by name, the first of each
	// static addresses per network: the NF that has each, and where
	used, usedAt map[string]map[netip.Addr]string
}

func newValidator(l *loader, p *Profile, pos map[string]*yaml.Node, failed map[string]bool) *validator {
	v := &validator{l: l, p: p, pos: pos, failed: failed, nets: map[string]*Network{}, nfs: map[string]int{}, used: map[string]map[netip.Addr]string{}, usedAt: map[string]map[netip.Addr]string{}}
	for i := range p.Networks {
		if _, dup := v.nets[p.Networks[i].Name]; !dup {
			v.nets[p.Networks[i].Name] = &p.Networks[i]
		}
	}
	for i := range p.NFs {
		if _, dup := v.nfs[p.NFs[i].Name]; !dup {
			v.nfs[p.NFs[i].Name] = i
		}
	}
	return v
}

// set reports whether the profile gave a value at path.
func (v *validator) set(path string) bool {
	_, ok := v.pos[path]
	return ok
}

// at reports a problem at path, or (for a value left out) at the closest
// enclosing value that was written, naming the path all the same. A value
// already reported (a type error, say) is not reported again.
func (v *validator) at(path, format string, args ...any) {
	v.report(path, true, format, args...)
}

// report is at; once says whether a value already reported is skipped.
func (v *validator) report(path string, once bool, format string, args ...any) {
	if once && v.failed[path] {
		return
	}
	p, suffix := path, ""
	for {
		if n, ok := v.pos[p]; ok {
			if once && v.l.reported[n] && suffix == "" {
				return
			}
			v.l.errAt(n, joinSuffix(v.l.info[n].path, suffix), format, args...)
			if suffix == "" && n.Kind == yaml.ScalarNode {
				v.l.reported[n] = true // one problem per value is enough
			}
			return
		}
		if p == "" {
			v.l.errs.add(ValidationError{File: v.p.Source, Path: path, Msg: fmt.Sprintf(format, args...)})
			return
		}
		parent, last := splitLast(p)
		p, suffix = parent, last+suffix
	}
}

// where is file:line of a path, for naming the other party of a conflict.
func (v *validator) where(path string) string {
	n, ok := v.pos[path]
	if !ok {
		return v.p.Source
	}
	return fmt.Sprintf("%s:%d", v.l.info[n].file, n.Line)
}

// line is the line a path was written at, for "first at line N".
func (v *validator) line(path string) int {
	if n, ok := v.pos[path]; ok {
		return n.Line
	}
	return 0
}

var nameSyntax = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// profileSyntax may start with a digit (5gc): a profile name only ever
// prefixes other names (5gc-upf-0, 5gc-n3) and names a Kubernetes namespace,
// which may too.
var profileSyntax = regexp.MustCompile(`^[a-z0-9]*[a-z][a-z0-9]*$`)

// checkName checks a network or NF name.
func (v *validator) checkName(path, name, what string, max int) {
	v.checkNameWith(path, name, what, max, nameSyntax, "a lowercase letter, then lowercase letters or digits ([a-z][a-z0-9]*)")
}

func (v *validator) checkNameWith(path, name, what string, max int, syntax *regexp.Regexp, rule string) {
	switch {
	case !v.set(path):
		// missing: reported by the decoder
	case name == "":
		v.at(path, "empty %s name: use %s", what, rule)
	case !syntax.MatchString(name):
		v.at(path, "bad %s name %q: use %s", what, name, rule)
	case len(name) > max:
		v.at(path, "%s name %q is %d characters long; at most %d", what, name, len(name), max)
	}
}

// validate runs every check.
func (v *validator) validate() {
	v.profileName()
	v.networks()
	for i := range v.p.NFs {
		v.nf(i, &v.p.NFs[i])
	}
	if len(v.p.NFs) == 0 {
		v.at("nfs", "a profile needs at least one NF")
	}
	v.cycles()
}

// profileName: host networks are PROFILE-NET and Linux (and CNI) names
// hold at most 15 characters.
func (v *validator) profileName() {
	v.checkNameWith("name", v.p.Name, "profile", 15, profileSyntax, "lowercase letters and digits with at least one letter, e.g. 5gc ([a-z0-9]*[a-z][a-z0-9]*)")
	if !profileSyntax.MatchString(v.p.Name) {
		return
	}
	longest := MgmtNetwork
	for _, n := range v.p.Networks {
		if len(n.Name) > len(longest) {
			longest = n.Name
		}
	}
	if host := HostNetwork(v.p.Name, longest); len(host) > 15 {
		v.at("name", "profile name %q is too long: its networks are created on the host as PROFILE-NET, and %q has %d characters where Linux and CNI allow 15; shorten the profile name to %d characters or the network name",
			v.p.Name, host, len(host), 15-1-len(longest))
	}
}
