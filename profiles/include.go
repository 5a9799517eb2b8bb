package profiles

import (
	"errors"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxFiles bounds the files one load reads (includes can fan out).
const maxFiles = 64

// file is one profile file and what it includes.
type file struct {
	loc      loc
	top      *yaml.Node // its top mapping; nil when it could not be read
	includes []*file
	vars     []varDecl // declared here, in order
	include  []string  // its include items, as written
}

// load reads a file and, recursively, what it includes. from is the
// include item that named it (nil for the file given to Load); stack holds
// the including files, for cycles.
func (l *loader) load(lc loc, from *yaml.Node, stack []loc) *file {
	f := &file{loc: lc}
	l.files++
	data, err := lc.read()
	if err != nil {
		if from == nil {
			l.errFile(lc.display, "cannot read: %s", readError(err))
		} else if errors.Is(err, fs.ErrNotExist) {
			l.errNode(from, "include %q: file %s not found", from.Value, lc.display)
		} else {
			l.errNode(from, "include %q: cannot read %s: %s", from.Value, lc.display, readError(err))
		}
		return f
	}
	f.top = l.parse(lc.display, data)
	if f.top == nil {
		return f
	}
	if mapValue(f.top, "name") == nil {
		// Every file, not only the merged result (which may take an
		// included name).
		l.errAt(f.top, "name", "missing required key")
	}
	f.vars = l.declare(f.top)
	stack = append(stack, lc)
	for _, item := range l.includeItems(f.top) {
		f.include = append(f.include, item.Value)
		if inc := l.includeOne(lc, item, stack); inc != nil {
			f.includes = append(f.includes, inc)
		}
	}
	return f
}

// includeItems checks the include list and returns its items.
func (l *loader) includeItems(top *yaml.Node) []*yaml.Node {
	list := mapValue(top, "include")
	if list == nil {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		l.errNode(list, "expected a list of shipped profile names or paths, got %s", describe(list))
		return nil
	}
	var items []*yaml.Node
	for _, item := range list.Content {
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" || item.Value == "" {
			l.errNode(item, "expected a shipped profile name or a path, got %s", describe(item))
			continue
		}
		items = append(items, item)
	}
	return items
}

// includeOne loads one include item, refusing cycles.
func (l *loader) includeOne(from loc, item *yaml.Node, stack []loc) *file {
	lc, err := from.include(item.Value)
	if err != nil {
		l.errNode(item, "include %q: %s", item.Value, err.Error())
		return nil
	}
	for i, in := range stack {
		if in.key == lc.key {
			var chain []string
			for _, c := range stack[i:] {
				chain = append(chain, c.display)
			}
			chain = append(chain, lc.display)
			l.errNode(item, "include cycle: %s", strings.Join(chain, " -> "))
			return nil
		}
	}
	if l.files >= maxFiles {
		l.errNode(item, "include %q: more than %d files in one profile", item.Value, maxFiles)
		return nil
	}
	return l.load(lc, item, stack)
}

// mapValue is the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
