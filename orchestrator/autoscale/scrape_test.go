package autoscale

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// nfMetrics serves what an NF's /metrics would: a real client_golang
// registry through promhttp.
func nfMetrics(t *testing.T) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	sessions := prometheus.NewGauge(prometheus.GaugeOpts{Name: "corebox_upf_sessions", Help: "Sessions held."})
	sessions.Set(42)
	rx := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_upf_rx_bytes_total", Help: "Bytes in."}, []string{"interface"})
	rx.WithLabelValues("n3").Add(1500)
	rx.WithLabelValues("n6").Add(500.5)
	queues := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "corebox_upf_queue_depth", Help: "Per queue."}, []string{"queue"})
	queues.WithLabelValues("0").Set(3)
	queues.WithLabelValues("1").Set(4)
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "corebox_upf_forward_seconds", Help: "Forwarding latency.", Buckets: []float64{0.001, 0.01}})
	latency.Observe(0.002)
	latency.Observe(0.02)
	lag := prometheus.NewSummary(prometheus.SummaryOpts{Name: "corebox_upf_report_lag_seconds", Help: "Lag."})
	lag.Observe(3)
	broken := prometheus.NewGauge(prometheus.GaugeOpts{Name: "corebox_upf_broken", Help: "NaN."})
	broken.Set(math.NaN())
	reg.MustRegister(sessions, rx, queues, latency, lag, broken)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return srv
}

func TestScrape(t *testing.T) {
	srv := nfMetrics(t)
	for _, tc := range []struct {
		metric string
		want   float64
	}{
		{"corebox_upf_sessions", 42},
		{"corebox_upf_rx_bytes_total", 2000.5}, // summed over labels
		{"corebox_upf_queue_depth", 7},
		{"corebox_upf_forward_seconds_count", 2},
		{"corebox_upf_forward_seconds_sum", 0.022},
		{"corebox_upf_report_lag_seconds_count", 1},
	} {
		got, err := Scrape(context.Background(), srv.Client(), srv.URL, tc.metric)
		if err != nil {
			t.Errorf("%s: %v", tc.metric, err)
			continue
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tc.metric, got, tc.want)
		}
	}
}

func TestScrapeRefusals(t *testing.T) {
	srv := nfMetrics(t)
	for _, tc := range []struct{ metric, want string }{
		{"corebox_upf_forward_seconds", "metric corebox_upf_forward_seconds is a histogram, which has no single value: name a gauge or counter, or corebox_upf_forward_seconds_sum or corebox_upf_forward_seconds_count"},
		{"corebox_upf_report_lag_seconds", "metric corebox_upf_report_lag_seconds is a summary, which has no single value"},
		{"corebox_upf_broken", "metric corebox_upf_broken is NaN"},
		// The names most like the one asked for come first.
		{"corebox_upf_session", "metric corebox_upf_session not found among "},
		{"corebox_upf_session", "metric corebox_upf_session not found among 6 metrics, e.g. corebox_upf_sessions, corebox_upf_broken, corebox_upf_forward_seconds, corebox_upf_queue_depth, corebox_upf_report_lag_seconds"},
		{"corebox_upf_sessions_count", "metric corebox_upf_sessions_count not found"},
	} {
		_, err := Scrape(context.Background(), srv.Client(), srv.URL, tc.metric)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.metric, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "scrape "+srv.URL+": ") {
			t.Errorf("%s: error %q does not name the URL", tc.metric, err)
		}
	}
}

func serve(status int, contentType, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
}

func TestScrapeBadEndpoints(t *testing.T) {
	text := "text/plain; version=0.0.4; charset=utf-8"
	for _, tc := range []struct {
		name                    string
		status                  int
		contentType, body, want string
	}{
		{"bad text", 200, text, "corebox_upf_sessions{ 3\n", "parsing the Prometheus text format: text format parsing error in line 1"},
		{"value not a number", 200, text, "corebox_upf_sessions abc\n", "parsing the Prometheus text format"},
		{"not found", http.StatusNotFound, text, "no such page", "404 Not Found: no such page"},
		{"empty", 200, text, "", "metric corebox_upf_sessions not found: the endpoint serves no metrics"},
		{"protobuf", 200, "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", "\x00", "want the Prometheus text format"},
		{"untyped, no content type", 200, "", "corebox_upf_sessions 5\ncorebox_upf_sessions{x=\"1\"} 6\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(tc.status, tc.contentType, tc.body)
			defer srv.Close()
			v, err := Scrape(context.Background(), srv.Client(), srv.URL, "corebox_upf_sessions")
			if tc.want == "" {
				if err != nil || v != 11 {
					t.Errorf("got %v, %v; want 11", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestScrapeHonoursContext(t *testing.T) {
	srv := nfMetrics(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Scrape(ctx, srv.Client(), srv.URL, "corebox_upf_sessions")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestScrapeRefusesHugeBodies(t *testing.T) {
	srv := serve(http.StatusOK, "text/plain", strings.Repeat("#\n", maxScrapeBytes/2+1))
	defer srv.Close()
	_, err := Scrape(context.Background(), nil, srv.URL, "x")
	if err == nil || !strings.Contains(err.Error(), "response larger than") {
		t.Errorf("error %v", err)
	}
}
