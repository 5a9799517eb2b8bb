package profiles

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Ref is a reference to the addresses of an NF on one of its networks, as
// written in config, env or args: ${nrf.sbi} (replica 0), ${upf.n4[1]}
// (replica 1) or ${upf.n4[*]} (every replica, as a list). ${self.n3} is
// the instance's own address on n3: it exists only once the instance is
// wired, so the NF resolves it at start (nfkit.Load), not the orchestrator.
// ${self.index} is the instance's replica number (see SelfIndex).
type Ref struct {
	NF      string
	Network string
	Index   int  // the replica, when not All
	All     bool // every replica's address, in replica order
}

func (r Ref) String() string {
	switch {
	case r.All:
		return fmt.Sprintf("${%s.%s[*]}", r.NF, r.Network)
	case r.Index != 0:
		return fmt.Sprintf("${%s.%s[%d]}", r.NF, r.Network, r.Index)
	}
	return fmt.Sprintf("${%s.%s}", r.NF, r.Network)
}

// segment is a piece of a string value: literal text, a variable, or an
// address reference (whose text is the reference as written).
type segment struct {
	text     string
	variable string
	ref      *Ref
}

// SelfRef is the NF name that means "this instance" in a reference.
const SelfRef = "self"

// SelfIndex is the one ${self.X} that is not a network: ${self.index} is
// the instance's replica number, which the orchestrator fills in (a
// UPF's slice of the UE pool, say).
const SelfIndex = "index"

var refSyntax = regexp.MustCompile(`^([a-z][a-z0-9]*)\.([a-z][a-z0-9]*)(?:\[(\*|[0-9]+)\])?$`)

// scan splits s at each ${...}. There is no escape: a $ not followed by {
// is plain text.
func scan(s string) ([]segment, error) {
	var out []segment
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			out = append(out, segment{text: s})
			break
		}
		if i > 0 {
			out = append(out, segment{text: s[:i]})
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed ${ in %q", s)
		}
		seg, err := parseRef(s[i : i+end+1])
		if err != nil {
			return nil, err
		}
		out = append(out, seg)
		s = s[i+end+1:]
	}
	return out, nil
}

// parseRef reads one ${...}: a variable, or (with a dot) a reference.
func parseRef(text string) (segment, error) {
	inner := text[2 : len(text)-1]
	if !strings.Contains(inner, ".") {
		if !varName.MatchString(inner) {
			return segment{}, fmt.Errorf("bad variable %s: a name is letters, digits and _, not starting with a digit", text)
		}
		return segment{text: text, variable: inner}, nil
	}
	m := refSyntax.FindStringSubmatch(inner)
	if m == nil {
		return segment{}, fmt.Errorf("bad reference %s: expected ${nf.network}, ${nf.network[N]} or ${nf.network[*]}", text)
	}
	r := &Ref{NF: m[1], Network: m[2], All: m[3] == "*"}
	if r.NF == SelfRef && m[3] != "" {
		return segment{}, fmt.Errorf("bad reference %s: ${self.network} is the instance's own address and takes no replica index", text)
	}
	if m[3] != "" && !r.All {
		i, err := strconv.Atoi(m[3])
		if err != nil || i > 1<<20 {
			return segment{}, fmt.Errorf("bad reference %s: replica index too large", text)
		}
		r.Index = i
	}
	return segment{text: text, ref: r}, nil
}

// refsIn lists the references in a string; malformed text has none (the
// loader has refused it).
func refsIn(s string) []Ref {
	if !strings.Contains(s, "${") {
		return nil
	}
	segs, err := scan(s)
	if err != nil {
		return nil
	}
	var out []Ref
	for _, seg := range segs {
		if seg.ref != nil {
			out = append(out, *seg.ref)
		}
	}
	return out
}

// References lists the addresses the NF's config, env and args refer to,
// each once, in order (config keys sorted). The orchestrator orders
// bring-up by them: a referenced NF must have started to have an address.
func (nf *NF) References() []Ref {
	var out []Ref
	seen := map[Ref]bool{}
	nf.eachString(func(_ string, s string) {
		for _, r := range refsIn(s) {
			if r.NF != SelfRef && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	})
	return out
}

// eachString calls fn for every string the NF's references may stand in,
// with its path below the NF (config.a.b, env[0]).
func (nf *NF) eachString(fn func(path, s string)) {
	walkStrings(nf.Config, "config", fn)
	for i, s := range nf.Env {
		fn(joinIndex("env", i), s)
	}
	for i, s := range nf.Args {
		fn(joinIndex("args", i), s)
	}
}

func walkStrings(v any, path string, fn func(path, s string)) {
	switch v := v.(type) {
	case string:
		fn(path, v)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(v[k], joinKey(path, k), fn)
		}
	case []any:
		for i, item := range v {
			walkStrings(item, joinIndex(path, i), fn)
		}
	}
}
