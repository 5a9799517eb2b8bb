package lab

import (
	"math"
	"testing"
)

// FuzzParse: no lab file, however broken, panics the parser or the
// validation; an accepted one has a name, a profile and named steps.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(good + monitorOK))
	f.Add([]byte(good + "  - wait: {until: {nf: upf, replicas: 3}, timeout: 90s}\n  - scale: {nf: upf, replicas: 1}\n"))
	f.Add([]byte(good + "  - {name: l, traffic: {nf: ue, target: 'a:7', duration: 1s, interval: 10ms, size: 1, background: true}}\n  - await: l\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("f.yaml", data, nil)
		if err != nil {
			return
		}
		if l.Name == "" || l.Profile == "" {
			t.Fatalf("accepted a lab without name or profile: %q", data)
		}
		for _, s := range l.Steps {
			if s.Name == "" || s.Kind() == "" {
				t.Fatalf("accepted step %+v", s)
			}
		}
	})
}

// FuzzParseMetrics: any /metrics body parses or fails cleanly; sums of
// what parsed are numbers.
func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte("# TYPE corebox_upf_rx_packets_total counter\ncorebox_upf_rx_packets_total{direction=\"uplink\"} 12\ncorebox_upf_rx_packets_total{direction=\"downlink\"} 3\n"))
	f.Add([]byte("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4.5\nh_count 3\n"))
	f.Add([]byte("corebox_upf_sessions 7\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		samples, err := parseMetrics(body)
		if err != nil {
			return
		}
		for _, s := range samples {
			if v, ok := sumOf(samples, s.Name, s.Labels); ok && math.IsNaN(v) {
				t.Fatalf("sum of %s is NaN", s.Name)
			}
		}
	})
}
