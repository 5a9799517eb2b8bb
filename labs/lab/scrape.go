package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/corebox/corebox/orchestrator/controller"
)

// Sample is one series of a scraped metric: a histogram or summary NAME
// gives NAME_sum and NAME_count.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// MetricsSource reads the metrics of the instance whose mgmt address is
// addr. Tests give a fake; the runner's default scrapes /metrics.
type MetricsSource interface {
	Scrape(ctx context.Context, addr string) ([]Sample, error)
}

// Limits of one scrape: an NF's /metrics is a few KiB.
const (
	maxScrapeBytes = 16 << 20
	scrapeTimeout  = 2 * time.Second
)

// httpMetrics scrapes http://ADDR:PORT/metrics (Prometheus text format).
type httpMetrics struct {
	port   string
	client *http.Client
}

// Scrape implements MetricsSource.
func (h httpMetrics) Scrape(ctx context.Context, addr string) ([]Sample, error) {
	url := "http://" + net.JoinHostPort(addr, h.port) + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxScrapeBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	case len(body) > maxScrapeBytes:
		return nil, fmt.Errorf("scrape %s: more than %d bytes", url, maxScrapeBytes)
	}
	samples, err := parseMetrics(body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	return samples, nil
}

// parseMetrics reads the Prometheus text format.
func parseMetrics(body []byte) ([]Sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("Prometheus text format: %w", err)
	}
	return flatten(families), nil
}

// flatten turns metric families into samples.
func flatten(families map[string]*dto.MetricFamily) []Sample {
	var out []Sample
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			labels := make(map[string]string, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			add := func(n string, v float64) { out = append(out, Sample{Name: n, Labels: labels, Value: v}) }
			switch {
			case m.GetCounter() != nil:
				add(name, m.GetCounter().GetValue())
			case m.GetGauge() != nil:
				add(name, m.GetGauge().GetValue())
			case m.GetUntyped() != nil:
				add(name, m.GetUntyped().GetValue())
			case m.GetHistogram() != nil:
				add(name+"_sum", m.GetHistogram().GetSampleSum())
				add(name+"_count", float64(m.GetHistogram().GetSampleCount()))
			case m.GetSummary() != nil:
				add(name+"_sum", m.GetSummary().GetSampleSum())
				add(name+"_count", float64(m.GetSummary().GetSampleCount()))
			}
		}
	}
	return out
}

// sumOf adds the samples of metric whose labels include want; false when
// no sample matches (the metric is absent, or no series has the labels).
// NaN and infinite values (which JSON cannot carry) are left out.
func sumOf(samples []Sample, metric string, want map[string]string) (float64, bool) {
	sum, found := 0.0, false
	for _, s := range samples {
		if s.Name != metric || !hasLabels(s.Labels, want) || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			continue
		}
		sum += s.Value
		found = true
	}
	return sum, found
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// scraped is one instance's scrape.
type scraped struct {
	in      controller.InstanceStatus
	samples []Sample
	err     error
}

// scrapeAll scrapes instances at once, each within scrapeTimeout.
func scrapeAll(ctx context.Context, src MetricsSource, ins []controller.InstanceStatus) []scraped {
	out := make([]scraped, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
			defer cancel()
			s, err := src.Scrape(sctx, in.Addresses["mgmt"])
			out[i] = scraped{in: in, samples: s, err: err}
		})
	}
	wg.Wait()
	return out
}

// metricSum is metric (with labels) summed over the scraped instances
// that have it; missing lists the failures and the instances without it.
func metricSum(scrapes []scraped, metric string, labels map[string]string) (sum float64, found int, missing []error) {
	for _, s := range scrapes {
		if s.err != nil {
			missing = append(missing, fmt.Errorf("%s: %w", s.in.Name, s.err))
			continue
		}
		v, ok := sumOf(s.samples, metric, labels)
		if !ok {
			missing = append(missing, fmt.Errorf("%s serves no %s%s", s.in.Name, metric, labelText(labels)))
			continue
		}
		sum += v
		found++
	}
	return sum, found, missing
}

// labelText writes labels as {k="v",...}, sorted.
func labelText(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
