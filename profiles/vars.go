package profiles

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// varDecl is a variable declared in a file.
type varDecl struct {
	name, value string
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// declare reads a file's variables mapping.
func (l *loader) declare(top *yaml.Node) []varDecl {
	m := mapValue(top, "variables")
	if m == nil {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		l.errNode(m, "expected a mapping of variable names to default values, got %s", describe(m))
		return nil
	}
	var out []varDecl
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case !varName.MatchString(k.Value):
			l.errNode(k, "bad variable name: use letters, digits and _, not starting with a digit")
		case v.Kind != yaml.ScalarNode || !slices.Contains(scalarText["Profile.variables"], v.ShortTag()):
			l.errNode(v, "expected a string or a number, got %s", describe(v))
		case strings.Contains(v.Value, "${"):
			l.errNode(v, "a variable's value cannot hold ${...}")
		default:
			out = append(out, varDecl{name: k.Value, value: v.Value})
		}
	}
	return out
}

// effectiveVars are the variables a file sees: its includes' (later ones
// winning), then its own.
func effectiveVars(f *file) map[string]string {
	out := map[string]string{}
	for _, inc := range f.includes {
		for k, v := range effectiveVars(inc) {
			out[k] = v
		}
	}
	for _, v := range f.vars {
		out[v.name] = v.value
	}
	return out
}

// applySet lays the command line's --set values over the defaults; a name
// the profile does not declare is a typo.
func (l *loader) applySet(vars map[string]string) {
	names := sortedKeys(vars)
	for _, name := range sortedKeys(l.opts.Set) {
		value := l.opts.Set[name]
		switch _, ok := vars[name]; {
		case !ok:
			l.errs.add(ValidationError{File: "--set", Path: name, Msg: "not a variable of this profile" + suggest(name, names) + " " + varList(names)})
		case strings.Contains(value, "${"):
			l.errs.add(ValidationError{File: "--set", Path: name, Msg: "a variable's value cannot hold ${...}"})
		default:
			vars[name] = value
		}
	}
}

func varList(names []string) string {
	if len(names) == 0 {
		return "(the profile declares no variables)"
	}
	return "(variables: " + keyList(names) + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// substitute replaces variables in every string value of a file (keys,
// include and variables excepted) and checks where address references
// stand; they are kept as written.
func (l *loader) substitute(top *yaml.Node, vars map[string]string) {
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "include", "variables":
			continue
		}
		l.substituteIn(top.Content[i+1], vars)
	}
}

func (l *loader) substituteIn(n *yaml.Node, vars map[string]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			l.substituteIn(n.Content[i], vars)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			l.substituteIn(c, vars)
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" && strings.Contains(n.Value, "${") {
			l.substituteScalar(n, vars)
		}
	}
}

func (l *loader) substituteScalar(n *yaml.Node, vars map[string]string) {
	segs, err := scan(n.Value)
	if err != nil {
		l.errNode(n, "%s", err.Error())
		l.reported[n] = true
		return
	}
	var b strings.Builder
	ok := true
	for _, s := range segs {
		switch {
		case s.ref != nil:
			ok = l.refPlace(n, s, len(segs) == 1) && ok
			b.WriteString(s.text)
		case s.variable != "":
			v, found := vars[s.variable]
			if !found {
				l.errNode(n, "undefined variable %q%s %s", s.variable, suggest(s.variable, sortedKeys(vars)), varList(sortedKeys(vars)))
				ok = false
			}
			b.WriteString(v)
		default:
			b.WriteString(s.text)
		}
	}
	if !ok {
		l.reported[n] = true
		return
	}
	n.Value = b.String()
	if len(segs) == 1 && segs[0].variable != "" && n.Style == 0 {
		// An unquoted ${x} reads as if its value were written there:
		// replicas: ${n} is an integer. Quote it to keep a string.
		n.Tag = ""
		n.Tag = n.ShortTag()
	}
}

var (
	refPlaces     = regexp.MustCompile(`^nfs\[\d+\]\.(config|env|args)([.\[]|$)`)
	listRefPlaces = regexp.MustCompile(`^nfs\[\d+\]\.config([.\[]|$)`)
)

// refPlace checks that an address reference stands where the orchestrator
// resolves them.
func (l *loader) refPlace(n *yaml.Node, s segment, whole bool) bool {
	path := l.info[n].path
	switch {
	case !refPlaces.MatchString(path):
		l.errNode(n, "%s: references to NF addresses are resolved only in config, env and args", s.text)
	case s.ref.All && !listRefPlaces.MatchString(path):
		l.errNode(n, "%s: a list of addresses can stand only in config", s.text)
	case s.ref.All && !whole:
		l.errNode(n, "%s: a list of addresses must be the whole value, not part of a string", s.text)
	default:
		return true
	}
	return false
}
