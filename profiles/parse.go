package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// nodeInfo is where a node came from: its file and its key path there.
type nodeInfo struct {
	file string
	path string
}

// loader carries one Load: the nodes of every file read, and the problems.
type loader struct {
	opts     LoadOptions
	errs     errList
	info     map[*yaml.Node]nodeInfo
	reported map[*yaml.Node]bool // nodes already reported, not to be reported again
	files    int
}

func newLoader(opts LoadOptions) *loader {
	return &loader{opts: opts, info: map[*yaml.Node]nodeInfo{}, reported: map[*yaml.Node]bool{}}
}

// errAt reports a problem at node n, under the given key path.
func (l *loader) errAt(n *yaml.Node, path, format string, args ...any) {
	l.errs.add(ValidationError{File: l.info[n].file, Line: n.Line, Column: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// errNode reports a problem at node n, under its own key path.
func (l *loader) errNode(n *yaml.Node, format string, args ...any) {
	l.errAt(n, l.info[n].path, format, args...)
}

// errFile reports a problem with a file as a whole (it cannot be read).
func (l *loader) errFile(file, format string, args ...any) {
	l.errs.add(ValidationError{File: file, Msg: fmt.Sprintf(format, args...)})
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse reads the one YAML document of a file into a node tree, records
// where every node came from, and returns its top mapping (nil when there
// is none; the problem is reported).
func (l *loader) parse(file string, data []byte) (top *yaml.Node) {
	l.errs.file(file)
	if !l.checkText(file, data) {
		return nil
	}
	defer func() {
		// yaml.v3 has panicked on hostile input before; a profile is input.
		if r := recover(); r != nil {
			l.errs.add(ValidationError{File: file, Line: 1, Msg: fmt.Sprintf("YAML parser failed: %v", r)})
			top = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errs.add(ValidationError{File: file, Line: 1, Column: 1, Msg: "empty profile: expected a mapping with name, networks and nfs"})
		} else {
			l.syntaxError(file, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		l.errs.add(ValidationError{File: file, Line: next.Line, Column: next.Column, Msg: "a second YAML document: a profile file holds exactly one"})
	case !errors.Is(err, io.EOF):
		l.syntaxError(file, err)
	}
	if len(doc.Content) == 0 {
		l.errs.add(ValidationError{File: file, Line: 1, Column: 1, Msg: "empty profile: expected a mapping with name, networks and nfs"})
		return nil
	}
	top = doc.Content[0]
	l.walk(top, file, "")
	if top.Kind != yaml.MappingNode {
		l.errNode(top, "expected a mapping with keys %s, got %s", keyList(profileKeys()), describe(top))
		return nil
	}
	return top
}

// parserProblems are yaml.v3's parser (not scanner) errors: it reports
// their 0-based line, where scanner errors get a 1-based one.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// syntaxError reports a parser error at the line it names (the parser
// gives no column). Without a line, the problem is somewhere in line 1.
func (l *loader) syntaxError(file string, err error) {
	e := ValidationError{File: file, Line: 1, Msg: "YAML syntax: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := syntaxLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		if parserProblems[m[2]] {
			e.Line++
		}
		e.Msg = "YAML syntax: " + m[2]
	}
	l.errs.add(e)
}

// checkText finds what the YAML parser would refuse without saying where:
// invalid UTF-8 and control characters.
func (l *loader) checkText(file string, data []byte) bool {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		bad := ""
		switch {
		case r == utf8.RuneError && size == 1:
			bad = "invalid UTF-8"
		case !printable(r):
			bad = fmt.Sprintf("character %U is not allowed in YAML", r)
		case r == 0xFEFF && i > 0:
			bad = "byte order mark inside the file"
		}
		if bad != "" {
			l.errs.add(ValidationError{File: file, Line: line, Column: col, Msg: "YAML syntax: " + bad})
			return false
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return true
}

// printable is YAML's set of characters allowed in a stream.
func printable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff:
		return true
	case r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// walk records the file and key path of every node, and removes (after
// reporting) what the rest of the loader does not handle: duplicate keys,
// keys that are not scalars, merge keys and aliases.
func (l *loader) walk(n *yaml.Node, file, path string) {
	l.info[n] = nodeInfo{file: file, path: path}
	switch n.Kind {
	case yaml.MappingNode:
		l.walkMapping(n, file, path)
	case yaml.SequenceNode:
		for i, item := range n.Content {
			l.walk(item, file, joinIndex(path, i))
		}
	case yaml.DocumentNode:
		for _, c := range n.Content {
			l.walk(c, file, path)
		}
	case yaml.AliasNode:
		l.errNode(n, "YAML aliases (*%s) are not supported: use include or variables", n.Value)
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		l.reported[n] = true
	}
}

func (l *loader) walkMapping(n *yaml.Node, file, path string) {
	first := map[string]*yaml.Node{}
	kept := make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := joinKey(path, k.Value)
		l.info[k] = nodeInfo{file: file, path: kp}
		switch {
		case k.Kind != yaml.ScalarNode:
			l.info[k] = nodeInfo{file: file, path: path}
			l.errNode(k, "keys must be plain strings, got %s", describe(k))
			continue
		case k.ShortTag() == "!!merge":
			l.errNode(k, "YAML merge keys (<<) are not supported: use include or variables")
			continue
		case first[k.Value] != nil:
			l.errNode(k, "duplicate key (first at line %d)", first[k.Value].Line)
			continue
		}
		first[k.Value] = k
		kept = append(kept, k, v)
		l.walk(v, file, kp)
	}
	n.Content = kept
}

// describe names what a node is, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "an alias"
	}
	v := n.Value
	if r := []rune(v); len(r) > 40 {
		v = string(r[:37]) + "..."
	}
	switch n.ShortTag() {
	case "!!null":
		return "an empty value"
	case "!!str":
		return fmt.Sprintf("the string %q", v)
	case "!!int":
		return "the integer " + v
	case "!!float":
		return "the number " + v
	case "!!bool":
		return "the boolean " + v
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), v)
}
