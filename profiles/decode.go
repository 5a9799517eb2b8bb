package profiles

import (
	"math"
	"reflect"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	durationType   = reflect.TypeFor[time.Duration]()
	configType     = reflect.TypeFor[map[string]any]()
	dependencyType = reflect.TypeFor[Dependency]()
	volumeType     = reflect.TypeFor[Volume]()
)

// Keys read before decoding (include, variables) are skipped by the decoder.
var skipped = map[string]bool{"Profile.include": true, "Profile.variables": true}

// decoder turns the merged node tree into a Profile, reporting type errors
// and unknown keys, and records the node of every value by its path in the
// merged profile, so that validation can point at it.
type decoder struct {
	l      *loader
	pos    map[string]*yaml.Node
	failed map[string]bool // paths whose value was reported and left out
}

// value decodes n into v. name is the key's Type.key, for the tables of
// fields.go.
func (d *decoder) value(n *yaml.Node, path, name string, v reflect.Value) {
	d.pos[path] = n
	if !d.l.reported[n] {
		d.decode(n, path, name, v)
	}
	if d.l.reported[n] {
		// A value that failed is left out: defaults apply and validation
		// does not report it again.
		delete(d.pos, path)
		d.failed[path] = true
	}
}

// fail reports a value that cannot be decoded.
func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.l.errNode(n, format, args...)
	d.l.reported[n] = true
}

func (d *decoder) decode(n *yaml.Node, path, name string, v reflect.Value) {
	switch v.Type() {
	case durationType:
		d.duration(n, v)
		return
	case configType:
		if n.Kind != yaml.MappingNode {
			d.fail(n, "expected a mapping, got %s", describe(n))
			return
		}
		if len(n.Content) > 0 {
			v.Set(reflect.ValueOf(d.anyValue(n, path)))
		}
		return
	case dependencyType:
		d.dependency(n, path, v)
		return
	case volumeType:
		d.volume(n, path, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.object(n, path, v)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		d.value(n, path, name, v.Elem())
	case reflect.Slice:
		d.list(n, path, name, v)
	case reflect.Map:
		d.dict(n, path, name, v)
	case reflect.String:
		if s, ok := d.text(n, name); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int64:
		d.integer(n, v)
	case reflect.Float64:
		d.number(n, v)
	case reflect.Bool:
		d.boolean(n, v)
	default:
		d.fail(n, "internal error: no decoder for %s", v.Type())
	}
}

// object decodes a mapping into a struct by its yaml tags.
func (d *decoder) object(n *yaml.Node, path string, v reflect.Value) {
	fields := fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		d.fail(n, "expected a mapping with keys %s, got %s", keyList(keysOf(v.Type())), describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		f, ok := fieldByKey(fields, k.Value)
		if !ok {
			d.l.errNode(k, "unknown key%s (known: %s)", suggest(k.Value, keysOf(v.Type())), keyList(keysOf(v.Type())))
			continue
		}
		seen[f.key] = true
		if skipped[f.name] {
			continue
		}
		d.value(val, joinKey(path, k.Value), f.name, v.Field(f.index))
	}
	for _, f := range fields {
		if required[f.name] && !seen[f.key] {
			d.l.errAt(n, joinKey(d.l.info[n].path, f.key), "missing required key")
		}
	}
}

func fieldByKey(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

func (d *decoder) list(n *yaml.Node, path, name string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "expected a list, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		return // nil, as when left out: [] and no key mean the same
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, joinIndex(path, i), name, out.Index(i))
	}
	v.Set(out)
}

// dict decodes a mapping of strings (sysctls).
func (d *decoder) dict(n *yaml.Node, path, name string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "expected a mapping, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		return // nil, as when left out
	}
	out := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		d.pos[joinKey(path, k.Value)] = val
		if s, ok := d.text(val, name); ok {
			out.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(s))
		}
	}
	v.Set(out)
}

// text reads a string, checking it against the key's fixed values.
func (d *decoder) text(n *yaml.Node, name string) (string, bool) {
	tags := scalarText[name]
	if tags == nil {
		tags = []string{"!!str"}
	}
	if n.Kind != yaml.ScalarNode || !slices.Contains(tags, n.ShortTag()) {
		want := "a string"
		if len(tags) > 1 {
			want = "a string or a number"
		}
		d.fail(n, "expected %s, got %s", want, describe(n))
		return "", false
	}
	if allowed := enums[name]; allowed != nil && !slices.Contains(allowed, n.Value) {
		d.fail(n, "unknown value %q%s (allowed: %s)", n.Value, suggest(n.Value, allowed), keyList(allowed))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value) {
	var i int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
		d.fail(n, "expected an integer, got %s", describe(n))
		return
	}
	v.SetInt(i)
}

func (d *decoder) number(n *yaml.Node, v reflect.Value) {
	var f float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
		d.fail(n, "expected a number, got %s", describe(n))
		return
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, "expected a finite number, got %s", describe(n))
		return
	}
	v.SetFloat(f)
}

func (d *decoder) boolean(n *yaml.Node, v reflect.Value) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.fail(n, "expected true or false, got %s", describe(n))
		return
	}
	v.SetBool(b)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if t, err := time.ParseDuration(n.Value); err == nil {
			v.SetInt(int64(t))
			return
		}
	}
	d.fail(n, "expected a duration such as 500ms, 30s or 1m, got %s", describe(n))
}
