package nfkit

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// unknownKeys walks the YAML tree beside the Go type it decodes into and
// reports every mapping key that no field takes, with its line and the keys
// that would have been accepted there.
func unknownKeys(file string, n *yaml.Node, t reflect.Type, path string) []error {
	for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) == 0 {
			return nil
		} else {
			n = n.Content[0]
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(yamlUnmarshaler) || reflect.PointerTo(t).Implements(yamlUnmarshaler) ||
		reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil // the type parses itself
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		return structKeys(file, n, t, path)
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			errs = append(errs, unknownKeys(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))...)
		}
		return errs
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		var errs []error
		for i, c := range n.Content {
			errs = append(errs, unknownKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	}
	return nil // scalars and kind mismatches: the strict decode reports those
}

func structKeys(file string, n *yaml.Node, t reflect.Type, path string) []error {
	fields, open := yamlFields(t)
	if open {
		return nil // an ",inline" map takes any key
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			errs = append(errs, unknownKeys(file, v, t, path)...)
			continue
		}
		ft, ok := fields[k.Value]
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d: unknown key %q%s (known: %s)",
				file, k.Line, k.Value, where(path), knownList(fields)))
			continue
		}
		errs = append(errs, unknownKeys(file, v, ft, join(path, k.Value))...)
	}
	return errs
}

// yamlFields mirrors yaml.v3's field naming: the tag name, else the
// lower-cased field name; "-" skips; ",inline" structs merge their fields.
// open reports an inline map, which accepts every key.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, open bool) {
	fields = map[string]reflect.Type{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(sf.Tag), ":") {
			tag = string(sf.Tag)
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Map {
				return fields, true
			}
			inner, innerOpen := yamlFields(ft)
			if innerOpen {
				return fields, true
			}
			for k, v := range inner {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		fields[name] = sf.Type
	}
	return fields, false
}

func knownList(fields map[string]reflect.Type) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

func where(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
