package autoscale

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// maxScrapeBytes bounds what one scrape reads: an NF's /metrics is a few
// KiB; anything near this is a broken endpoint, not data to parse.
const maxScrapeBytes = 16 << 20

// acceptText asks for the classic text format, the one we parse.
const acceptText = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

// Scrape fetches url (an NF's /metrics, Prometheus text format) and
// returns metric's value: the sum over its series when it has several
// (all replicas' sessions, whatever the labels). A histogram or summary
// has no single value; ask for NAME_sum or NAME_count instead. client nil
// means http.DefaultClient; ctx bounds the request.
func Scrape(ctx context.Context, client *http.Client, url, metric string) (float64, error) {
	families, err := fetch(ctx, client, url)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", url, err)
	}
	v, err := value(families, metric)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", url, err)
	}
	return v, nil
}

func fetch(ctx context.Context, client *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptText)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxScrapeBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, snippet(body))
	}
	if len(body) > maxScrapeBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxScrapeBytes)
	}
	if err := checkTextFormat(resp.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing the Prometheus text format: %w", err)
	}
	return families, nil
}

// checkTextFormat refuses the other exposition formats by name rather
// than letting the text parser fail on them obscurely. An absent or plain
// text type passes: foreign exporters are often sloppy about it.
func checkTextFormat(contentType string) error {
	if contentType == "" {
		return nil
	}
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if media == "text/plain" {
		return nil
	}
	return fmt.Errorf("content type %q: want the Prometheus text format (text/plain)", contentType)
}

func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "empty body"
	}
	return s
}

// value sums metric's series.
func value(families map[string]*dto.MetricFamily, metric string) (float64, error) {
	mf, ok := families[metric]
	if !ok {
		return derived(families, metric)
	}
	var sum float64
	for _, m := range mf.GetMetric() {
		switch mf.GetType() {
		case dto.MetricType_GAUGE:
			sum += m.GetGauge().GetValue()
		case dto.MetricType_COUNTER:
			sum += m.GetCounter().GetValue()
		case dto.MetricType_UNTYPED:
			sum += m.GetUntyped().GetValue()
		default:
			kind := strings.ToLower(mf.GetType().String())
			return 0, fmt.Errorf("metric %s is a %s, which has no single value: name a gauge or counter, or %s_sum or %s_count",
				metric, kind, metric, metric)
		}
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return 0, fmt.Errorf("metric %s is %v", metric, sum)
	}
	return sum, nil
}

// derived serves NAME_sum and NAME_count of a histogram or summary, which
// the text parser folds into the family NAME.
func derived(families map[string]*dto.MetricFamily, metric string) (float64, error) {
	for _, suffix := range []string{"_sum", "_count"} {
		base, ok := strings.CutSuffix(metric, suffix)
		mf := families[base]
		if !ok || mf == nil {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetHistogram() != nil && suffix == "_sum":
				sum += m.GetHistogram().GetSampleSum()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			case m.GetSummary() != nil && suffix == "_sum":
				sum += m.GetSummary().GetSampleSum()
			case m.GetSummary() != nil:
				sum += float64(m.GetSummary().GetSampleCount())
			default:
				return 0, missing(families, metric)
			}
		}
		return sum, nil
	}
	return 0, missing(families, metric)
}

// namesShown bounds the names a missing-metric error lists.
const namesShown = 5

// missing names the metric and lists the names most like it (longest
// common prefix first), which catches typos and wrong prefixes.
func missing(families map[string]*dto.MetricFamily, metric string) error {
	if len(families) == 0 {
		return fmt.Errorf("metric %s not found: the endpoint serves no metrics", metric)
	}
	names := slices.Collect(maps.Keys(families))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(commonPrefix(b, metric), commonPrefix(a, metric)), cmp.Compare(a, b))
	})
	shown := names[:min(namesShown, len(names))]
	return fmt.Errorf("metric %s not found among %d metrics, e.g. %s",
		metric, len(names), strings.Join(shown, ", "))
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
