package sip

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("sip: malformed")

func malformed(what, detail string) error {
	return fmt.Errorf("%w %s: %s", ErrMalformed, what, detail)
}

// Param is one generic parameter: name, or name=value. Quoted is set when
// the value was (or must be written as) a quoted-string.
type Param struct {
	Name   string
	Value  string
	Quoted bool
	// NoValue is a flag parameter such as ";lr".
	NoValue bool
}

func (p Param) String() string {
	if p.NoValue {
		return p.Name
	}
	if p.Quoted {
		return p.Name + "=" + quote(p.Value)
	}
	return p.Name + "=" + p.Value
}

// Params is an ordered parameter list.
type Params []Param

// Get returns the value of the first parameter named name (case-insensitive).
func (ps Params) Get(name string) (string, bool) {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// Has reports whether a parameter named name is present.
func (ps Params) Has(name string) bool {
	_, ok := ps.Get(name)
	return ok
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// splitTop splits s at sep outside quoted strings and <...>.
func splitTop(s string, sep byte) ([]string, error) {
	var parts []string
	inQuote, angle, start := false, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '<':
			angle++
		case c == '>':
			if angle == 0 {
				return nil, malformed("list", "unbalanced '>'")
			}
			angle--
		case c == sep && angle == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if inQuote {
		return nil, malformed("list", "unterminated quoted string")
	}
	if angle != 0 {
		return nil, malformed("list", "unterminated '<'")
	}
	return append(parts, s[start:]), nil
}

// unquote reads a quoted-string (with its quotes) or returns s trimmed.
func unquote(s string) (string, bool, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, `"`) {
		if strings.ContainsAny(s, "\" \t") {
			return "", false, malformed("value", fmt.Sprintf("bad token %q", s))
		}
		return s, false, nil
	}
	if len(s) < 2 || !strings.HasSuffix(s, `"`) {
		return "", false, malformed("value", "unterminated quoted string")
	}
	var b strings.Builder
	in := s[1 : len(s)-1]
	for i := 0; i < len(in); i++ {
		switch in[i] {
		case '\\':
			if i+1 == len(in) {
				return "", false, malformed("value", "dangling escape")
			}
			i++
		case '"':
			return "", false, malformed("value", "stray quote")
		}
		b.WriteByte(in[i])
	}
	return b.String(), true, nil
}

// parseParam reads "name", or "name=value" with a token or quoted value.
func parseParam(s string) (Param, error) {
	s = strings.TrimSpace(s)
	name, value, hasValue := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t\"<>,;") {
		return Param{}, malformed("parameter", fmt.Sprintf("bad name in %q", s))
	}
	if !hasValue {
		return Param{Name: name, NoValue: true}, nil
	}
	v, quoted, err := unquote(value)
	if err != nil {
		return Param{}, fmt.Errorf("parameter %s: %w", name, err)
	}
	return Param{Name: name, Value: v, Quoted: quoted}, nil
}

// parseParamList reads params separated by sep (';' or ',').
func parseParamList(s string, sep byte) (Params, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts, err := splitTop(s, sep)
	if err != nil {
		return nil, err
	}
	ps := make(Params, 0, len(parts))
	for _, part := range parts {
		p, err := parseParam(part)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func writeParams(b *strings.Builder, ps Params) {
	for _, p := range ps {
		b.WriteByte(';')
		b.WriteString(p.String())
	}
}
