package profiles

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Durations are written as Go durations (500ms), the way the loader reads
// them; yaml.v3 alone would write nanoseconds.

// MarshalYAML writes the probe with durations as text.
func (p Probe) MarshalYAML() (any, error) { return durationsAsText(p) }

// MarshalYAML writes the drain with durations as text.
func (d Drain) MarshalYAML() (any, error) { return durationsAsText(d) }

// MarshalYAML writes the policy with durations as text.
func (s Scaling) MarshalYAML() (any, error) { return durationsAsText(s) }

// durationsAsText encodes a struct by its yaml tags, durations as text.
func durationsAsText(v any) (*yaml.Node, error) {
	rv := reflect.ValueOf(v)
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range fieldsOf(rv.Type()) {
		fv := rv.Field(f.index)
		if strings.Contains(rv.Type().Field(f.index).Tag.Get("yaml"), ",omitempty") && fv.IsZero() {
			continue
		}
		val := &yaml.Node{}
		if fv.Type() == durationType {
			val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(fv.Interface())}
		} else if err := val.Encode(fv.Interface()); err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.name, err)
		}
		out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.key}, val)
	}
	return out, nil
}
