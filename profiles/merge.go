package profiles

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Includes are merged as node trees, before decoding, so that every value
// keeps the file and line it came from. An including profile (over) is
// laid on what it includes (base):
//   - scalars and lists not named below: over replaces base;
//   - networks and nfs: merged by name, each item key by key;
//   - an NF's interfaces: merged by network (over's addresses replace);
//   - config: deep-merged (mappings key by key, anything else replaced);
//   - depends_on (by NF), routes (by from and network), volumes (by path),
//     capabilities, devices, env (by NAME): appended, over's item replacing
//     base's with the same identity;
//   - sysctls, resources, drain, scaling: merged key by key;
//   - readiness: key by key, but a check given in over (http, tcp or udp)
//     drops base's check and port;
//   - kind and image replace each other (a kind drops config_path).

// mergeFn merges over onto base; either may be nil.
type mergeFn func(base, over *yaml.Node) *yaml.Node

// merger builds merged nodes, recording where each came from.
type merger struct{ l *loader }

// shell is a new empty node standing for both base and over; it points at
// over, the including file, which is the one being edited.
func (m *merger) shell(over *yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: over.Kind, Tag: over.Tag, Style: over.Style, Line: over.Line, Column: over.Column}
	m.l.info[n] = m.l.info[over]
	return n
}

func replace(_, over *yaml.Node) *yaml.Node { return over }

// mapping merges two mappings key by key: rules name the merge of a key
// (replace by default); drop names base keys to forget given over.
func (m *merger) mapping(rules map[string]mergeFn, other mergeFn, drop func(over *yaml.Node) []string) mergeFn {
	if other == nil {
		other = replace
	}
	return func(base, over *yaml.Node) *yaml.Node {
		if base == nil || base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
			return over
		}
		dropped := map[string]bool{}
		if drop != nil {
			for _, k := range drop(over) {
				dropped[k] = true
			}
		}
		out := m.shell(over)
		for i := 0; i+1 < len(base.Content); i += 2 {
			k, v := base.Content[i], base.Content[i+1]
			overKey, ov := mapPair(over, k.Value)
			switch {
			case overKey != nil:
				rule := rules[k.Value]
				if rule == nil {
					rule = other
				}
				out.Content = append(out.Content, overKey, rule(v, ov))
			case !dropped[k.Value]:
				out.Content = append(out.Content, k, v)
			}
		}
		for i := 0; i+1 < len(over.Content); i += 2 {
			if k, _ := mapPair(base, over.Content[i].Value); k == nil {
				out.Content = append(out.Content, over.Content[i], over.Content[i+1])
			}
		}
		return out
	}
}

// mapPair finds a key and its value in a mapping.
func mapPair(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// listBy merges lists by an identity: an over item replaces (merges into)
// the first base item with its identity; others are appended. Items
// without an identity ("" from key) are appended.
func (m *merger) listBy(key func(*yaml.Node) string, item mergeFn) mergeFn {
	return func(base, over *yaml.Node) *yaml.Node {
		if base == nil || base.Kind != yaml.SequenceNode || over.Kind != yaml.SequenceNode {
			return over
		}
		out := m.shell(over)
		out.Content = append(out.Content, base.Content...)
		at := map[string]int{}
		for i, b := range base.Content {
			if k := key(b); k != "" {
				if _, dup := at[k]; !dup {
					at[k] = i
				}
			}
		}
		for _, o := range over.Content {
			k := key(o)
			if i, ok := at[k]; ok && k != "" {
				out.Content[i] = item(out.Content[i], o)
				delete(at, k) // a second over item with it is a duplicate
				continue
			}
			out.Content = append(out.Content, o)
		}
		return out
	}
}

// keyOf is an item's identity: the value of a key in a mapping item, or
// (for scalar items) what cut makes of its text.
func keyOf(mapKey string, cut func(string) string) func(*yaml.Node) string {
	return func(n *yaml.Node) string {
		switch n.Kind {
		case yaml.MappingNode:
			if v := mapValue(n, mapKey); v != nil && v.Kind == yaml.ScalarNode {
				return v.Value
			}
		case yaml.ScalarNode:
			return cut(n.Value)
		}
		return ""
	}
}

func whole(s string) string { return s }

// routeKey is a routes item's identity: its from and network together.
func routeKey(n *yaml.Node) string {
	none := func(string) string { return "" }
	from, network := keyOf("from", none)(n), keyOf("network", none)(n)
	if from == "" || network == "" {
		return ""
	}
	return from + " " + network
}

func envName(s string) string { name, _, _ := strings.Cut(s, "="); return name }

func volumePath(s string) string {
	if v, ok := parseVolume(s); ok {
		return v.Path
	}
	return ""
}

// deep merges config: mappings key by key, all the way down.
func (m *merger) deep(base, over *yaml.Node) *yaml.Node {
	return m.mapping(nil, m.deep, nil)(base, over)
}

// profile merges two profile files' top mappings.
func (m *merger) profile(base, over *yaml.Node) *yaml.Node {
	if base == nil {
		return over
	}
	if over == nil {
		return base
	}
	shallow := m.mapping(nil, nil, nil)
	name := keyOf("name", func(string) string { return "" })
	nf := m.mapping(map[string]mergeFn{
		"interfaces":   m.listBy(keyOf("network", func(string) string { return "" }), shallow),
		"config":       m.deep,
		"depends_on":   m.listBy(keyOf("nf", whole), replace),
		"routes":       m.listBy(routeKey, replace),
		"volumes":      m.listBy(keyOf("path", volumePath), replace),
		"capabilities": m.listBy(keyOf("", whole), replace),
		"devices":      m.listBy(keyOf("", whole), replace),
		"env":          m.listBy(keyOf("", envName), replace),
		"sysctls":      shallow,
		"resources":    shallow,
		"drain":        shallow,
		"scaling":      shallow,
		"readiness":    m.mapping(nil, nil, dropWhenSet([]string{"http", "tcp", "udp"}, "http", "tcp", "udp", "port")),
	}, nil, func(over *yaml.Node) []string {
		// kind and image replace each other; a kind has no config_path.
		return append(dropWhenSet([]string{"kind"}, "image", "config_path")(over), dropWhenSet([]string{"image"}, "kind")(over)...)
	})
	return m.mapping(map[string]mergeFn{
		"networks": m.listBy(name, shallow),
		"nfs":      m.listBy(name, nf),
	}, nil, nil)(base, over)
}

// dropWhenSet drops base's keys drop when over sets any of when.
func dropWhenSet(when []string, drop ...string) func(*yaml.Node) []string {
	return func(over *yaml.Node) []string {
		for _, k := range when {
			if mapValue(over, k) != nil {
				return drop
			}
		}
		return nil
	}
}

// flatten merges a file's includes (in order) and then the file itself.
func (m *merger) flatten(f *file) *yaml.Node {
	var acc *yaml.Node
	for _, inc := range f.includes {
		acc = m.profile(acc, m.flatten(inc))
	}
	return m.profile(acc, f.top)
}
