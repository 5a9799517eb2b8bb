package graph

import (
	"strings"

	"github.com/corebox/corebox/profiles"
)

// DOT renders p for Graphviz: NFs as boxes, networks as ellipses, a plain
// line per interface (labelled with static addresses), and a dashed arrow
// from each NF to what it depends on, labelled with the condition.
func DOT(p *profiles.Profile) string {
	m := build(p)
	var b strings.Builder
	b.WriteString("digraph " + dotQuote(m.name) + " {\n")
	b.WriteString("\trankdir=LR;\n")
	for _, n := range m.nfs {
		b.WriteString("\t" + dotNF(n.name) + " [shape=box, label=" + dotLabel(n.label()) + "];\n")
	}
	for _, n := range m.nets {
		b.WriteString("\t" + dotNet(n.name) + " [shape=ellipse, label=" + dotLabel(n.label()) + "];\n")
	}
	for _, l := range m.links {
		attrs := "dir=none"
		if l.label != "" {
			attrs += ", label=" + dotQuote(l.label)
		}
		b.WriteString("\t" + dotNF(l.from) + " -> " + dotNet(l.to) + " [" + attrs + "];\n")
	}
	for _, d := range m.deps {
		b.WriteString("\t" + dotNF(d.from) + " -> " + dotNF(d.to) + " [style=dashed, label=" + dotQuote(d.label) + "];\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// IDs carry a prefix so that an NF and a network of one name stay apart.
func dotNF(name string) string  { return dotQuote("nf:" + name) }
func dotNet(name string) string { return dotQuote("net:" + name) }

func dotLabel(lines []string) string {
	return dotQuote(strings.Join(lines, "\n"))
}

// dotQuote makes a DOT quoted string. Backslashes are doubled so that a
// name never turns into a Graphviz escape (\N, \l); newlines become \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return `"` + r.Replace(s) + `"`
}
