package lab

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// positions maps key paths of a lab file ("steps[2].wait.until.nf") to
// their lines, so validation errors point at the offending key.
type positions map[string]int

// positionsOf reads the lines of every key and list item in data; a file
// that does not parse has none (the decoder reports that).
func positionsOf(data []byte) positions {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return positions{}
	}
	p := positions{}
	p.walk(doc.Content[0], "")
	return p
}

func (p positions) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			p[key] = n.Content[i].Line
			p.walk(n.Content[i+1], key)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			p[key] = c.Line
			p.walk(c, key)
		}
	}
	// Aliases are not followed (they may loop): their keys are reported
	// at the alias.
}

// line is the line of path, or of its nearest enclosing key that is in
// the file (a missing key is reported where its parent is); 1 if none.
func (p positions) line(path string) int {
	for path != "" {
		if l, ok := p[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1
}
