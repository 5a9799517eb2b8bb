package profiles

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
)

// Schema is the JSON Schema (draft 2020-12) of the profile format, for
// editors (yaml-language-server and the like). It is generated from the
// types and the tables of fields.go, like the decoder. The loader checks
// more than the schema can say (names, subnets, references, cycles): an
// editor catches typos and types, `corebox validate` the rest.
func Schema() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{
		"variable": map[string]any{
			"type":        "string",
			"pattern":     `\$\{`,
			"description": "A value given through ${variable}, checked once substituted.",
		},
	}}
	root := g.object(reflect.TypeFor[Profile]())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "corebox profile"
	root["description"] = "A core network for corebox: networks and network functions (NFs). See profiles/README.md."
	root["$defs"] = g.defs
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("profile schema: %w", err)
	}
	return append(out, '\n'), nil
}

type schemaGen struct{ defs map[string]any }

var variableRef = map[string]any{"$ref": "#/$defs/variable"}

// durationPattern is Go's time.ParseDuration syntax, or a variable.
const durationPattern = `^([-+]?(0|([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)|.*\$\{.*)$`

// extras add what a key's type alone does not say.
var extras = map[string]map[string]any{
	"Profile.variables": {"propertyNames": map[string]any{"pattern": varName.String()}},
	"NF.sysctls":        {"propertyNames": map[string]any{"pattern": `^net\.`}},
	"NF":                {"not": map[string]any{"required": []string{"kind", "image"}, "description": "kind and image exclude each other"}},
}

// object is the schema of a struct: its keys and nothing else.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var req []string
	for _, f := range fieldsOf(t) {
		s := g.typeOf(t.Field(f.index).Type, f.name)
		s["description"] = docs[f.name]
		if d, ok := defaults[f.name]; ok {
			s["default"] = d
		}
		maps.Copy(s, extras[f.name])
		props[f.key] = s
		if required[f.name] {
			req = append(req, f.key)
		}
	}
	out := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if req != nil {
		out["required"] = req
	}
	maps.Copy(out, extras[t.Name()])
	return out
}

// ref names a definition, generating it once.
func (g *schemaGen) ref(name string, gen func() map[string]any) map[string]any {
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = nil // taken, for recursive types
		g.defs[name] = gen()
	}
	return map[string]any{"$ref": "#/$defs/" + name}
}

// typeOf is the schema of one key's value; name is its Type.key.
func (g *schemaGen) typeOf(t reflect.Type, name string) map[string]any {
	switch t {
	case durationType:
		return map[string]any{"type": "string", "pattern": durationPattern}
	case configType:
		return map[string]any{"type": "object"}
	case dependencyType:
		return g.ref("Dependency", func() map[string]any {
			return map[string]any{"anyOf": []any{map[string]any{"type": "string", "description": "An NF name (condition ready)."}, g.object(t)}}
		})
	case volumeType:
		return g.ref("Volume", func() map[string]any {
			return map[string]any{"anyOf": []any{map[string]any{"type": "string", "pattern": `^[^:]+:/[^:]*(:ro)?$`, "description": "NAME:/abs/path or NAME:/abs/path:ro"}, g.object(t)}}
		})
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.ref(t.Name(), func() map[string]any { return g.object(t) })
	case reflect.Pointer:
		return g.typeOf(t.Elem(), name)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeOf(t.Elem(), name)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typeOf(t.Elem(), name)}
	case reflect.String:
		return stringSchema(name)
	case reflect.Int, reflect.Int64:
		return orVariable(map[string]any{"type": "integer"})
	case reflect.Float64:
		return orVariable(map[string]any{"type": "number"})
	case reflect.Bool:
		return orVariable(map[string]any{"type": "boolean"})
	}
	panic(fmt.Sprintf("profile schema: no schema for %s (%s)", t, name)) // the types are ours: a test covers them
}

func orVariable(s map[string]any) map[string]any {
	return map[string]any{"anyOf": []any{s, variableRef}}
}

var jsonTypes = map[string]string{"!!str": "string", "!!int": "integer", "!!float": "number", "!!bool": "boolean"}

func stringSchema(name string) map[string]any {
	if e, ok := enums[name]; ok {
		return orVariable(map[string]any{"enum": e})
	}
	if tags, ok := scalarText[name]; ok {
		var types []string
		for _, t := range tags {
			types = append(types, jsonTypes[t])
		}
		return map[string]any{"type": types}
	}
	return map[string]any{"type": "string"}
}
