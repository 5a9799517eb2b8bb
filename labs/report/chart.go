package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
)

// Layout of the monitor chart: one small panel per series, stacked on a
// shared time axis, under a band naming the steps.
const (
	chartW      = 760
	chartLeft   = 70
	chartRight  = 16
	labelRows   = 3
	labelRowH   = 12
	panelH      = 70
	panelGap    = 24
	axisH       = 30
	plotW       = chartW - chartLeft - chartRight
	stepsBandH  = labelRows*labelRowH + 6
	seriesColor = "#4a7bd0"
)

// chartStep is a step placed on the monitor's time axis.
type chartStep struct {
	name       string
	start, end float64 // seconds since the monitor started
	background bool
}

// SVG draws every series over time, with the steps marked: a dashed line
// where each step started, a band over each background step's run.
func (m *Monitor) SVG(steps []*Step) template.HTML {
	if m == nil || len(m.Series) == 0 {
		return ""
	}
	marks, span := m.place(steps)
	height := stepsBandH + len(m.Series)*(panelH+panelGap) + axisH
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" font-family="sans-serif">`, chartW, height)
	b.WriteString(`<title>monitor series over time</title>`)
	x := func(t float64) float64 { return chartLeft + plotW*t/span }
	plotTop, plotBottom := stepsBandH, height-axisH
	for i, st := range marks {
		x0 := x(st.start)
		if st.background {
			fmt.Fprintf(&b, `<rect class="step-band" x="%.1f" y="%d" width="%.1f" height="%d" fill="#e8a33d" fill-opacity="0.12"/>`,
				x0, plotTop, math.Max(x(st.end)-x0, 1), plotBottom-plotTop)
		}
		fmt.Fprintf(&b, `<line class="step" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999" stroke-dasharray="3,3"/>`,
			x0, (i%labelRows)*labelRowH+2, x0, plotBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" fill="#555">%s</text>`,
			x0+2, (i%labelRows+1)*labelRowH, template.HTMLEscapeString(st.name))
	}
	for i, s := range m.Series {
		top := stepsBandH + i*(panelH+panelGap) + panelGap - 6
		panel(&b, s, top, x)
	}
	timeAxis(&b, plotBottom, span, x)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// place puts the steps that ran while the monitor did on its time axis
// and returns them with the axis span in seconds.
func (m *Monitor) place(steps []*Step) ([]chartStep, float64) {
	span := 1.0
	for _, s := range m.Series {
		if n := len(s.Points); n > 0 {
			span = math.Max(span, s.Points[n-1].T)
		}
	}
	var out []chartStep
	for _, s := range steps {
		start := s.Started.Sub(m.Started).Seconds()
		if s.Started.IsZero() || start < 0 {
			continue // the bring-up, before the monitor began
		}
		end := start + s.Seconds
		span = math.Max(span, end)
		out = append(out, chartStep{name: s.Name, start: start, end: end, background: s.Background})
	}
	return out, span
}

// panel draws one series in its box: the name, its value range and a
// polyline (steps for replica counts, which change at an instant).
func panel(b *bytes.Buffer, s *Series, top int, x func(float64) float64) {
	lo, hi := valueRange(s.Points)
	y := func(v float64) float64 { return float64(top) + panelH - panelH*(v-lo)/(hi-lo) }
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>`, chartLeft, top-5, template.HTMLEscapeString(s.Name))
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" fill="#555" text-anchor="end">%s</text>`, chartW-chartRight, top-5,
		template.HTMLEscapeString(describe(s)))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#ccc"/>`, chartLeft, top, plotW, panelH)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>`, chartLeft-4, top+9, number(hi))
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>`, chartLeft-4, top+panelH, number(lo))
	var pts bytes.Buffer
	for i, p := range s.Points {
		if s.Kind == KindReplicas && i > 0 {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.T), y(s.Points[i-1].V))
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.T), y(p.V))
	}
	fmt.Fprintf(b, `<polyline class="series" data-series="%s" points="%s" fill="none" stroke="%s" stroke-width="1.5"><title>%s</title></polyline>`,
		template.HTMLEscapeString(s.Name), bytes.TrimSpace(pts.Bytes()), seriesColor, template.HTMLEscapeString(s.Name))
}

// valueRange is the panel's y range: from 0 (or below, for negative
// values) to the largest value, never empty.
func valueRange(points []Point) (lo, hi float64) {
	for _, p := range points {
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	if hi-lo < 1e-9 {
		hi = lo + 1
	}
	return lo, hi
}

func describe(s *Series) string {
	switch s.Kind {
	case KindReplicas:
		return s.NF + " ready replicas"
	case KindLoss:
		if len(s.Of) == 2 {
			return "loss: 1 - " + s.Of[1] + " / " + s.Of[0]
		}
		return "loss"
	}
	d := s.Kind + " of " + s.Metric + " over " + s.NF
	if s.Scale != 0 && s.Scale != 1 {
		d += " ×" + number(s.Scale)
	}
	return d
}

// timeAxis draws the shared x axis with round tick steps.
func timeAxis(b *bytes.Buffer, y int, span float64, x func(float64) float64) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, chartLeft, y, chartW-chartRight, y)
	step := tickStep(span)
	for t := 0.0; t <= span+1e-9; t += step {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/>`, x(t), y, x(t), y+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%ss</text>`, x(t), y+15, number(t))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11" text-anchor="middle">seconds since the steps began</text>`,
		chartLeft+plotW/2, y+28)
}

// tickStep picks a round step giving at most about ten ticks.
func tickStep(span float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600} {
		if span/s <= 10 {
			return s
		}
	}
	return math.Ceil(span/10/3600) * 3600
}

// number prints v short: integers plainly, others with 3 significant digits.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
