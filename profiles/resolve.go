package profiles

import (
	"fmt"
	"strconv"
	"strings"
)

// ResolveRefs returns a copy of config with every address reference
// replaced. lookup gives the addresses of an NF's replicas on a network,
// in replica order. ${nrf.sbi} becomes replica 0's address and
// ${upf.n4[1]} replica 1's, textually inside a longer string
// (http://${nrf.sbi}:8000); ${upf.n4[*]}, which the loader allows only as
// a whole value, becomes a list of every replica's address.
func ResolveRefs(config map[string]any, lookup func(nf, network string) ([]string, error)) (map[string]any, error) {
	if config == nil {
		return nil, nil
	}
	out, err := resolveValue(config, "config", lookup)
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

// ResolveString resolves the references in one string (an env or args
// item); a list reference is refused there.
func ResolveString(s string, lookup func(nf, network string) ([]string, error)) (string, error) {
	v, err := resolveScalar(s, lookup)
	if err != nil {
		return "", err
	}
	str, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: a list of addresses cannot stand in a string", s)
	}
	return str, nil
}

func resolveValue(v any, path string, lookup func(nf, network string) ([]string, error)) (any, error) {
	switch v := v.(type) {
	case string:
		out, err := resolveScalar(v, lookup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			r, err := resolveValue(item, joinKey(path, k), lookup)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			r, err := resolveValue(item, joinIndex(path, i), lookup)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// resolveScalar resolves one string: to a string, or to []any for a whole
// list reference.
func resolveScalar(s string, lookup func(nf, network string) ([]string, error)) (any, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	segs, err := scan(s)
	if err != nil {
		return nil, err
	}
	if len(segs) == 1 && isSelfIndex(segs[0]) {
		return selfIndex(lookup) // a whole value: a number, not a string
	}
	if len(segs) == 1 && segs[0].ref != nil && segs[0].ref.All {
		addrs, err := lookupRef(*segs[0].ref, lookup)
		if err != nil {
			return nil, err
		}
		list := make([]any, len(addrs))
		for i, a := range addrs {
			list[i] = a
		}
		return list, nil
	}
	var b strings.Builder
	for _, seg := range segs {
		switch {
		case seg.variable != "":
			return nil, fmt.Errorf("%s is a variable, not an address reference (variables are substituted when the profile loads)", seg.text)
		case isSelfIndex(seg):
			i, err := selfIndex(lookup)
			if err != nil {
				return nil, err
			}
			fmt.Fprint(&b, i)
		case seg.ref == nil || seg.ref.NF == SelfRef:
			b.WriteString(seg.text) // ${self.net} is the NF's to resolve
		case seg.ref.All:
			return nil, fmt.Errorf("%s: a list of addresses must be the whole value", seg.text)
		default:
			addrs, err := lookupRef(*seg.ref, lookup)
			if err != nil {
				return nil, err
			}
			if seg.ref.Index >= len(addrs) {
				return nil, fmt.Errorf("%s: replica %d has no address (%s has %d on %s)", seg.text, seg.ref.Index, seg.ref.NF, len(addrs), seg.ref.Network)
			}
			b.WriteString(addrs[seg.ref.Index])
		}
	}
	return b.String(), nil
}

func lookupRef(r Ref, lookup func(nf, network string) ([]string, error)) ([]string, error) {
	addrs, err := lookup(r.NF, r.Network)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	return addrs, nil
}

func isSelfIndex(seg segment) bool {
	return seg.ref != nil && seg.ref.NF == SelfRef && seg.ref.Network == SelfIndex
}

// selfIndex asks lookup for ("self", "index"): the instance's replica.
func selfIndex(lookup func(nf, network string) ([]string, error)) (int, error) {
	v, err := lookup(SelfRef, SelfIndex)
	if err != nil {
		return 0, fmt.Errorf("${self.index}: %w", err)
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("${self.index}: no replica number here")
	}
	i, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, fmt.Errorf("${self.index}: %w", err)
	}
	return i, nil
}
