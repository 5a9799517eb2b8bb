package profiles

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// dependency reads "nrf" or {nf: nrf, condition: started}.
func (d *decoder) dependency(n *yaml.Node, path string, v reflect.Value) {
	switch {
	case n.Kind == yaml.MappingNode:
		d.object(n, path, v)
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		d.pos[joinKey(path, "nf")] = n
		v.Set(reflect.ValueOf(Dependency{NF: n.Value}))
	default:
		d.fail(n, "expected an NF name or a mapping with nf and condition, got %s", describe(n))
	}
}

// volume reads "NAME:/path[:ro]" or {name: NAME, path: /path, read_only: true}.
func (d *decoder) volume(n *yaml.Node, path string, v reflect.Value) {
	switch {
	case n.Kind == yaml.MappingNode:
		d.object(n, path, v)
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		vol, ok := parseVolume(n.Value)
		if !ok {
			d.fail(n, "expected NAME:/abs/path or NAME:/abs/path:ro, got %s", describe(n))
			return
		}
		d.pos[joinKey(path, "name")] = n
		d.pos[joinKey(path, "path")] = n
		v.Set(reflect.ValueOf(vol))
	default:
		d.fail(n, "expected NAME:/abs/path[:ro] or a mapping with name, path and read_only, got %s", describe(n))
	}
}

// parseVolume splits the short form; the parts are validated later.
func parseVolume(s string) (Volume, bool) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) == 2:
		return Volume{Name: parts[0], Path: parts[1]}, true
	case len(parts) == 3 && parts[2] == "ro":
		return Volume{Name: parts[0], Path: parts[1], ReadOnly: true}, true
	}
	return Volume{}, false
}

// anyValue converts config: mappings to map[string]any, lists to []any,
// scalars to string, int, float64, bool or nil. Timestamps stay text (an
// NF's config decides what a date is).
func (d *decoder) anyValue(n *yaml.Node, path string) any {
	d.pos[path] = n
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			m[k.Value] = d.anyValue(n.Content[i+1], joinKey(path, k.Value))
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			s[i] = d.anyValue(item, joinIndex(path, i))
		}
		return s
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!int", "!!float", "!!bool":
		var x any
		if err := n.Decode(&x); err != nil {
			d.fail(n, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return nil
		}
		return x
	}
	return n.Value
}
