package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func ptr(v float64) *float64 { return &v }

func sampleMonitor(start time.Time) *Monitor {
	return &Monitor{Started: start, IntervalS: 1, Series: []*Series{
		{Name: "offered", Kind: KindRate, NF: "ue", Metric: "corebox_ue_uplink_packets_total", Scale: 1, Total: ptr(600),
			Points: []Point{{1, 100}, {2, 200}, {3, 300}}},
		{Name: "upfs", Kind: KindReplicas, NF: "upf", Points: []Point{{0, 1}, {1, 3}, {2, 3}, {3, 1}}},
		{Name: "loss", Kind: KindLoss, Of: []string{"offered", "echoed"}, Total: ptr(0.01), Points: []Point{{1, 0}, {2, 0.03}, {3, 0}}},
	}}
}

// svgElement is enough of SVG to check the chart's structure.
type svgElement struct {
	XMLName  xml.Name
	Attrs    []xml.Attr   `xml:",any,attr"`
	Children []svgElement `xml:",any"`
	CharData string       `xml:",chardata"`
}

func (e svgElement) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e svgElement) all(local string) []svgElement {
	var out []svgElement
	if e.XMLName.Local == local {
		out = append(out, e)
	}
	for _, c := range e.Children {
		out = append(out, c.all(local)...)
	}
	return out
}

// TestMonitorChart: the chart is well-formed SVG with a polyline per
// series (a replica series drawn as steps), a line per step that ran
// while the monitor did and a band over each background step.
func TestMonitorChart(t *testing.T) {
	start := time.Unix(1000, 0)
	m := sampleMonitor(start)
	steps := []*Step{
		{Name: "up", Started: start.Add(-time.Minute), Seconds: 30},
		{Name: "load", Started: start, Seconds: 3, Background: true},
		{Name: "scale", Started: start.Add(time.Second), Seconds: 0.1},
		{Name: "wait<3>", Started: start.Add(1100 * time.Millisecond), Seconds: 1},
	}
	svg := m.SVG(steps)
	var root svgElement
	if err := xml.Unmarshal([]byte(svg), &root); err != nil {
		t.Fatalf("chart is not XML: %v\n%s", err, svg)
	}
	lines := root.all("polyline")
	if len(lines) != 3 {
		t.Fatalf("%d polylines, want one per series", len(lines))
	}
	for i, want := range []struct {
		name   string
		points int
	}{{"offered", 3}, {"upfs", 4 + 3}, {"loss", 3}} {
		l := lines[i]
		if got := l.attr("data-series"); got != want.name {
			t.Errorf("polyline %d is %q, want %q", i, got, want.name)
		}
		if n := len(strings.Fields(l.attr("points"))); n != want.points {
			t.Errorf("%s: %d vertices, want %d", want.name, n, want.points)
		}
	}
	var stepLines []string
	for _, l := range root.all("line") {
		if l.attr("class") == "step" {
			stepLines = append(stepLines, l.attr("x1"))
		}
	}
	if len(stepLines) != 3 {
		t.Errorf("step lines at %v: want load, scale and wait (not up, which came before)", stepLines)
	}
	bands := 0
	for _, r := range root.all("rect") {
		if r.attr("class") == "step-band" {
			bands++
		}
	}
	if bands != 1 {
		t.Errorf("%d background bands, want 1", bands)
	}
	if !strings.Contains(string(svg), "wait&lt;3&gt;") {
		t.Error("step names are not escaped")
	}
}

func TestSeriesValues(t *testing.T) {
	m := sampleMonitor(time.Unix(1000, 0))
	for _, c := range []struct {
		series, metric string
		want           float64
		ok             bool
	}{
		{"offered", "total", 600, true},
		{"offered", "max", 300, true},
		{"offered", "min", 100, true},
		{"upfs", "last", 1, true},
		{"upfs", "max", 3, true},
		{"upfs", "total", 0, false},
		{"loss", "total", 0.01, true},
	} {
		v, ok := m.Find(c.series).Value(c.metric)
		if v != c.want || ok != c.ok {
			t.Errorf("%s %s = %v %v, want %v %v", c.series, c.metric, v, ok, c.want, c.ok)
		}
	}
	if _, ok := (&Series{}).Value("last"); ok {
		t.Error("an empty series has a last value")
	}
}

// TestMonitorInReport: the JSON keeps the series as [t, v] points and
// reads back; the page carries the chart and the series table.
func TestMonitorInReport(t *testing.T) {
	dir := t.TempDir()
	start := time.Unix(1000, 0)
	r := &Report{Lab: "x", Passed: true, Monitor: sampleMonitor(start),
		Steps: []*Step{{Name: "load", Kind: "traffic", Started: start, Seconds: 3, Background: true, Passed: true,
			Traffic: &Traffic{Sent: 10, Received: 9, BrokenSessions: 1, UEsWithoutReplies: 0, BrokenUEs: []string{"imsi-1"}}}}}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("[\n            1,\n            100\n          ]")) {
		t.Errorf("points are not [t, v] pairs:\n%s", data)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if s := back.Monitor.Find("upfs"); s == nil || len(s.Points) != 4 || s.Points[1] != (Point{1, 3}) {
		t.Errorf("series read back: %+v", s)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`data-series="offered"`, "<h2>Over time</h2>", "broken sessions 1", "traffic (background)"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
