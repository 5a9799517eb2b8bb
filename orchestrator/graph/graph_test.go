package graph

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/profiles"
)

// small is a cut-down 5G core: listed out of order on purpose, since the
// output must not depend on declaration order.
func small() *profiles.Profile {
	return &profiles.Profile{
		Name: "5gc",
		Networks: []profiles.Network{
			{Name: "sbi", Subnet: "10.10.0.0/24"},
			{Name: "n3", Subnet: "10.3.0.0/24", Type: "macvlan", Master: "eth1"},
			{Name: "mgmt"},
			{Name: "n4", Subnet: "10.4.0.0/24", Type: "bridge"},
		},
		NFs: []profiles.NF{
			{Name: "upf", Image: "registry.example/upf:1.2", Replicas: 2,
				Interfaces: []profiles.Interface{{Network: "n4"}, {Network: "n3", Addresses: []string{"10.3.0.10", "10.3.0.11"}}},
				DependsOn:  []profiles.Dependency{{NF: "nrf", Condition: profiles.ConditionStarted}},
				Scaling:    &profiles.Scaling{Min: 1, Max: 3, Metric: "corebox_upf_sessions", Target: 1000}},
			{Name: "smf", Kind: "smf", Replicas: 1,
				Interfaces: []profiles.Interface{{Network: "sbi"}, {Network: "n4"}, {Network: "mgmt"}},
				DependsOn:  []profiles.Dependency{{NF: "upf"}, {NF: "nrf", Condition: profiles.ConditionReady}}},
			{Name: "nrf", Kind: "nrf", Replicas: 1,
				Interfaces: []profiles.Interface{{Network: "sbi"}, {Network: "mgmt"}}},
		},
	}
}

const smallDOT = `digraph "5gc" {
	rankdir=LR;
	"nf:nrf" [shape=box, label="nrf\nkind nrf\n×1"];
	"nf:smf" [shape=box, label="smf\nkind smf\n×1"];
	"nf:upf" [shape=box, label="upf\nimage registry.example/upf:1.2\n×2 (autoscale 1–3)"];
	"net:mgmt" [shape=ellipse, label="mgmt"];
	"net:n3" [shape=ellipse, label="n3\n10.3.0.0/24\nmacvlan on eth1"];
	"net:n4" [shape=ellipse, label="n4\n10.4.0.0/24"];
	"net:sbi" [shape=ellipse, label="sbi\n10.10.0.0/24"];
	"nf:nrf" -> "net:mgmt" [dir=none];
	"nf:nrf" -> "net:sbi" [dir=none];
	"nf:smf" -> "net:mgmt" [dir=none];
	"nf:smf" -> "net:n4" [dir=none];
	"nf:smf" -> "net:sbi" [dir=none];
	"nf:upf" -> "net:n3" [dir=none, label="10.3.0.10, 10.3.0.11"];
	"nf:upf" -> "net:n4" [dir=none];
	"nf:smf" -> "nf:nrf" [style=dashed, label="ready"];
	"nf:smf" -> "nf:upf" [style=dashed, label="ready"];
	"nf:upf" -> "nf:nrf" [style=dashed, label="started"];
}
`

const smallMermaid = `flowchart LR
	nf0["nrf<br/>kind nrf<br/>×1"]
	nf1["smf<br/>kind smf<br/>×1"]
	nf2["upf<br/>image registry.example/upf:1.2<br/>×2 (autoscale 1–3)"]
	net0{{"mgmt"}}
	net1{{"n3<br/>10.3.0.0/24<br/>macvlan on eth1"}}
	net2{{"n4<br/>10.4.0.0/24"}}
	net3{{"sbi<br/>10.10.0.0/24"}}
	nf0 --- net0
	nf0 --- net3
	nf1 --- net0
	nf1 --- net2
	nf1 --- net3
	nf2 ---|"10.3.0.10, 10.3.0.11"| net1
	nf2 --- net2
	nf1 -.->|"ready"| nf0
	nf1 -.->|"ready"| nf2
	nf2 -.->|"started"| nf0
`

func TestGolden(t *testing.T) {
	if got := DOT(small()); got != smallDOT {
		t.Errorf("DOT:\n%s\nwant:\n%s", got, smallDOT)
	}
	if got := Mermaid(small()); got != smallMermaid {
		t.Errorf("Mermaid:\n%s\nwant:\n%s", got, smallMermaid)
	}
}

func TestOrderIndependent(t *testing.T) {
	p := small()
	for i, j := 0, len(p.NFs)-1; i < j; i, j = i+1, j-1 {
		p.NFs[i], p.NFs[j] = p.NFs[j], p.NFs[i]
	}
	p.Networks[0], p.Networks[3] = p.Networks[3], p.Networks[0]
	if DOT(p) != smallDOT || Mermaid(p) != smallMermaid {
		t.Errorf("output changed with declaration order:\n%s\n%s", DOT(p), Mermaid(p))
	}
}

