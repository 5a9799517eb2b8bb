package graph

import (
	"strconv"
	"strings"

	"github.com/corebox/corebox/profiles"
)

// Mermaid renders p as a Mermaid flowchart: NFs as rectangles, networks
// as hexagons, a plain line per interface, and a dotted arrow from each
// NF to what it depends on, labelled with the condition.
func Mermaid(p *profiles.Profile) string {
	m := build(p)
	// Node ids are generated (nf0, net0): names may hold characters or
	// keywords (end, graph) that Mermaid would read as syntax.
	nfID, netID := map[string]string{}, map[string]string{}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, n := range m.nfs {
		nfID[n.name] = "nf" + strconv.Itoa(i)
		b.WriteString("\t" + nfID[n.name] + `["` + mermaidLabel(n.label()) + "\"]\n")
	}
	for i, n := range m.nets {
		netID[n.name] = "net" + strconv.Itoa(i)
		b.WriteString("\t" + netID[n.name] + `{{"` + mermaidLabel(n.label()) + "\"}}\n")
	}
	for _, l := range m.links {
		arrow := " --- "
		if l.label != "" {
			arrow = ` ---|"` + mermaidText(l.label) + `"| `
		}
		b.WriteString("\t" + nfID[l.from] + arrow + netID[l.to] + "\n")
	}
	for _, d := range m.deps {
		b.WriteString("\t" + nfID[d.from] + ` -.->|"` + mermaidText(d.label) + `"| ` + nfID[d.to] + "\n")
	}
	return b.String()
}

func mermaidLabel(lines []string) string {
	for i, l := range lines {
		lines[i] = mermaidText(l)
	}
	return strings.Join(lines, "<br/>")
}

// mermaidText escapes text for a quoted Mermaid label with entity codes:
// quotes would end the label, < > & would be read as HTML, | ends an
// edge label, # starts an entity code and a leading backtick a Markdown
// string. Line breaks become spaces; only our own <br/> separate lines.
func mermaidText(s string) string {
	r := strings.NewReplacer(
		"#", "#35;", `"`, "#34;", "&", "#38;", "<", "#60;", ">", "#62;",
		"|", "#124;", "`", "#96;", "\r\n", " ", "\n", " ", "\r", " ",
	)
	return r.Replace(s)
}
