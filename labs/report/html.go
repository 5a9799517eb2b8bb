package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"slices"
)

// Histogram is a sample binned for plotting.
type Histogram struct {
	Lo, Width float64
	Counts    []int
}

// Bin splits xs into n equal bins from min to max.
func Bin(xs []float64, n int) Histogram {
	if len(xs) == 0 || n < 1 {
		return Histogram{}
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	width := (hi - lo) / float64(n)
	if width == 0 {
		width = math.Max(lo*0.1, 0.001)
	}
	h := Histogram{Lo: lo, Width: width, Counts: make([]int, n)}
	for _, x := range xs {
		i := min(int((x-lo)/width), n-1)
		h.Counts[i]++
	}
	return h
}

const svgW, svgH, pad = 480, 160, 30

// SVG draws the histogram as bars with the axis range in ms.
func (h Histogram) SVG(title string) template.HTML {
	if len(h.Counts) == 0 {
		return ""
	}
	var b bytes.Buffer
	top := slices.Max(h.Counts)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img"><title>%s</title>`,
		svgW, svgH, template.HTMLEscapeString(title))
	barW := float64(svgW-2*pad) / float64(len(h.Counts))
	for i, c := range h.Counts {
		bh := float64(svgH-2*pad) * float64(c) / float64(top)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a7bd0"><title>%.2f–%.2f ms: %d</title></rect>`,
			pad+float64(i)*barW, float64(svgH-pad)-bh, math.Max(barW-1, 1), bh,
			h.Lo+float64(i)*h.Width, h.Lo+float64(i+1)*h.Width, c)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, pad, svgH-pad, svgW-pad, svgH-pad)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%.2f ms</text>`, pad, svgH-pad+14, h.Lo)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">%.2f ms</text>`, svgW-pad, svgH-pad+14,
		h.Lo+float64(len(h.Counts))*h.Width)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">max %d</text>`, pad, pad-8, top)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">%s</text></svg>`, svgW/2, svgH-4,
		template.HTMLEscapeString(title))
	return template.HTML(b.String())
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"hist": func(xs []float64, title string) template.HTML { return Bin(xs, 30).SVG(title) },
	"ms":   func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"dict": func(k1 string, v1 *Media, k2 string, v2 *Media) map[string]*Media {
		return map[string]*Media{k1: v1, k2: v2}
	},
	"chart": func(m *Monitor, steps []*Step) template.HTML { return m.SVG(steps) },
	"sval": func(s *Series, metric string) string {
		if v, ok := s.Value(metric); ok {
			return number(v)
		}
		return ""
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>corebox lab {{.Lab}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#eee}td.l{text-align:left}.fail{color:#b00;font-weight:bold}.pass{color:#070;font-weight:bold}</style></head>
<body><h1>Lab {{.Lab}} — {{if .Passed}}<span class="pass">passed</span>{{else}}<span class="fail">failed</span>{{end}}</h1>
<p>Profile {{.Profile}}, from {{.Source}}, started {{.Started.Format "2006-01-02 15:04:05 MST"}}, {{printf "%.1f" .Seconds}} s.
{{with .Error}}<br><span class="fail">{{.}}</span>{{end}}</p>
<table><tr><th>step</th><th>kind</th><th>result</th><th>s</th><th>UEs</th><th>ok</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>sent</th><th>received</th><th>loss</th><th>RTT p50 ms</th><th>RTT p99 ms</th><th class="l">detail</th></tr>
{{range .Steps}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Kind}}{{if .Background}} (background){{end}}</td><td>{{if .Passed}}<span class="pass">pass</span>{{else}}<span class="fail">fail</span>{{end}}</td>
<td>{{printf "%.2f" .Seconds}}</td><td>{{if .UEs}}{{.UEs}}{{end}}</td><td>{{if .UEs}}{{.OK}}{{end}}</td>
{{with .LatencyMs}}<td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P99}}</td><td>{{ms .Max}}</td>{{else}}<td></td><td></td><td></td><td></td>{{end}}
{{with .Traffic}}<td>{{.Sent}}</td><td>{{.Received}}</td><td>{{printf "%.4f" .LossRatio}}</td>{{with .RTTMs}}<td>{{ms .P50}}</td><td>{{ms .P99}}</td>{{else}}<td></td><td></td>{{end}}{{else}}<td></td><td></td><td></td><td></td><td></td>{{end}}
<td class="l">{{.Detail}}{{with .Assert}}{{.Metric}} of {{with .Monitor}}monitor.{{.}}{{else}}{{.Step}}{{end}}{{if .Of}} / {{.Of}} = {{printf "%.6g" .Measured}} / {{printf "%.6g" .OfValue}}{{end}} = {{printf "%.4g" .Value}}{{with .Min}} (min {{.}}){{end}}{{with .Max}} (max {{.}}){{end}}{{end}}{{with .Traffic}}{{if .BrokenSessions}} broken sessions {{.BrokenSessions}} ({{.UEsWithoutReplies}} without replies{{with .BrokenUEs}}: {{range .}}{{.}} {{end}}{{end}}){{end}}{{end}}{{with .Error}} {{.}}{{end}}{{range $why, $n := .Failures}} {{$n}}× {{$why}};{{end}}</td></tr>
{{end}}</table>
{{with .Monitor}}<h2>Over time</h2>
{{chart . $.Steps}}
<table><tr><th>series</th><th>kind</th><th class="l">source</th><th>last</th><th>min</th><th>max</th><th>total</th><th>scrape errors</th></tr>
{{range .Series}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Kind}}</td><td class="l">{{.NF}} {{.Metric}}{{range $k, $v := .Labels}} {{$k}}={{$v}}{{end}}{{range .Of}} {{.}}{{end}}</td>
<td>{{sval . "last"}}</td><td>{{sval . "min"}}</td><td>{{sval . "max"}}</td><td>{{sval . "total"}}</td><td>{{if .ScrapeErrors}}{{.ScrapeErrors}} ({{.LastError}}){{end}}</td></tr>
{{end}}</table>{{end}}
{{range .Steps}}{{if .Samples}}<h3>{{.Name}}: time per UE</h3>{{hist .Samples (printf "%s, %d UEs" .Name .UEs)}}{{end}}
{{with .Traffic}}{{if .RTTs}}<h3>echo round-trip times</h3>{{hist .RTTs "RTT"}}{{end}}{{end}}
{{with .Calls}}<h3>{{$.Lab}}: {{.Answered}} of {{.Calls}} calls answered{{with .SetupMs}}, setup p50 {{ms .P50}} ms, p90 {{ms .P90}} ms, p99 {{ms .P99}} ms{{end}}; QCI 1 bearers {{.BearersGot}} got, {{.BearersReleased}} released</h3>
<table><tr><th class="l">call</th><th class="l">caller</th><th class="l">callee</th><th>status</th><th>setup ms</th><th>talk ms</th><th>direction</th><th>received</th><th>lost</th><th>loss</th><th>jitter ms</th><th>MOS</th><th>QCI</th><th>bearer ms</th><th>released</th><th class="l">error</th></tr>
{{range .List}}{{$c := .}}{{range $dir, $m := dict "to caller" .AtCaller "to callee" .AtCallee}}<tr><td class="l">{{$c.CallID}}</td><td class="l">{{$c.Caller}}</td><td class="l">{{$c.Callee}}</td><td>{{$c.Status}}</td><td>{{ms $c.SetupMs}}</td><td>{{ms $c.TalkMs}}</td><td>{{$dir}}</td>
{{with $m}}<td>{{.Received}}</td><td>{{.Lost}}</td><td>{{printf "%.4f" .LossRatio}}</td><td>{{ms .JitterMs}}</td><td>{{printf "%.2f" .MOS}}</td><td>{{if .QCI}}{{.QCI}}{{else}}none{{end}}</td><td>{{ms .BearerSetupMs}}</td><td>{{.BearerReleased}}</td>{{else}}<td colspan="8">no report</td>{{end}}<td class="l">{{$c.Error}}</td></tr>
{{end}}{{end}}</table>{{if .SetupSamples}}{{hist .SetupSamples "call setup ms"}}{{end}}{{end}}{{end}}
</body></html>
`))

// HTML renders the report page.
func (r *Report) HTML() ([]byte, error) {
	var b bytes.Buffer
	if err := page.Execute(&b, r); err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	return b.Bytes(), nil
}