// hostile has names that are syntax in DOT or Mermaid, an NF and a
// network of one name, and references to things not declared.
func hostile() *profiles.Profile {
	return &profiles.Profile{
		Name:     `lab "x" \N`,
		Networks: []profiles.Network{{Name: "end", Subnet: "10.0.0.0/24"}},
		NFs: []profiles.NF{
			{Name: "end", Kind: "probe", Replicas: 1, Interfaces: []profiles.Interface{{Network: "end"}}},
			{Name: "a\"b\\c\n<b>&#|`d", Image: `img"]; evil`, Replicas: 3,
				Interfaces: []profiles.Interface{{Network: "ghost"}},
				DependsOn:  []profiles.Dependency{{NF: "end", Condition: "a|b"}, {NF: "missing"}}},
		},
	}
}

func TestEscaping(t *testing.T) {
	wantDOT := `digraph "lab \"x\" \\N" {
	rankdir=LR;
	"nf:a\"b\\c\n<b>&#|` + "`" + `d" [shape=box, label="a\"b\\c\n<b>&#|` + "`" + `d\nimage img\"]; evil\n×3"];
	"nf:end" [shape=box, label="end\nkind probe\n×1"];
	"nf:missing" [shape=box, label="missing\n(not declared)"];
	"net:end" [shape=ellipse, label="end\n10.0.0.0/24"];
	"net:ghost" [shape=ellipse, label="ghost\n(not declared)"];
	"nf:a\"b\\c\n<b>&#|` + "`" + `d" -> "net:ghost" [dir=none];
	"nf:end" -> "net:end" [dir=none];
	"nf:a\"b\\c\n<b>&#|` + "`" + `d" -> "nf:end" [style=dashed, label="a|b"];
	"nf:a\"b\\c\n<b>&#|` + "`" + `d" -> "nf:missing" [style=dashed, label="ready"];
}
`
	if got := DOT(hostile()); got != wantDOT {
		t.Errorf("DOT:\n%s\nwant:\n%s", got, wantDOT)
	}
	wantMermaid := `flowchart LR
	nf0["a#34;b\c #60;b#62;#38;#35;#124;#96;d<br/>image img#34;]; evil<br/>×3"]
	nf1["end<br/>kind probe<br/>×1"]
	nf2["missing<br/>(not declared)"]
	net0{{"end<br/>10.0.0.0/24"}}
	net1{{"ghost<br/>(not declared)"}}
	nf0 --- net1
	nf1 --- net0
	nf0 -.->|"a#124;b"| nf1
	nf0 -.->|"ready"| nf2
`
	if got := Mermaid(hostile()); got != wantMermaid {
		t.Errorf("Mermaid:\n%s\nwant:\n%s", got, wantMermaid)
	}
}

func TestEmpty(t *testing.T) {
	if got, want := DOT(nil), "digraph \"\" {\n\trankdir=LR;\n}\n"; got != want {
		t.Errorf("DOT(nil) = %q, want %q", got, want)
	}
	if got, want := Mermaid(&profiles.Profile{Name: "x"}), "flowchart LR\n"; got != want {
		t.Errorf("Mermaid(empty) = %q, want %q", got, want)
	}
}

// Graphviz itself must accept what we write, hostile names included, and
// show those names as written.
func TestDOTRendersWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not installed (Debian package graphviz), so DOT output is checked against golden strings only")
	}
	for name, p := range map[string]*profiles.Profile{"small": small(), "hostile": hostile()} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(DOT(p))
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		err := cmd.Run()
		cancel()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("%s: dot -Tsvg: %v: %s", name, err, stderr.String())
			continue
		}
		svg := out.String()
		for _, text := range wantInSVG[name] {
			if !strings.Contains(svg, text) {
				t.Errorf("%s: SVG lacks %q", name, text)
			}
		}
	}
}

var wantInSVG = map[string][]string{
	"small": {"<title>nf:upf&#45;&gt;net:n3</title>", ">×2 (autoscale 1–3)</text>", ">10.3.0.10, 10.3.0.11</text>", ">started</text>"},
	"hostile": {
		// The backslash shows as one: read as a literal, not an escape.
		">a&quot;b\\c</text>", ">&lt;b&gt;&amp;#|`d</text>", ">image img&quot;]; evil</text>",
		// IDs keep their escapes verbatim (Graphviz expands \N only in labels).
		"<title>lab &quot;x&quot; \\\\N</title>"},
}
