package lab

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/corebox/corebox/nf/nfkit"
)

//go:embed shipped/*.yaml
var shippedFS embed.FS

// Shipped lists the labs built into corebox.
func Shipped() []string {
	entries, err := fs.ReadDir(shippedFS, "shipped")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// Find loads a shipped lab by name (5g-basic) or a lab file by path (with a
// / or a .yaml/.yml suffix). set overrides the lab's variables.
func Find(nameOrPath string, set map[string]string) (*Lab, error) {
	if strings.Contains(nameOrPath, "/") || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("read lab: %w", err)
		}
		l, err := Parse(nameOrPath, data, set)
		if err != nil {
			return nil, err
		}
		l.Dir = filepath.Dir(nameOrPath)
		return l, nil
	}
	data, err := shippedFS.ReadFile("shipped/" + nameOrPath + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no shipped lab %q (shipped: %s; for a file, give a path such as ./%s.yaml)",
			nameOrPath, strings.Join(Shipped(), ", "), nameOrPath)
	}
	return Parse("shipped:"+nameOrPath, data, set)
}

// Parse reads one lab file: variables, then ${var} substitution, then a
// strict decode and validation. Errors carry name:line.
func Parse(name string, data []byte, set map[string]string) (*Lab, error) {
	vars, err := variables(name, data)
	if err != nil {
		return nil, err
	}
	extra := override(vars, set)
	expanded, err := substitute(name, data, vars)
	if err != nil {
		return nil, err
	}
	l := &Lab{}
	if err := nfkit.Decode(name, expanded, l); err != nil {
		return nil, err
	}
	l.Variables = vars
	l.Extra = extra
	l.Source = name
	if err := l.validate(name, positionsOf(expanded)); err != nil {
		return nil, err
	}
	return l, nil
}

// variables reads the top-level variables mapping before substitution.
func variables(name string, data []byte) (map[string]string, error) {
	// References are not YAML-safe everywhere (in a flow mapping, say):
	// stand them in with a plain word for this first look.
	var doc yaml.Node
	if err := yaml.Unmarshal(reference.ReplaceAll(data, []byte("ref")), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	vars := map[string]string{}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return vars, nil
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "variables" {
			continue
		}
		m := top.Content[i+1]
		if m.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d: variables: expected a mapping of names to values", name, m.Line)
		}
		for j := 0; j+1 < len(m.Content); j += 2 {
			k, v := m.Content[j], m.Content[j+1]
			if !identifier.MatchString(k.Value) || v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s:%d: variables.%s: want a name of letters, digits and _ with a string or number value", name, k.Line, k.Value)
			}
			vars[k.Value] = v.Value
		}
	}
	return vars, nil
}

var (
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reference  = regexp.MustCompile(`\$\{([^}]*)\}`)
)

// override applies --set values to the lab's variables; values the lab
// does not declare are kept for its profile (Extra), which must declare
// them (checked when the profile is loaded).
func override(vars, set map[string]string) map[string]string {
	extra := map[string]string{}
	for k, v := range set {
		if _, ok := vars[k]; ok {
			vars[k] = v
		} else {
			extra[k] = v
		}
	}
	return extra
}

// substitute replaces ${var} line by line, so positions stay valid.
// References with a dot (${dn.n6}) are addresses, resolved at run time.
func substitute(name string, data []byte, vars map[string]string) ([]byte, error) {
	lines := bytes.Split(data, []byte("\n"))
	var errs []error
	for i, line := range lines {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			continue
		}
		lines[i] = reference.ReplaceAllFunc(line, func(m []byte) []byte {
			ref := string(m[2 : len(m)-1])
			if strings.Contains(ref, ".") {
				return m
			}
			v, ok := vars[ref]
			if !ok {
				errs = append(errs, fmt.Errorf("%s:%d: ${%s}: no such variable (declared: %s)", name, i+1, ref, strings.Join(sortedKeys(vars), ", ")))
				return m
			}
			return []byte(v)
		})
	}
	return bytes.Join(lines, []byte("\n")), errors.Join(errs...)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
